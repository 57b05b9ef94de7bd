"""Staff's programme overview and QSG summary (``/v1/programme/...``): the data of
:mod:`sync.server.programme`, as JSON, for the staff app to render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query

from sync.server.accounts import ServiceError
from sync.server.blobs import BlobFiles
from sync.server.deps import Db, Files, Staff
from sync.server.programme import ProgrammeError, programme_overview, qsg_summary
from sync.server.request_models import OneSentenceRoute

router = APIRouter(prefix="/v1/programme", route_class=OneSentenceRoute)

Programme = Annotated[str, Query(min_length=1, max_length=400)]


def kit_folder(files: BlobFiles) -> Path:
    """Where the service keeps uploaded kits (as routes.py stores them)."""
    return files.root / "kits"


@router.get("/overview")
def get_programme_overview(
    db: Db,
    files: Files,
    _user: Staff,
    programme: Programme,
    visit: Annotated[list[str] | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """The programme overview of the chosen visits (by default every accepted, approved or
    published one); 422 when a chosen visit cannot be included."""
    try:
        return programme_overview(db, kit_folder(files), programme, visit or None)
    except ProgrammeError as exc:
        raise ServiceError(422, str(exc)) from exc


@router.get("/qsg")
def get_qsg(db: Db, files: Files, _user: Staff, programme: Programme) -> dict[str, Any]:
    """Per provider, the immediate risks and serious concerns of approved or published
    versions."""
    return qsg_summary(db, kit_folder(files), programme)
