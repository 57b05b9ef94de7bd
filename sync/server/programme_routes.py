"""Staff's programme overview and QSG summary (``/v1/programme/...``): the data of
:mod:`sync.server.programme`, as JSON, for the staff app to render."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator

from sync.server.accounts import ServiceError
from sync.server.blobs import BlobFiles
from sync.server.deps import Db, Files, Staff
from sync.server.programme import ProgrammeError, programme_overview, qsg_summary
from sync.server.request_models import ID_MAX, PROGRAMME_MAX, OneSentenceRoute, check_text

router = APIRouter(prefix="/v1/programme", route_class=OneSentenceRoute)

MAX_VISITS = 1000  # chosen visits in one overview
Programme = Annotated[
    str, Query(min_length=1, max_length=PROGRAMME_MAX), AfterValidator(check_text)
]


def kit_folder(files: BlobFiles) -> Path:
    """Where the service keeps uploaded kits (as routes.py stores them)."""
    return files.root / "kits"


@router.get("/overview")
def get_programme_overview(
    db: Db,
    files: Files,
    _user: Staff,
    programme: Programme,
    visit: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """The programme overview of the chosen visits (by default every accepted, approved or
    published one); 422 when a chosen visit cannot be included."""
    chosen = visit or []
    if len(chosen) > MAX_VISITS:
        raise ServiceError(422, f"Choose at most {MAX_VISITS} visits for one overview.")
    for visit_id in chosen:
        try:
            check_text(visit_id)
        except ValueError as exc:
            raise ServiceError(422, f"A visit id's {exc}.") from exc
        if not 0 < len(visit_id) <= ID_MAX:
            raise ServiceError(422, f"A visit id is 1 to {ID_MAX} characters long.")
    try:
        return programme_overview(db, kit_folder(files), programme, chosen or None)
    except ProgrammeError as exc:
        raise ServiceError(422, str(exc)) from exc


@router.get("/qsg")
def get_qsg(db: Db, files: Files, _user: Staff, programme: Programme) -> dict[str, Any]:
    """Per provider, the immediate risks and serious concerns of approved or published
    versions."""
    return qsg_summary(db, kit_folder(files), programme)
