"""The factual accuracy response form: made from a stored submission, read back from the provider.

docs/after-the-visit.md is the contract. The form is made from a submission's findings: a first
block of rows names the visit, the version and the snapshot id; then one row per item of the
report, every finding and every standard's team judgement per component, each with its id and a
``Check`` (the first 8 hex digits of ``sha256(snapshot_id + "\\0" + item_id)``) so that an
edited id is told apart from an unknown one. The provider fills the last three columns (type,
comment, proposed wording). The XLSX locks every cell but those (no password: it guards against
slips, not people) and offers the types as a list; the CSV is the same rows, its cells escaped
as the overview's are (:func:`sync.server.overview.csv_cell`), saved as UTF-8 with a byte order
mark so Excel opens it as UTF-8.

Reading it back (:func:`read_cells`, :func:`parse_form`, :func:`check_rows`) tells XLSX from CSV
by the bytes (a CSV as Excel saves it: UTF-8 with or without a BOM, or Windows-1252; comma,
semicolon or tab) and finds every row's problem, so that the import can refuse the form whole
(:class:`FormRefused`) listing them all. Comment ids are
``sha256(snapshot_id + "\\0" + item_kind + "\\0" + item_id)[:32]``: one comment per item and
version.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync.server.db import COMMENT_TYPES
from sync.server.overview import FORMULA_STARTS, csv_cell

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
TEXT_MAX = 20_000  # a comment or proposed wording: a page, as a staff comment may be
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


# -- reading a form back ---------------------------------------------------------------------------


class FormRefused(Exception):
    """A form that is refused whole: its problems, row by row."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def problem(row: int | None, column: str | None, message: str) -> dict[str, Any]:
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
    raise FormRefused([not_a_form()])


def not_a_form() -> dict[str, Any]:
    return problem(
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
                raise FormRefused([not_a_form()])
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
        raise FormRefused([not_a_form()]) from exc


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
        raise FormRefused([not_a_form()])
    names = [c.strip() for c in cells[header]]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise FormRefused(
            [
                problem(
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
                    problem(
                        row,
                        "Id",
                        f"This row's id was changed (its check belongs to {edited.label}); "
                        "put back the id the form had.",
                    )
                )
            else:
                problems.append(
                    problem(
                        row,
                        "Id",
                        f"No item of version {v.version} of the report has this id; comment "
                        "only on the rows the form gave.",
                    )
                )
            continue
        if not _same_check(check, check_of(v.snapshot_id, item_id)):
            problems.append(
                problem(
                    row,
                    "Id",
                    "This row's id does not match its check, so it was changed; put back the "
                    "id the form had.",
                )
            )
            continue
        if item_id in seen:
            problems.append(
                problem(
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
            problem(
                row,
                "Comment type",
                f"{kind!r} is not a comment type; choose {', '.join(TYPE_NAMES.values())}.",
            )
        )
    if not kind and (text or proposed):
        problems.append(
            problem(
                row,
                "Comment type",
                "This row has a comment but no comment type; choose one from the list.",
            )
        )
    if kind and not text:
        problems.append(
            problem(
                row,
                "Provider comment",
                "This row has a comment type but no comment; say what is not accurate.",
            )
        )
    for column, value in (("Provider comment", text), ("Proposed wording", proposed)):
        if len(value) > TEXT_MAX or "\x00" in value:
            problems.append(
                problem(row, column, f"This cell is longer than {TEXT_MAX} characters; shorten it.")
            )
    if len(problems) > before:
        return None
    return Comment(item, _TYPE_WORDS[kind.lower()], text, proposed, row)
