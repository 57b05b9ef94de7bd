"""The factual accuracy round on the service: the pack staff send the provider, and the import
of the provider's response form (the form itself: :mod:`sync.server.accuracy_form`).

docs/after-the-visit.md is the contract. The pack is made from the visit's latest version
received or accepted: its report (PDF, and DOCX when the envelope names one), the form as XLSX
and CSV, and README.txt; making it records nothing. The import is all or nothing: any bad row
and nothing is stored, the 422 listing every row's problem (``rows``). A form is taken for the
visit's current version, or for a version whose pack staff recorded as sent. Comments are one
row per item and version (their id says which), inserted or ignored: the same form imported
again adds nothing, and two imports at once store each comment once.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from sync.server.accounts import ServiceError, User, record_audit
from sync.server.accuracy_form import (
    COLUMNS,
    SNAPSHOT_LABEL,
    TYPE_NAMES,
    VERSION_LABEL,
    VISIT_LABEL,
    Filled,
    FormRefused,
    Item,
    Version,
    check_of,
    check_rows,
    comment_id,
    form_csv,
    form_items,
    form_xlsx,
    not_a_form,
    parse_form,
    problem,
    read_cells,
)
from sync.server.blobs import BlobFiles
from sync.server.db import (
    Database,
    accuracy_comments,
    accuracy_packs,
    insert_or_ignore,
    now_iso,
    submissions,
    visits,
)
from sync.server.lifecycle import is_lead, record_step
from sync.working_days import add_working_days

RETURN_WITHIN = 10  # working days (DOMAIN.md: a comparable regulator gives 10)
PACK_STATES = ("received", "accepted")


def readme(v: Version, today: date) -> str:
    due = add_working_days(today, RETURN_WITHIN)
    return (
        f"Factual accuracy check: {v.title}\r\n"
        f"Version {v.version} of the report (snapshot {v.snapshot_id})\r\n\r\n"
        "What to do\r\n"
        f"1. Read the report: report-v{v.version}.pdf (and report-v{v.version}.docx, the same "
        "report as a Word document, when it is in this pack).\r\n"
        "2. Open response-form.xlsx (or response-form.csv if you cannot use Excel). Each row is "
        "a finding of the report or the team's judgement of a standard.\r\n"
        "3. Where something is not accurate, choose its Comment type, write your comment in "
        "Provider comment and, if you can, the wording you propose in Proposed wording. Leave "
        "the other rows empty.\r\n"
        "4. Do not change the other columns, the ids or the first rows: the form is read back "
        "by machine, and a changed id is refused.\r\n"
        f"5. Return the completed form within {RETURN_WITHIN} working days of receiving this "
        f"pack (by {due:%A %d %B %Y} if it reached you on {today:%d %B %Y}).\r\n\r\n"
        "Comment types\r\n"
        "- Typographical or numerical: a spelling, a name, a number or a date is wrong.\r\n"
        "- Factually inaccurate: the report says something that is not so.\r\n"
        "- Omitted information: the report leaves out something that changes what it says.\r\n"
    )


def pack_zip(v: Version, files: BlobFiles, today: date) -> bytes:
    """The pack: the version's report (PDF, and DOCX when sent), the form, and README.txt."""
    items = form_items(v.envelope["findings"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, ext in (("report", "pdf"), ("report_docx", "docx")):
            meta = v.envelope.get(key)
            if isinstance(meta, dict) and isinstance(meta.get("sha256"), str):
                path = files.path(meta["sha256"])
                if not path.is_file():
                    raise ServiceError(
                        409,
                        f"Version {v.version}'s report file is missing on the service; "
                        "ask the lead to send the findings again.",
                    )
                zf.write(path, f"report-v{v.version}.{ext}")
        zf.writestr("response-form.xlsx", form_xlsx(v, items))
        zf.writestr("response-form.csv", form_csv(v, items))
        zf.writestr("README.txt", readme(v, today))
    return buf.getvalue()


# -- the service's side -------------------------------------------------------------------------


def _version(conn: Connection, row: Any) -> Version:
    title = conn.execute(select(visits.c.title).where(visits.c.visit_id == row.visit_id)).scalar()
    return Version(
        row.visit_id, row.version, row.snapshot_id, str(title or ""), json.loads(row.envelope)
    )


def _columns() -> Iterable[Any]:
    return (
        submissions.c.snapshot_id,
        submissions.c.visit_id,
        submissions.c.version,
        submissions.c.envelope,
    )


def _pack_row(conn: Connection, visit_id: str) -> Any:
    return conn.execute(
        select(*_columns())
        .where(submissions.c.visit_id == visit_id, submissions.c.state.in_(PACK_STATES))
        .order_by(submissions.c.version.desc(), submissions.c.created_at.desc())
        .limit(1)
    ).first()


def pack_version(conn: Connection, visit_id: str) -> Version:
    """The visit's latest version received or accepted: the one a pack is made from."""
    if conn.execute(select(visits.c.visit_id).where(visits.c.visit_id == visit_id)).first() is None:
        raise ServiceError(404, "There is no visit with that id.")
    row = _pack_row(conn, visit_id)
    if row is None:
        raise ServiceError(
            409, "The visit has no version received or accepted yet; wait for the lead's findings."
        )
    return _version(conn, row)


def make_pack(db: Database, files: BlobFiles, visit_id: str) -> tuple[Version, bytes]:
    with db.read() as conn:
        v = pack_version(conn, visit_id)
    if not isinstance(v.envelope.get("report"), dict):
        raise ServiceError(
            409,
            f"Version {v.version} came without its report; the lead's app must send the "
            "next version with its report.",
        )
    return v, pack_zip(v, files, date.today())


def record_pack_sent(
    db: Database, user: User, visit_id: str, snapshot_id: str, sent_at: str | None
) -> tuple[int, dict[str, Any]]:
    """Staff say the pack of ``snapshot_id`` went to the provider (first record kept)."""
    at = sent_at or now_iso()
    try:
        date.fromisoformat(at[:10])
    except ValueError:
        raise ServiceError(
            422, "Give when the pack was sent as an ISO date, like 2027-01-12."
        ) from None
    with db.write() as conn:
        row = conn.execute(
            select(submissions.c.visit_id, submissions.c.version).where(
                submissions.c.snapshot_id == snapshot_id
            )
        ).first()
        if row is None or row.visit_id != visit_id:
            raise ServiceError(404, "That visit has no submission with that snapshot id.")
        added = conn.execute(
            insert_or_ignore(
                conn,
                accuracy_packs,
                snapshot_id=snapshot_id,
                visit_id=visit_id,
                sent_at=at,
                sent_by=user.name,
            )
        ).rowcount
        if added:
            record_step(conn, visit_id, "pack_sent", at, user.name)
            record_audit(conn, user.name, "pack_sent", snapshot_id, visit_id=visit_id, sent_at=at)
        stored = conn.execute(
            select(accuracy_packs).where(accuracy_packs.c.snapshot_id == snapshot_id)
        ).one()
    return (201 if added else 200), {
        "snapshot_id": snapshot_id,
        "visit_id": visit_id,
        "version": row.version,
        "sent_at": stored.sent_at,
        "sent_by": stored.sent_by,
    }


def _form_version(conn: Connection, visit_id: str, filled: Filled) -> Version:
    """The version the form is of, when it may be imported for ``visit_id``; else FormRefused."""
    visit_row, visit_cell = filled.meta.get(VISIT_LABEL, (None, ""))
    version_row, version_cell = filled.meta.get(VERSION_LABEL, (None, ""))
    snap_row, snap_cell = filled.meta.get(SNAPSHOT_LABEL, (None, ""))
    if not visit_cell or not snap_cell or not version_cell:
        raise FormRefused([not_a_form()])
    if visit_cell != visit_id:
        raise FormRefused(
            [
                problem(
                    visit_row,
                    VISIT_LABEL,
                    "This form is of another visit; import it for the visit it names.",
                )
            ]
        )
    row = conn.execute(select(*_columns()).where(submissions.c.snapshot_id == snap_cell)).first()
    if row is None or row.visit_id != visit_id:
        raise FormRefused(
            [
                problem(
                    snap_row,
                    SNAPSHOT_LABEL,
                    "This form names a version of the report this visit does not have; import "
                    "the form of the pack that was sent.",
                )
            ]
        )
    current = _pack_row(conn, visit_id)
    packed = conn.execute(
        select(accuracy_packs.c.snapshot_id).where(accuracy_packs.c.snapshot_id == snap_cell)
    ).first()
    if version_cell != str(row.version):
        raise FormRefused(
            [
                problem(
                    version_row,
                    VERSION_LABEL,
                    f"This form says version {version_cell} but its snapshot is version "
                    f"{row.version}; import the form as the pack gave it.",
                )
            ]
        )
    if packed is None and (current is None or row.snapshot_id != current.snapshot_id):
        now = f"version {current.version} is" if current is not None else "no version is"
        raise FormRefused(
            [
                problem(
                    version_row,
                    VERSION_LABEL,
                    f"This form is of version {row.version}, but {now} the one being "
                    "checked; send the provider the current pack.",
                )
            ]
        )
    return _version(conn, row)


def import_form(db: Database, user: User, visit_id: str, data: bytes) -> tuple[int, dict[str, Any]]:
    """Staff import the provider's filled form: all its comments, or none (ServiceError 422
    with ``rows``)."""
    try:
        filled = parse_form(read_cells(data))
        with db.write() as conn:
            v = _form_version(conn, visit_id, filled)
            found = check_rows(filled, v, form_items(v.envelope["findings"]))
            at = now_iso()
            added = 0
            for c in found:
                added += conn.execute(
                    insert_or_ignore(
                        conn,
                        accuracy_comments,
                        comment_id=comment_id(v.snapshot_id, c.item.kind, c.item.item_id),
                        snapshot_id=v.snapshot_id,
                        visit_id=visit_id,
                        item_kind=c.item.kind,
                        item_id=c.item.item_id,
                        item_label=c.item.label,
                        comment_type=c.comment_type,
                        comment=c.comment,
                        proposed=c.proposed,
                        form_row=c.form_row,
                        imported_at=at,
                        imported_by=user.name,
                    )
                ).rowcount
            first = record_step(conn, visit_id, "comments_returned", at, user.name)
            if added or first:
                record_audit(
                    conn,
                    user.name,
                    "import_accuracy_form",
                    v.snapshot_id,
                    visit_id=visit_id,
                    comments=len(found),
                    added=added,
                )
    except FormRefused as exc:
        count = len(exc.problems)
        raise ServiceError(
            422,
            f"The response form has {count} problem{'s' if count != 1 else ''} and nothing was "
            "imported; correct the rows listed and import it again.",
            rows=exc.problems,
        ) from None
    new = bool(added or first)
    return (201 if new else 200), {
        "snapshot_id": v.snapshot_id,
        "version": v.version,
        "comments": len(found),
        "added": added,
        "again": not new,
    }


def comments_for(db: Database, user: User, visit_id: str) -> dict[str, Any]:
    """The provider's comments on the visit's latest version that has any (``{}`` when none):
    for the visit's lead and staff."""
    with db.read() as conn:
        if not user.is_staff and not is_lead(conn, user, visit_id):
            raise ServiceError(
                403,
                "Only the visit's lead reviewer and programme staff see the provider's comments.",
            )
        latest = conn.execute(
            select(submissions.c.snapshot_id, submissions.c.version)
            .join(accuracy_comments, accuracy_comments.c.snapshot_id == submissions.c.snapshot_id)
            .where(submissions.c.visit_id == visit_id)
            .order_by(submissions.c.version.desc())
            .limit(1)
        ).first()
        if latest is None:
            return {}
        rows = conn.execute(
            select(accuracy_comments)
            .where(accuracy_comments.c.snapshot_id == latest.snapshot_id)
            .order_by(accuracy_comments.c.form_row, accuracy_comments.c.comment_id)
        ).all()
    return {
        "snapshot_id": latest.snapshot_id,
        "version": latest.version,
        "comments": [
            {
                "comment_id": r.comment_id,
                "item_kind": r.item_kind,
                "item_id": r.item_id,
                "item_label": r.item_label,
                "comment_type": r.comment_type,
                "comment": r.comment,
                "proposed": r.proposed,
                "form_row": r.form_row,
                "imported_at": r.imported_at,
            }
            for r in rows
        ],
    }


__all__ = [
    "COLUMNS",
    "TYPE_NAMES",
    "Item",
    "Version",
    "check_of",
    "comment_id",
    "comments_for",
    "form_csv",
    "form_items",
    "form_xlsx",
    "import_form",
    "make_pack",
    "read_cells",
    "record_pack_sent",
]
