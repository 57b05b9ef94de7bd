"""The factual accuracy round: the pack staff send the provider, and the provider's response form.

docs/after-the-visit.md is the contract. The **response form** is made from a stored submission
(its envelope's findings): a first block of rows names the visit, the version and the snapshot
id; then one row per item of the report, every finding and every standard's team judgement per
component, each with its id and a ``Check`` (the first 8 hex digits of
``sha256(snapshot_id + "\\0" + item_id)``) so that an edited id is told apart from an unknown
one. The provider fills the last three columns (type, comment, proposed wording). The XLSX
locks every cell but those (no password: it guards against slips, not people) and offers the
types as a list; the CSV is the same rows, its cells escaped as the overview's are
(:func:`sync.server.overview.csv_cell`), saved as UTF-8 with a byte order mark so Excel opens it
as UTF-8.

The **import** takes the form back, XLSX or CSV told by content (a CSV as Excel saves it: UTF-8
with or without a BOM, or Windows-1252; comma, semicolon or tab), and is all or nothing: any bad
row and nothing is stored, the 422 listing every row's problem. Comment ids are
``sha256(snapshot_id + "\\0" + item_kind + "\\0" + item_id)[:32]``: one comment per item and
version, so the same form imported again adds nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from sync.server.accounts import ServiceError, User, record_audit
from sync.server.blobs import BlobFiles
from sync.server.db import (
    COMMENT_TYPES,
    Database,
    accuracy_comments,
    accuracy_packs,
    insert_or_ignore,
    now_iso,
    submissions,
    visits,
)
from sync.server.lifecycle import is_lead, record_step
from sync.server.overview import FORMULA_STARTS, csv_cell
from sync.working_days import add_working_days

TYPE_NAMES = {
    "typographical": "Typographical or numerical",
    "factual": "Factually inaccurate",
    "omitted": "Omitted information",
}
assert tuple(TYPE_NAMES) == COMMENT_TYPES
_TYPE_WORDS = {
    **{name.lower(): short for short, name in TYPE_NAMES.items()},
    **{short: short for short in COMMENT_TYPES},
    "numerical": "typographical",
}
COLUMNS = (
    "Id",
    "Check",
    "Kind",
    "Section / category",
    "Reference",
    "Component",
    "Team judgement",
    "Text",
    "Comment type",
    "Provider comment",
    "Proposed wording",
)
PROVIDER_COLUMNS = COLUMNS[-3:]
TITLE = "Factual accuracy response form"
VISIT_LABEL, VERSION_LABEL, SNAPSHOT_LABEL = "Visit id", "Version", "Snapshot id"
RETURN_WITHIN = 10  # working days (DOMAIN.md: a comparable regulator gives 10)
TEXT_MAX = 20_000  # a comment or proposed wording: a page, as a staff comment may be
PACK_STATES = ("received", "accepted")
MAX_UNZIPPED = 200 * 1024 * 1024  # an XLSX bigger than this inflated is no form of ours
_JUDGEMENTS = {
    "met": "Met",
    "not_met": "Not met",
    "not_applicable": "Not applicable",
    "not_assessed": "Not assessed",
}


# -- the items of a report -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # "finding" | "standard"
    item_id: str
    label: str  # what the lead's window shows beside the comment
    section: str
    reference: str
    component: str
    judgement: str
    text: str


def check_of(snapshot_id: str, item_id: str) -> str:
    return hashlib.sha256(f"{snapshot_id}\0{item_id}".encode()).hexdigest()[:8]


def comment_id(snapshot_id: str, kind: str, item_id: str) -> str:
    return hashlib.sha256(f"{snapshot_id}\0{kind}\0{item_id}".encode()).hexdigest()[:32]


def form_items(findings: dict[str, Any]) -> list[Item]:
    """Every finding, then every team judgement, in the order the findings hold them (the
    report's)."""
    names = {
        str(c.get("id")): str(c.get("name") or c.get("id"))
        for c in findings.get("visit", {}).get("components", [])
        if isinstance(c, dict)
    }
    items = []
    for f in findings.get("findings", []):
        if not isinstance(f, dict) or not f.get("id"):
            continue
        component = names.get(str(f.get("component", "")), str(f.get("component", "")))
        category = str(f.get("category", "")).replace("_", " ").capitalize()
        refs = f.get("refs")
        refs = refs if isinstance(refs, list) else []
        items.append(
            Item(
                kind="finding",
                item_id=str(f["id"]),
                label=f"Finding {f.get('number', '')} ({category}, {component})",
                section=category,
                reference=", ".join(str(r) for r in refs),
                component=component,
                judgement="",
                text=str(f.get("text", "")),
            )
        )
    for tj in findings.get("team_judgements", []):
        if not isinstance(tj, dict):
            continue
        ref, comp = str(tj.get("ref", "")), str(tj.get("component", ""))
        component = names.get(comp, comp)
        items.append(
            Item(
                kind="standard",
                item_id=f"{comp}:{ref}",
                label=f"Standard {ref} ({component})",
                section="Standard",
                reference=ref,
                component=component,
                judgement=_JUDGEMENTS.get(str(tj.get("value")), str(tj.get("value", ""))),
                text=str(tj.get("rationale", "")),
            )
        )
    return items


# -- the form ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """The stored submission a form is made from."""

    visit_id: str
    version: int
    snapshot_id: str
    title: str
    envelope: dict[str, Any] = field(compare=False)


def form_rows(v: Version, items: Sequence[Item]) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [TITLE, v.title],
        [VISIT_LABEL, v.visit_id],
        [VERSION_LABEL, v.version],
        [SNAPSHOT_LABEL, v.snapshot_id],
        [
            "How to answer",
            "Fill in only the last three columns, on the rows you comment on; leave the rest "
            "as it is.",
        ],
        [],
        list(COLUMNS),
    ]
    for it in items:
        rows.append(
            [
                it.item_id,
                check_of(v.snapshot_id, it.item_id),
                it.kind,
                it.section,
                it.reference,
                it.component,
                it.judgement,
                it.text,
                "",
                "",
                "",
            ]
        )
    return rows


