"""Reading the standards spreadsheets programme staff keep (CSV, XLSX, JSON) into a StandardsSet.

``read_standards(path)`` is the entry point. The rules (DESIGN.md, "Standards spreadsheets"):

- One row per standard; the first non-blank row holds the headers. Headers are matched ignoring
  case, spaces and punctuation, under the names staff already use (:data:`STANDARD_COLUMNS`):
  ``ref`` (Ref, Reference, QS Ref, Standard number), ``section`` (Section, Topic), ``title`` (Title,
  Short title), ``requirement`` (Requirement, Quality Standard, Standard), ``evidence_expected``
  (Demonstration of Compliance, Evidence, Notes), ``key_standard`` (Key, Key standard: Y/N, yes/no,
  true/false, 1/0, blank = no) and ``applies_to`` (Applies to, Components, Levels: a list separated
  by commas or semicolons). Ref, section, title and requirement are required columns. If two columns
  name the same field, the leftmost is used and the other is kept as a note.
- Other columns are kept as the standard's ``notes`` (header, value) where the cell is not empty.
- A requirement's lettered parts may sit on their own lines in the cell (``a. ...``,
  ``b) ...``, ``(c) ...``, any case, leading spaces allowed). They become ``parts`` (label in lower
  case) and the text before the first part stays as ``requirement``. Parts must run a, b, c, ...
  in order: a line that looks like a label out of sequence (say a roman ``i)`` inside part b) is a
  continuation line, and continuation lines belong to the part above. If a cell has parts but no
  text before them, the whole cell is kept as the requirement, unsplit (a standard always has
  requirement text).
- A blank section means the section of the row above (spreadsheets often merge section cells).
- Sections keep the order in which they first appear; ``order`` counts standards from 1 in row
  order.
- CSV: UTF-8 with or without a byte-order mark, else Windows-1252 (also after a stray UTF-8 mark);
  UTF-16 with a mark. The delimiter is whichever of ``,`` ``;`` or tab the header line uses most
  (``csv.Sniffer`` breaks a tie; comma if all else fails). Blank rows and blank, unnamed columns are
  ignored anywhere. XLSX: the sheet named "Standards" (any case), else the first sheet.
- JSON: either a kit's ``standards.json`` (``{"set": ..., "sections": ..., "standards": [...]}``) or
  a list of row objects keyed by the same header names as a spreadsheet.
- Every problem in the file is collected before anything is refused; :class:`StandardsImportError`
  then lists them, one per line, as staff would find them: ``standards.csv, row 7, column "Ref":
  ref HN-101 appears twice (first on row 3)``. Rows are numbered as the spreadsheet shows them (the
  header is row 1); XLSX problems also give the column letter; JSON rows are "items" counted from 1.

The table reading and header matching (encodings, delimiters, XLSX, JSON rows, problems) live
in :mod:`sync.tables`, shared with :mod:`sync.kit_inputs`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sync.kit_model import (
    KitDataError,
    Part,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.tables import (
    Column,
    InputFileError,
    RowProblem,
    Table,
    load_json,
    match_columns,
    parse_yes_no,
    read_table,
    split_list,
    table_from_records,
)

__all__ = [
    "REF_ALIASES",
    "STANDARD_COLUMNS",
    "ComponentIndex",
    "InputFileError",
    "StandardsImportError",
    "info_from_file_name",
    "read_standards",
    "resolve_standard_components",
    "split_parts",
    "standards_from_table",
]


class StandardsImportError(InputFileError):
    """A standards file could not be imported; ``problems`` says every reason."""


# -- columns -----------------------------------------------------------------------------------

REF_ALIASES = ("Reference", "QS Ref", "Standard number")

STANDARD_COLUMNS = (
    Column("ref", "Ref", REF_ALIASES, required=True),
    Column("section", "Section", ("Topic",), required=True),
    Column("title", "Title", ("Short title",), required=True),
    Column("requirement", "Requirement", ("Quality Standard", "Standard"), required=True),
    Column("evidence_expected", "Demonstration of Compliance", ("Evidence", "Notes")),
    Column("key_standard", "Key standard", ("Key",)),
    Column("applies_to", "Applies to", ("Components", "Levels")),
)


# -- components --------------------------------------------------------------------------------


class ComponentIndex:
    """A visit's components by id, or by id or name in any case; ids win over names."""

    def __init__(self, visit: VisitDetails) -> None:
        self._ids = {c.id for c in visit.components}
        self._keys: dict[str, str | None] = {}
        for c in visit.components:
            self._keys.setdefault(c.name.casefold(), c.id)
            if self._keys[c.name.casefold()] != c.id:
                self._keys[c.name.casefold()] = None  # two components share this name
        self._keys.update({c.id.casefold(): c.id for c in visit.components})
        self.known = ", ".join(f"{c.id} ({c.name})" for c in visit.components)

    def resolve(self, value: str) -> str | None:
        """The component id ``value`` names, or None if it names none (or more than one)."""
        if value in self._ids:
            return value
        return self._keys.get(value.strip().casefold())

    def unknown_message(self, value: str) -> str:
        return f'"{value}" is not one of the visit\'s components: {self.known}'


# -- standards ---------------------------------------------------------------------------------


