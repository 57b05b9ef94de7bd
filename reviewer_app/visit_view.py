"""What the visit window shows, read from the workspace in one go (on the storage worker)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage import Workspace
from sync.kit_model import VisitDetails


@dataclass(frozen=True, slots=True)
class VisitView:
    visit: VisitDetails
    sections: list[str]
    standards: list[dict[str, Any]]
    member_id: str
    demo: bool


def read_visit_view(ws: Workspace) -> VisitView:
    info = ws.kit_info()
    if info is None:
        raise ValueError("this workspace has no kit loaded; open the visit's kit again")
    manifest = json.loads(info["manifest_json"])
    return VisitView(
        visit=VisitDetails.from_dict(manifest["visit"]),
        sections=ws.sections(),
        standards=ws.standards(),
        member_id=ws.get_local("member_id") or "",
        demo=ws.get_local("demo") == "1",
    )
