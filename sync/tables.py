"""Reading the spreadsheets staff give us, the way Excel writes them, as tables of text.

Staff keep their lists (standards, self-assessments, evidence indexes) in Excel and hand them over
as whatever Excel saved: CSV in UTF-8 (with or without a byte-order mark), Windows-1252 or UTF-16,
separated by commas, semicolons or tabs; an XLSX workbook; or, now and then, JSON. This module
reads any of those into a :class:`Table` of stripped text cells, matches its headers to the
fields a caller wants (:class:`Column`, :func:`match_columns`: ignoring case, spaces and
punctuation, under the names staff already use) and reports what is wrong as :class:`RowProblem`
values located the way staff would find them (file, spreadsheet row, column header and letter).

- ``read_table(path, error)`` reads a ``.csv`` (also ``.txt``, ``.tsv``), ``.xlsx`` (``.xlsm``) or
  ``.json`` (a list of row objects) file. The first non-blank row holds the headers; blank rows
  and blank, unnamed columns are ignored anywhere. Rows are numbered as the spreadsheet shows them
  (the header is row 1); JSON rows are "items" counted from 1.
- Cells are text with ``\n`` line ends, trimmed of blank lines and spaces at both ends but never
  of tabs: a table pasted into a cell from Excel is tab-separated rows, and stays so.
- ``match_columns`` refuses a table where a required column is missing, or where two columns
  match one field (naming both headers and their letters).
- CSV: UTF-16 with a mark; otherwise UTF-8 with or without a mark, else Windows-1252 (also after a
  stray UTF-8 mark). The delimiter is whichever of ``,`` ``;`` or tab the header line uses most
  (``csv.Sniffer`` breaks a tie; comma if all else fails). XLSX: the sheet named "Standards" (any
  case), else the first sheet.
- Every function that can refuse a file takes ``error``, the :class:`InputFileError` subclass to
  raise, so each kind of input file reports its own error type; ``str()`` of the error lists the
  problems one per line.

The callers are :mod:`sync.standards_import` and :mod:`sync.kit_inputs`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

MAX_REPORTED = 50
"""How many problems an error message lists before it says "and N more"."""

# -- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong in an input file, located the way staff would find it.

    ``row`` is 1-based as the spreadsheet shows it (the header is row 1), or the item number in a
    JSON list, or the line of a JSON syntax error (see ``unit``); 0 means the file as a whole.
    ``column`` is the header as written in the file ("" for none); ``letter`` is the spreadsheet
    column letter, given for XLSX files.
    """

    file: str
    row: int
    column: str
    message: str
    letter: str = ""
    unit: str = "row"

    def __str__(self) -> str:
        where = [self.file]
        if self.row:
            where.append(f"{self.unit} {self.row}")
        if self.column:
            where.append(f'column "{self.column}"' + (f" ({self.letter})" if self.letter else ""))
        elif self.letter:
            where.append(f"column {self.letter}")
        return f"{', '.join(where)}: {self.message}"


def format_problems(problems: Sequence[RowProblem], limit: int = MAX_REPORTED) -> str:
    """One problem per line, the first ``limit`` of them, then how many more there are."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems")
    return "\n".join(lines)


class InputFileError(ValueError):
    """An input file of ``kit build`` has problems; ``str()`` lists them one per line."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


ErrorType = type[InputFileError]
"""The :class:`InputFileError` subclass a reader raises, so each kind of file names its own."""

# -- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableRow:
    number: int  # as the spreadsheet shows it (or the JSON item number)
    cells: tuple[str, ...]  # aligned with Table.headers; stripped, line ends "\n"


@dataclass(frozen=True, slots=True)
class Table:
    """The non-blank rows of a CSV file, a worksheet or a JSON list of row objects, as text."""

    file: str  # the file's name, as problems show it
    headers: tuple[str, ...]  # as written ("" for a blank header)
    rows: tuple[TableRow, ...]
    header_row: int = 1
    letters: tuple[str, ...] = ()  # spreadsheet column letters (XLSX only)
    unit: str = "row"

    def letter(self, index: int) -> str:
        return self.letters[index] if index < len(self.letters) else ""

    def problem(self, row: int, index: int | None, message: str) -> RowProblem:
        if index is None:
            return RowProblem(self.file, row, "", message, unit=self.unit)
        return RowProblem(
            self.file, row, self.headers[index], message, self.letter(index), unit=self.unit
        )