def read_standards(
    path: Path, *, set_info: StandardsSetInfo | None = None, visit: VisitDetails | None = None
) -> StandardsSet:
    """Read a standards file (``.csv``, ``.xlsx`` or ``.json``; see the module docstring).

    ``set_info`` names the set. Without it, a kit-shaped JSON file keeps its own ``set``; any other
    file gets id and title from its name (``HN_standards-v4.csv``: id ``hn-standards-v4``, title
    "HN standards v4") and version "1". Given ``visit``, each standard's ``applies_to`` is mapped
    to component ids (ids or names, any case), and a component the visit lacks is a problem.

    Raises :class:`StandardsImportError` listing every problem found.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = load_json(path, StandardsImportError)
        if isinstance(data, Mapping):
            return _from_kit_json(path.name, data, set_info, visit)
        table = table_from_records(path.name, data, StandardsImportError)
    else:
        table = read_table(path, StandardsImportError)
    return standards_from_table(table, set_info or info_from_file_name(path), visit)


def info_from_file_name(path: Path) -> StandardsSetInfo:
    words = " ".join(re.split(r"[_\-\s]+", path.stem)).strip() or "Standards"
    slug = re.sub(r"[^a-z0-9]+", "-", words.casefold()).strip("-") or "standards"
    return StandardsSetInfo(id=slug, title=words, version="1")


def _from_kit_json(
    file: str,
    data: Mapping[str, Any],
    set_info: StandardsSetInfo | None,
    visit: VisitDetails | None,
) -> StandardsSet:
    if set_info is not None:
        data = {**data, "set": set_info.to_dict()}
    try:
        standards = StandardsSet.from_dict(data, "standards")
    except KitDataError as exc:
        raise StandardsImportError([RowProblem(file, 0, "", str(exc))]) from None
    if visit is None:
        return standards
    return resolve_standard_components(standards, visit, file=file)


def resolve_standard_components(
    standards: StandardsSet, visit: VisitDetails, *, file: str = "standards"
) -> StandardsSet:
    """``standards`` with every ``applies_to`` given as component ids.

    Problems name the standard's ref (a set read elsewhere has no row numbers).
    """
    components = ComponentIndex(visit)
    problems: list[RowProblem] = []
    resolved = []
    for s in standards.standards:
        ids = []
        for value in s.applies_to:
            cid = components.resolve(value)
            if cid is None:
                message = f"standard {s.ref}: {components.unknown_message(value)}"
                problems.append(RowProblem(file, 0, "", message))
            else:
                ids.append(cid)
        resolved.append(replace(s, applies_to=tuple(dict.fromkeys(ids))))
    if problems:
        raise StandardsImportError(problems)
    return replace(standards, standards=tuple(resolved))


def standards_from_table(
    table: Table, info: StandardsSetInfo, visit: VisitDetails | None = None
) -> StandardsSet:
    """Build the set from a table's rows, collecting every problem before refusing."""
    cols = match_columns(table, STANDARD_COLUMNS, StandardsImportError)
    components = ComponentIndex(visit) if visit is not None else None
    problems: list[RowProblem] = []
    first_row: dict[str, int] = {}
    standards: list[Standard] = []
    section = ""
    for row in table.rows:
        ref, title, requirement = (cols.value(row, n) for n in ("ref", "title", "requirement"))
        for name, value in (("ref", ref), ("title", title), ("requirement", requirement)):
            if not value:
                problems.append(cols.problem(row, name, f"the {name} is empty"))
        section = cols.value(row, "section") or section
        if not section:
            problems.append(cols.problem(row, "section", "the section is empty"))
        if ref in first_row:
            message = f"ref {ref} appears twice (first on {table.unit} {first_row[ref]})"
            problems.append(cols.problem(row, "ref", message))
        elif ref:
            first_row[ref] = row.number
        key = parse_yes_no(cols.value(row, "key_standard"))
        if key is None:
            message = (
                f'key standard "{cols.value(row, "key_standard")}" is not Y/N, yes/no, '
                "true/false or 1/0 (blank means no)"
            )
            problems.append(cols.problem(row, "key_standard", message))
        applies_to = split_list(cols.value(row, "applies_to"))
        if components is not None:
            for value in applies_to:
                if components.resolve(value) is None:
                    message = components.unknown_message(value)
                    problems.append(cols.problem(row, "applies_to", message))
            applies_to = tuple(dict.fromkeys(components.resolve(v) or v for v in applies_to))
        stem, parts = split_parts(requirement)
        standards.append(
            Standard(
                ref=ref,
                section=section,
                title=title,
                requirement=stem,
                parts=parts,
                evidence_expected=cols.value(row, "evidence_expected"),
                key=bool(key),
                applies_to=applies_to,
                order=len(standards) + 1,
                notes=tuple(
                    (table.headers[i] or f"Column {table.letter(i) or i + 1}", row.cells[i])
                    for i in cols.extra
                    if row.cells[i]
                ),
            )
        )
    if problems:
        raise StandardsImportError(problems)
    if not standards:
        raise StandardsImportError(
            [table.problem(table.header_row, None, "has headers but no standards below them")]
        )
    sections = tuple(dict.fromkeys(s.section for s in standards))
    return StandardsSet(info=info, sections=sections, standards=tuple(standards))


_PART_LINE = re.compile(r"^\s*(?:\(([A-Za-z])\)|([A-Za-z])[.)])\s+(\S.*)$")


def split_parts(cell: str) -> tuple[str, tuple[Part, ...]]:
    """Split a requirement cell into its stem and lettered parts a, b, c, ... (module docstring)."""
    stem: list[str] = []
    parts: list[tuple[str, list[str]]] = []
    for line in cell.split("\n"):
        match = _PART_LINE.match(line)
        label = (match.group(1) or match.group(2)).lower() if match else ""
        if match and label == chr(ord("a") + len(parts)):
            parts.append((label, [match.group(3).strip()]))
        elif parts:
            if line.strip():
                parts[-1][1].append(line.strip())
        else:
            stem.append(line.rstrip())
    text = "\n".join(stem).strip()
    if not parts or not text:
        return cell.strip(), ()
    return text, tuple(Part(label, "\n".join(lines)) for label, lines in parts)