def form_csv(v: Version, items: Sequence[Item]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows([csv_cell(c) for c in row] for row in form_rows(v, items))
    return buf.getvalue().encode("utf-8-sig")


def form_xlsx(v: Version, items: Sequence[Item]) -> bytes:
    from openpyxl import Workbook  # noqa: PLC0415 - only the accuracy round needs it
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, Protection  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Response form"
    rows = form_rows(v, items)
    header_row = len(rows) - len(items)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            if cell.data_type == "f":  # text that starts with "=" is text here, never a formula
                cell.data_type = "s"
    for c in range(1, len(COLUMNS) + 1):
        ws.cell(row=header_row, column=c).font = Font(bold=True)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    first, last = header_row + 1, max(header_row + 1, len(rows))
    provider = range(len(COLUMNS) - len(PROVIDER_COLUMNS) + 1, len(COLUMNS) + 1)
    for r in range(first, last + 1):
        for c in provider:
            cell = ws.cell(row=r, column=c)
            cell.protection = Protection(locked=False)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=r, column=8).alignment = Alignment(wrap_text=True, vertical="top")
    type_column = ws.cell(row=first, column=provider[0]).column_letter
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(TYPE_NAMES.values()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Comment type",
        error="Choose one of the types in the list.",
    )
    validation.add(f"{type_column}{first}:{type_column}{last}")
    ws.add_data_validation(validation)
    for letter, width in zip(
        "ABCDEFGHIJK", (38, 10, 10, 18, 14, 24, 14, 60, 26, 50, 50), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=first, column=1)
    ws.protection.sheet = True  # no password: it guards against slips
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


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


# -- reading a form back ---------------------------------------------------------------------------