def read_table(path: Path, error: ErrorType) -> Table:
    """Read a ``.csv``, ``.xlsx`` or ``.json`` (list of row objects) file as a table of text."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _table(path.name, _csv_rows(path, error), error)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_table(path, error)
    if suffix == ".json":
        return table_from_records(path.name, load_json(path, error), error)
    hint = " (save it from Excel as .xlsx or CSV)" if suffix == ".xls" else ""
    raise error([RowProblem(path.name, 0, "", f"is not a .csv, .xlsx or .json file{hint}")])


def read_bytes(path: Path, error: ErrorType) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise error([RowProblem(path.name, 0, "", f"cannot be read: {exc.strerror}")]) from exc


def decode_text(data: bytes) -> str:
    """Text of a file Excel (or anything else on Windows) may have written.

    UTF-16 with a mark; otherwise drop a UTF-8 mark, try UTF-8, and fall back to Windows-1252
    (Excel's "CSV (Comma delimited)"). The five bytes Windows-1252 leaves undefined map as Latin-1
    does.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors=_LATIN1_FALLBACK)


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


_LATIN1_FALLBACK = "reviewer-app-latin1"
codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)


def load_json(path: Path, error: ErrorType) -> Any:
    """Parse a JSON file; a syntax error is a problem naming its line and column."""
    try:
        return json.loads(decode_text(read_bytes(path, error)))
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON: {exc.msg} (column {exc.colno})"
        raise error([RowProblem(path.name, exc.lineno, "", message, unit="line")]) from None


def _csv_rows(path: Path, error: ErrorType) -> list[tuple[int, list[str]]]:
    text = decode_text(read_bytes(path, error))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        message = f"cannot be read as CSV near line {reader.line_num}: {exc}"
        raise error([RowProblem(path.name, 0, "", message)]) from None


def _delimiter(text: str) -> str:
    # The header line is the best witness: header names rarely hold commas, while requirement text
    # (which csv.Sniffer would also weigh, across quoted line breaks) is full of them.
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    if best == 0:
        return ","
    tied = [d for d, n in counts.items() if n == best]
    if len(tied) == 1:
        return tied[0]
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters="".join(tied)).delimiter
    except csv.Error:
        return ","


