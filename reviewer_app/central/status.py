"""What this laptop remembers of the central service between contacts (no Qt, no network).

``data/central_status.json``: who I am on the service, when the last sync was, whether the
service answered, the kits assigned to me, the service's state of each visit (with its
approval, final report and publication) and how many factual accuracy comments the provider
made on each visit I lead, *from the last sync*, so the sync centre shows them at once, offline,
after a restart. Never the token: that stays in the keyring (or this process's memory).
Written by the operations of :mod:`reviewer_app.central.service`; read there by
``load_status``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer_app.app.paths import AppPaths
from storage.files import write_atomic

log = logging.getLogger(__name__)

STATUS_FILE = "central_status.json"


@dataclass(frozen=True, slots=True)
class AssignedKit:
    """A kit the service assigned to me, as the last sync listed it."""

    kit_id: str
    visit_id: str
    title: str
    programme: str
    start_date: str
    member_id: str
    path: str
    downloaded: bool  # the file is in the downloads folder
    opened_here: bool  # a workspace for the visit exists on this laptop


@dataclass(slots=True)
class CentralStatus:
    """What the window's status line, kits list and server-state panel show."""

    url: str = ""
    signed_in: bool = False  # an address and a token on this laptop
    user: str = ""
    role: str = ""
    in_keyring: bool = True
    online: bool | None = None  # None: not asked since signing in
    last_contact_at: str = ""  # ISO UTC: the last time the service answered or did not
    last_sync_at: str = ""  # ISO UTC: the last sync that reached the service
    message: str = ""  # why the service is offline or refused, from the last contact
    kits: list[AssignedKit] = field(default_factory=list)
    visits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # visit_id -> title
    comments: dict[str, int] = field(default_factory=dict)  # visit_id -> provider comments


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def status_path(paths: AppPaths) -> Path:
    return paths.data / STATUS_FILE


def remembered(paths: AppPaths) -> dict[str, Any]:
    """The values as last written; {} when there are none or the file is damaged."""
    try:
        raw = json.loads(status_path(paths).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # damaged: the next contact writes it again
        log.warning("sync status unreadable (%s); starting afresh", exc)
        return {}
    return raw if isinstance(raw, dict) else {}


def remember(paths: AppPaths, url: str, **changes: Any) -> None:
    """Add ``changes`` to what is remembered of the service at ``url``."""
    values = remembered(paths)
    if values.get("url") != url:
        values = {"url": url}  # another service: what the old one said no longer applies
    values.update(changes)
    target = status_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(values, indent=1, sort_keys=True).encode("utf-8"))


def forget(paths: AppPaths) -> None:
    status_path(paths).unlink(missing_ok=True)