class FormRefused(Exception):
    """A form that is refused whole: its problems, row by row."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _problem(row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def read_cells(data: bytes) -> list[list[str]]:
    """The form's rows as text, XLSX or CSV told by the bytes; FormRefused when neither."""
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_cells(data)
    text = _decode(data)
    for delimiter in (",", ";", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error:
            continue
        cells = [[_unescape(c.strip()) for c in row] for row in rows]
        if _header_at(cells) is not None:
            return cells
    raise FormRefused([_not_a_form()])


def _not_a_form() -> dict[str, Any]:
    return _problem(
        None,
        None,
        "This is not a factual accuracy response form; import the response-form.xlsx or "
        "response-form.csv of the pack, filled in.",
    )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _unescape(cell: str) -> str:
    """A cell the form escaped (an apostrophe before = + - @) as it was."""
    if cell.startswith("'") and cell[1:2] and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


def _xlsx_cells(data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_UNZIPPED:
                raise FormRefused([_not_a_form()])
        from openpyxl import load_workbook  # noqa: PLC0415

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            ws = wb["Response form"] if "Response form" in wb.sheetnames else wb.worksheets[0]
            return [[_cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except FormRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl makes of a bad file, it is no form
        raise FormRefused([_not_a_form()]) from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date,)):
        return value.isoformat()
    return _unescape(str(value).strip())


def _header_at(rows: Sequence[Sequence[str]]) -> int | None:
    for i, row in enumerate(rows):
        if len(row) >= 2 and row[0].lower() == "id" and row[1].lower() == "check":
            return i
    return None


@dataclass(frozen=True, slots=True)
class Comment:
    item: Item
    comment_type: str
    comment: str
    proposed: str
    form_row: int


@dataclass(frozen=True, slots=True)
class Filled:
    """A form read back: what its first rows say, and its rows with provider content."""

    meta: dict[str, tuple[int, str]]  # label -> (row number, value)
    rows: list[tuple[int, dict[str, str]]]  # (row number, column -> value)


def parse_form(cells: list[list[str]]) -> Filled:
    header = _header_at(cells)
    if header is None:
        raise FormRefused([_not_a_form()])
    names = [c.strip() for c in cells[header]]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise FormRefused(
            [
                _problem(
                    header + 1,
                    None,
                    f"The form's columns {', '.join(missing)} are missing; import the form as "
                    "the pack gave it, with only the last three columns filled in.",
                )
            ]
        )
    meta = {
        row[0]: (i + 1, row[1] if len(row) > 1 else "")
        for i, row in enumerate(cells[:header])
        if row and row[0] in (VISIT_LABEL, VERSION_LABEL, SNAPSHOT_LABEL)
    }
    index = {name: names.index(name) for name in COLUMNS}
    rows = []
    for i, row in enumerate(cells[header + 1 :], start=header + 2):
        values = {name: (row[j].strip() if j < len(row) else "") for name, j in index.items()}
        if any(values[c] for c in PROVIDER_COLUMNS):
            rows.append((i, values))
    return Filled(meta, rows)


def _same_check(cell: str, expected: str) -> bool:
    """Whether a Check cell says ``expected``, also after a spreadsheet took it for a number
    (``01234567`` shown as 1234567, ``1234e012`` as 1.234E+15)."""
    if cell.lower() == expected:
        return True
    try:
        return float(cell) == float(expected)
    except ValueError:
        return False


def check_rows(filled: Filled, v: Version, items: Sequence[Item]) -> list[Comment]:
    """The form's comments on version ``v``; FormRefused listing every row's problem."""
    by_id = {it.item_id: it for it in items}
    checks = {check_of(v.snapshot_id, it.item_id): it for it in items}
    problems: list[dict[str, Any]] = []
    found: list[Comment] = []
    seen: dict[str, int] = {}
    for row, values in filled.rows:
        item_id, check = values["Id"], values["Check"]
        item = by_id.get(item_id)
        if item is None:
            edited = next((it for c, it in checks.items() if _same_check(check, c)), None)
            if edited is not None:
                problems.append(
                    _problem(
                        row,
                        "Id",
                        f"This row's id was changed (its check belongs to {edited.label}); "
                        "put back the id the form had.",
                    )
                )
            else:
                problems.append(
                    _problem(
                        row,
                        "Id",
                        f"No item of version {v.version} of the report has this id; comment "
                        "only on the rows the form gave.",
                    )
                )
            continue
        if not _same_check(check, check_of(v.snapshot_id, item_id)):
            problems.append(
                _problem(
                    row,
                    "Id",
                    "This row's id does not match its check, so it was changed; put back the "
                    "id the form had.",
                )
            )
            continue
        if item_id in seen:
            problems.append(
                _problem(
                    row,
                    "Id",
                    f"Row {seen[item_id]} comments on this item already; put both comments in "
                    "one row.",
                )
            )
            continue
        seen[item_id] = row
        comment = _row_comment(row, values, item, problems)
        if comment is not None:
            found.append(comment)
    if problems:
        raise FormRefused(problems)
    return found


def _row_comment(
    row: int, values: dict[str, str], item: Item, problems: list[dict[str, Any]]
) -> Comment | None:
    kind, text, proposed = (values[c] for c in PROVIDER_COLUMNS)
    before = len(problems)
    if kind and kind.lower() not in _TYPE_WORDS:
        problems.append(
            _problem(
                row,
                "Comment type",
                f"{kind!r} is not a comment type; choose {', '.join(TYPE_NAMES.values())}.",
            )
        )
    if not kind and (text or proposed):
        problems.append(
            _problem(
                row,
                "Comment type",
                "This row has a comment but no comment type; choose one from the list.",
            )
        )
    if kind and not text:
        problems.append(
            _problem(
                row,
                "Provider comment",
                "This row has a comment type but no comment; say what is not accurate.",
            )
        )
    for column, value in (("Provider comment", text), ("Proposed wording", proposed)):
        if len(value) > TEXT_MAX or "\x00" in value:
            problems.append(
                _problem(
                    row, column, f"This cell is longer than {TEXT_MAX} characters; shorten it."
                )
            )
    if len(problems) > before:
        return None
    return Comment(item, _TYPE_WORDS[kind.lower()], text, proposed, row)


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


def pack_version(conn: Connection, visit_id: str) -> Version:
    """The visit's latest version received or accepted: the one a pack is made from."""
    if conn.execute(select(visits.c.visit_id).where(visits.c.visit_id == visit_id)).first() is None:
        raise ServiceError(404, "There is no visit with that id.")
    row = conn.execute(
        select(*_columns())
        .where(submissions.c.visit_id == visit_id, submissions.c.state.in_(PACK_STATES))
        .order_by(submissions.c.version.desc(), submissions.c.created_at.desc())
        .limit(1)
    ).first()
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
        raise FormRefused([_not_a_form()])
    if visit_cell != visit_id:
        raise FormRefused(
            [
                _problem(
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
                _problem(
                    snap_row,
                    SNAPSHOT_LABEL,
                    "This form names a version of the report this visit does not have; import "
                    "the form of the pack that was sent.",
                )
            ]
        )
    current = pack_version(conn, visit_id)
    packed = conn.execute(
        select(accuracy_packs.c.snapshot_id).where(accuracy_packs.c.snapshot_id == snap_cell)
    ).first()
    if version_cell != str(row.version):
        raise FormRefused(
            [
                _problem(
                    version_row,
                    VERSION_LABEL,
                    f"This form says version {version_cell} but its snapshot is version "
                    f"{row.version}; import the form as the pack gave it.",
                )
            ]
        )
    if row.snapshot_id != current.snapshot_id and packed is None:
        raise FormRefused(
            [
                _problem(
                    version_row,
                    VERSION_LABEL,
                    f"This form is of version {row.version}, but version {current.version} is the "
                    "one being checked; send the provider the current pack.",
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
    status = 201 if added or first else 200
    return status, {"snapshot_id": v.snapshot_id, "version": v.version, "comments": len(found)}


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