def _xlsx_table(path: Path, error: ErrorType) -> Table:
    import openpyxl  # noqa: PLC0415  (only XLSX imports pay for it)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        message = f"cannot be read as an Excel workbook (.xlsx): {exc}"
        raise error([RowProblem(path.name, 0, "", message)]) from exc
    try:
        names = {name.casefold(): name for name in book.sheetnames}
        sheet = book[names.get("standards", book.sheetnames[0])]
        rows = [
            (number, [_cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        ]
    finally:
        book.close()
    table = _table(path.name, rows, error)
    letters = tuple(get_column_letter(i + 1) for i in range(len(table.headers)))
    return replace(table, letters=letters)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def table_from_records(file: str, data: Any, error: ErrorType) -> Table:
    """A JSON list of row objects as a table: keys are headers, in order of first appearance."""
    if not isinstance(data, list):
        raise error([RowProblem(file, 0, "", "expected a list of rows (objects) in JSON")])
    headers: dict[str, None] = {}
    problems = []
    for i, item in enumerate(data, start=1):
        if isinstance(item, Mapping):
            headers.update(dict.fromkeys(str(k) for k in item))
        else:
            problems.append(RowProblem(file, i, "", "expected an object", unit="item"))
    if problems:
        raise error(problems)
    rows = [
        TableRow(i, tuple(_clean(_json_text(item.get(h))) for h in headers))
        for i, item in enumerate(data, start=1)
    ]
    return Table(file, tuple(headers), tuple(r for r in rows if any(r.cells)), 0, unit="item")


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _table(file: str, raw: list[tuple[int, list[str]]], error: ErrorType) -> Table:
    rows = [(n, [_clean(c) for c in cells]) for n, cells in raw]
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        raise error([RowProblem(file, 0, "", "is empty: expected a header row and one row a line")])
    header_row, headers = rows[0]
    width = max(len(cells) for _, cells in rows)
    used = [i for i in range(width) if any(i < len(c) and c[i] for _, c in rows)]
    width = used[-1] + 1 if used else 0  # drop blank trailing columns
    headers = (headers + [""] * width)[:width]
    body = tuple(TableRow(n, tuple((cells + [""] * width)[:width])) for n, cells in rows[1:])
    return Table(file, tuple(headers), body, header_row)


def _clean(cell: str) -> str:
    """Line ends as ``\n``, Excel's ``_x000D_`` escapes gone, and blank lines and spaces trimmed
    from both ends: never tabs, which are the cell boundaries of a table pasted into the cell."""
    text = cell.replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "")
    return text.strip(" \n") if text.strip() else ""


# -- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A field of a row and the header names staff may give it."""

    name: str
    label: str  # the name messages use
    aliases: tuple[str, ...] = ()
    required: bool = False
    noun: str = ""  # what the field is, for messages ("the evidence expected"); from ``name``

    @property
    def what(self) -> str:
        return self.noun or f"the {self.name.replace('_', ' ')}"

    def matches(self, header: str) -> bool:
        key = normalise_header(header)
        names = (self.name, self.label, *self.aliases)
        return bool(key) and key in {normalise_header(n) for n in names}


def normalise_header(header: str) -> str:
    """``"QS Ref."`` and ``"qs_ref"`` both become ``"qsref"``."""
    return re.sub(r"[\W_]+", "", header.casefold())


@dataclass(frozen=True, slots=True)
class Columns:
    """Which column of a table holds each field; ``extra`` are the columns no field claimed."""

    table: Table
    index: Mapping[str, int]
    extra: tuple[int, ...]

    def value(self, row: TableRow, name: str) -> str:
        i = self.index.get(name)
        return "" if i is None else row.cells[i]

    def problem(self, row: TableRow, name: str, message: str) -> RowProblem:
        return self.table.problem(row.number, self.index.get(name), message)


def match_columns(table: Table, columns: Sequence[Column], error: ErrorType) -> Columns:
    """Match headers to ``columns``; headers no column claims are ``extra``.

    Refuses the table, naming the headers, when a required column is missing or when two columns
    match one field (which of them holds it is anybody's guess: Notes and Demonstration of
    Compliance once shared a field, and the leftmost silently won).
    """
    index: dict[str, int] = {}
    extra = []
    problems = []
    for i, header in enumerate(table.headers):
        column = next((c for c in columns if c.matches(header)), None)
        if column is None:
            extra.append(i)
        elif column.name in index:
            problems.append(_twice_message(table, column, index[column.name], i))
        else:
            index[column.name] = i
    missing = [c for c in columns if c.required and c.name not in index]
    if missing:
        problems.insert(0, _missing_message(table, missing))
    if problems:
        raise error([table.problem(table.header_row, None, m) for m in problems])
    return Columns(table, index, tuple(extra))


def _missing_message(table: Table, missing: Sequence[Column]) -> str:
    wanted = "; ".join(
        c.label + (f" (or {', '.join(c.aliases)})" if c.aliases else "") for c in missing
    )
    found = ", ".join(f'"{h}"' for h in table.headers if h) or "none"
    noun = "column" if len(missing) == 1 else "columns"
    return f"missing {noun}: {wanted}. The headers found are: {found}"


def _twice_message(table: Table, column: Column, first: int, second: int) -> str:
    def named(i: int) -> str:
        return f'"{table.headers[i]}"' + ("" if table.unit == "item" else f" ({column_letter(i)})")

    return (
        f"columns {named(first)} and {named(second)} are both {column.what}: rename or remove one"
    )


def column_letter(index: int) -> str:
    """The spreadsheet letter of the 0-based column ``index``: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def split_list(text: str) -> tuple[str, ...]:
    """``"a; b, c"`` -> ``("a", "b", "c")``: blanks and repeats dropped, order kept."""
    return tuple(dict.fromkeys(s.strip() for s in re.split(r"[;,\n]", text) if s.strip()))


def split_entries(text: str) -> tuple[str, ...]:
    """``"a, b; c"`` -> ``("a, b", "c")``: split on ``;`` and line breaks only, never on commas
    (published component names hold them); blanks and repeats dropped, order kept."""
    return tuple(dict.fromkeys(s.strip() for s in re.split(r"[;\n]", text) if s.strip()))


_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0", ""}


def parse_yes_no(text: str) -> bool | None:
    """Y/N, yes/no, true/false, 1/0 in any case; blank is no; anything else is None."""
    value = text.strip().casefold()
    return True if value in _YES else False if value in _NO else None
