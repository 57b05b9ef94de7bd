"""Reading the standards spreadsheets programme staff keep (CSV, XLSX, JSON) into a StandardsSet.

``import_standards(path, visit=...)`` is the entry point: a :class:`StandardsImport` holding the
set and what staff should be told about it (``warnings``, never printed here);
``read_standards`` gives the set alone. The rules (DESIGN.md, "Standards spreadsheets"):

- One row per standard; the first non-blank row holds the headers. Headers are matched ignoring
  case, spaces and punctuation, under the names staff already use (:data:`STANDARD_COLUMNS`):
  ``ref`` (Ref, Reference, QS Ref, Standard number), ``section`` (Section, Topic), ``title`` (Title,
  Short title), ``requirement`` (Requirement, Quality Standard, Standard), ``notes`` (Notes,
  Guidance), ``evidence_expected`` (Demonstration of Compliance, Evidence expected, Evidence),
  ``key_standard`` (Key, Key standard: Y/N, yes/no, true/false, 1/0, blank = no) and
  ``applies_to`` (Applies to, Components, Levels). Ref, section, title and requirement are
  required columns. Published standards print Notes before Demonstration of Compliance: the two
  are separate fields, whatever their order, and never taken for each other. Two columns that
  match one field are refused with a sentence naming both headers.
- The Notes cell is the standard's first note, ``("Notes", value)``; every other column is kept as
  a further note ``(header, value)`` where the cell is not empty.
- Applies to: the cell is kept as its entries split on ``;`` and line breaks, never on commas
  (published component names hold them: "Services for Adults, Children and Young People"). Against
  a visit, :func:`match_components` is the one rule, used here and by the staff planner: the cell
  is first matched whole against the visit's component ids and names (any case and spacing), then
  entry by entry, and an entry is split on commas only when every piece is a component. A
  standard naming only what the visit does not review (network, commissioning, another team
  type) is left out of the kit, and one naming some of each keeps the components it names; both
  are reported (:class:`NotReviewed`), never refused. A blank cell means every component.
- Parts (:func:`sync.requirement_parts.split_parts`, where the rules are written down):
  lettered parts on their own lines or inline, roman sub-items nested under their letter and
  labelled ``"a.i"``, the stem before them, table rows (lines with a tab) never parts.
- Cross-references ("see HN-102") stay in the text for the window to link; one naming a ref that
  is not in the set is reported (:class:`CrossReference`).
- A blank section means the section of the row above (spreadsheets often merge section cells).
- Sections keep the order in which they first appear; ``order`` counts standards from 1 in row
  order (the kept ones, against a visit).
- CSV, XLSX and JSON rows are read by :mod:`sync.tables`: UTF-8 with or without a byte-order mark,
  else Windows-1252; CRLF; quoted multi-line cells; blank rows and columns ignored; XLSX: the
  sheet named "Standards", else the first. JSON: either a kit's ``standards.json`` (``{"set": ...,
  "sections": ..., "standards": [...]}``) or a list of row objects keyed by the same headers.
- Every problem in the file is collected before anything is refused; :class:`StandardsImportError`
  then lists them, one per line, as staff would find them: ``standards.csv, row 7, column "Ref":
  ref HN-101 appears twice (first on row 3)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sync.kit_model import (
    Component,
    KitDataError,
    Standard,
    StandardsSet,
    StandardsSetInfo,
    VisitDetails,
)
from sync.requirement_parts import split_parts
from sync.tables import (
    Column,
    Columns,
    InputFileError,
    RowProblem,
    Table,
    TableRow,
    load_json,
    match_columns,
    parse_yes_no,
    read_table,
    split_entries,
    table_from_records,
)

__all__ = [
    "NOTES",
    "REF_ALIASES",
    "STANDARD_COLUMNS",
    "ComponentIndex",
    "ComponentMatch",
    "CrossReference",
    "InputFileError",
    "NotReviewed",
    "StandardsImport",
    "StandardsImportError",
    "cross_references",
    "import_standards",
    "info_from_file_name",
    "match_components",
    "not_reviewed_warnings",
    "read_standards",
    "resolve_standard_components",
    "set_info_with",
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
    Column("notes", "Notes", ("Guidance",)),
    Column("evidence_expected", "Demonstration of Compliance", ("Evidence expected", "Evidence")),
    Column("key_standard", "Key standard", ("Key",)),
    Column(
        "applies_to", "Applies to", ("Components", "Levels"), noun="the components it applies to"
    ),
)

NOTES = "Notes"
"""The name of the note holding the Notes (Guidance) column: always a standard's first note."""

# -- components --------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class ComponentIndex:
    """A visit's components by id, or by id or name in any case and spacing; ids win."""

    def __init__(self, components: Iterable[Component]) -> None:
        components = tuple(components)
        self._ids = {c.id for c in components}
        self._keys: dict[str, str | None] = {}
        for c in components:  # a name two components share names neither
            key = _name_key(c.name)
            self._keys[key] = c.id if self._keys.get(key, c.id) == c.id else None
        self._keys.update({_name_key(c.id): c.id for c in components})
        self.known = ", ".join(f"{c.id} ({c.name})" for c in components)

    def resolve(self, value: str) -> str | None:
        """The component id ``value`` names, or None if it names none (or more than one)."""
        if value in self._ids:
            return value
        return self._keys.get(_name_key(value))

    def unknown_message(self, value: str) -> str:
        return f'"{value}" is not one of the visit\'s components: {self.known}'


@dataclass(frozen=True, slots=True)
class ComponentMatch:
    """What an Applies-to cell names: the visit's components (ids), and names it does not know."""

    ids: tuple[str, ...]
    unknown: tuple[str, ...]


def match_components(entries: Sequence[str], components: ComponentIndex) -> ComponentMatch:
    """The components an Applies-to cell names; ``entries`` as a standard keeps them.

    The one rule for reading Applies to against a visit (module docstring): the cell whole, then
    each entry whole, then an entry's comma pieces when every piece is a component; anything else
    is an unknown name, kept whole. The cell whole is its entries joined by spaces (a name wrapped
    over two lines) or by commas (a set saved when entries were still split at commas).
    """
    for separator in (" ", ", "):
        whole = components.resolve(separator.join(entries)) if len(entries) > 1 else None
        if whole is not None:
            return ComponentMatch((whole,), ())
    ids: list[str] = []
    unknown: list[str] = []
    for entry in entries:
        named = _entry_components(entry, components)
        ids.extend(named)
        if not named:
            unknown.append(entry)
    return ComponentMatch(tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(unknown)))


def _entry_components(entry: str, components: ComponentIndex) -> list[str]:
    whole = components.resolve(entry)
    if whole is not None:
        return [whole]
    pieces = [components.resolve(p) for p in entry.split(",") if p.strip()]
    ids = [p for p in pieces if p is not None]
    return ids if len(pieces) > 1 and len(ids) == len(pieces) else []


@dataclass(frozen=True, slots=True)
class NotReviewed:
    """A standard whose Applies to names ``names``, which are none of the visit's components.

    ``left_out``: it names nothing the visit reviews, so the kit leaves it out; otherwise the
    kit keeps it for the components it does name.
    """

    ref: str
    names: tuple[str, ...]
    left_out: bool


def not_reviewed_warnings(items: Sequence[NotReviewed]) -> tuple[str, ...]:
    """What staff are told about ``items``: one sentence for those left out, one for the rest."""
    left = [i for i in items if i.left_out]
    kept = [i for i in items if not i.left_out]
    warnings = []
    if left:
        warnings.append(
            f"{_standards(len(left))} left out of the kit, as Applies to names only what this "
            f"visit does not review: {_listing(left)}; add the component to the visit if it "
            "should be reviewed."
        )
    if kept:
        warnings.append(
            f"{_standards(len(kept))} kept for this visit's components only, without the rest "
            f"of what Applies to names: {_listing(kept)}; add the component to the visit if it "
            "should be reviewed."
        )
    return tuple(warnings)


def _standards(n: int) -> str:
    return "1 standard is" if n == 1 else f"{n} standards are"


def _listing(items: Sequence[NotReviewed]) -> str:
    def names(item: NotReviewed) -> str:
        return ", ".join(f'"{n}"' for n in item.names)

    return ", ".join(f"{i.ref} ({names(i)})" for i in items)


# -- cross-references ---------------------------------------------------------------------------

_SEE = re.compile(r"\b(?i:see)\s+(?:(?i:also)\s+)?([A-Z][A-Z0-9]*-\d+(?:[.-]\d+)*)")


@dataclass(frozen=True, slots=True)
class CrossReference:
    """Standard ``ref`` says "see ``target``", and the set has no standard ``target``."""

    ref: str
    target: str

    @property
    def warning(self) -> str:
        return (
            f'{self.ref} says "see {self.target}", but {self.target} is not one of these '
            "standards: check the reference."
        )


def cross_references(standards: StandardsSet) -> tuple[CrossReference, ...]:
    """Every "see <ref>" in a standard's text that names a ref the set does not have."""
    refs = {s.ref for s in standards.standards}
    found = []
    for s in standards.standards:
        texts = [s.requirement, *(p.text for p in s.parts), s.evidence_expected]
        targets = (m.group(1) for t in texts + [v for _, v in s.notes] for m in _SEE.finditer(t))
        found += [CrossReference(s.ref, t) for t in dict.fromkeys(targets) if t not in refs]
    return tuple(found)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardsImport:
    """A standards file as read: the set (the kit's, given a visit) and what staff are told."""

    standards: StandardsSet
    not_reviewed: tuple[NotReviewed, ...] = ()
    cross_references: tuple[CrossReference, ...] = ()

    @property
    def left_out(self) -> tuple[str, ...]:
        """The refs left out because they apply only to what the visit does not review."""
        return tuple(i.ref for i in self.not_reviewed if i.left_out)

    @property
    def warnings(self) -> tuple[str, ...]:
        """One sentence each, for ``warning: ...`` lines or a pre-flight list."""
        return not_reviewed_warnings(self.not_reviewed) + tuple(
            c.warning for c in self.cross_references
        )


def import_standards(
    path: Path, *, set_info: StandardsSetInfo | None = None, visit: VisitDetails | None = None
) -> StandardsImport:
    """Read a standards file (``.csv``, ``.xlsx`` or ``.json``; see the module docstring).

    ``set_info`` names the set. Without it, a kit-shaped JSON file keeps its own ``set``; any other
    file gets id and title from its name (``HN_standards-v4.csv``: id ``hn-standards-v4``, title
    "HN standards v4") and version "1". Given ``visit``, the set is the kit's
    (:func:`resolve_standard_components`): ``applies_to`` as component ids, and the standards for
    what the visit does not review left out and reported.

    Raises :class:`StandardsImportError` listing every problem found.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = load_json(path, StandardsImportError)
        if isinstance(data, Mapping):
            standards = _from_kit_json(path.name, data, set_info)
        else:
            table = table_from_records(path.name, data, StandardsImportError)
            standards = standards_from_table(table, set_info or info_from_file_name(path))
    else:
        table = read_table(path, StandardsImportError)
        standards = standards_from_table(table, set_info or info_from_file_name(path))
    if visit is None:
        return StandardsImport(standards, cross_references=cross_references(standards))
    return resolve_standard_components(standards, visit, file=path.name)


def read_standards(
    path: Path, *, set_info: StandardsSetInfo | None = None, visit: VisitDetails | None = None
) -> StandardsSet:
    """The set :func:`import_standards` reads, without what staff should be told about it.

    Without ``visit`` (the standards library) nothing is left out. With one, use
    ``import_standards`` to tell staff which standards are left out.
    """
    return import_standards(path, set_info=set_info, visit=visit).standards


def info_from_file_name(path: Path) -> StandardsSetInfo:
    words = " ".join(re.split(r"[_\-\s]+", path.stem)).strip() or "Standards"
    return StandardsSetInfo(id=_slug(words), title=words, version="1")


def set_info_with(
    info: StandardsSetInfo, *, title: str = "", version: str = "", date: str = ""
) -> StandardsSetInfo:
    """``info`` with the name, version and date staff gave (blank keeps what it had).

    A new title makes a new id from it, as the standards library keys sets by title.
    """
    title, version, date = title.strip(), version.strip(), date.strip()
    return StandardsSetInfo(
        id=_slug(title) if title else info.id,
        title=title or info.title,
        version=version or info.version,
        date=date or info.date,
    )


def _slug(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", words.casefold()).strip("-") or "standards"


def _from_kit_json(
    file: str, data: Mapping[str, Any], set_info: StandardsSetInfo | None
) -> StandardsSet:
    if set_info is not None:
        data = {**data, "set": set_info.to_dict()}
    try:
        return StandardsSet.from_dict(data, "standards")
    except KitDataError as exc:
        raise StandardsImportError([RowProblem(file, 0, "", str(exc))]) from None


def resolve_standard_components(
    standards: StandardsSet, visit: VisitDetails, *, file: str = "standards"
) -> StandardsImport:
    """``standards`` as ``visit``'s kit carries them, by :func:`match_components`.

    Each ``applies_to`` becomes component ids (blank stays blank: every component); a standard
    naming only what the visit does not review is left out, and ``order`` and ``sections`` follow
    the standards kept. Refused (a :class:`StandardsImportError` naming ``file``) only when that
    leaves nothing: then the visit's components and the set's names do not fit at all.
    """
    index = ComponentIndex(visit.components)
    kept: list[Standard] = []
    not_reviewed = []
    for s in standards.standards:
        match = match_components(s.applies_to, index)
        if match.unknown:
            not_reviewed.append(NotReviewed(s.ref, match.unknown, left_out=not match.ids))
        if match.ids or not s.applies_to:
            kept.append(replace(s, applies_to=match.ids, order=len(kept) + 1))
    if standards.standards and not kept:
        names = sorted({n for i in not_reviewed for n in i.names})
        message = (
            f"no standard applies to this visit: Applies to names {', '.join(names)}, and the "
            f"visit's components are {index.known}; make the names match"
        )
        raise StandardsImportError([RowProblem(file, 0, "", message)])
    sections = tuple(sec for sec in standards.sections if any(s.section == sec for s in kept))
    result = replace(standards, sections=sections, standards=tuple(kept))
    return StandardsImport(result, tuple(not_reviewed), cross_references(result))


def standards_from_table(table: Table, info: StandardsSetInfo) -> StandardsSet:
    """Build the set from a table's rows, collecting every problem before refusing."""
    cols = match_columns(table, STANDARD_COLUMNS, StandardsImportError)
    problems: list[RowProblem] = []
    first_row: dict[str, int] = {}
    standards: list[Standard] = []
    section = ""
    for row in table.rows:
        section = cols.value(row, "section") or section
        problems += _row_problems(cols, row, section, first_row)
        standards.append(_standard(cols, row, section, order=len(standards) + 1))
    if problems:
        raise StandardsImportError(problems)
    if not standards:
        raise StandardsImportError(
            [table.problem(table.header_row, None, "has headers but no standards below them")]
        )
    sections = tuple(dict.fromkeys(s.section for s in standards))
    return StandardsSet(info=info, sections=sections, standards=tuple(standards))


def _row_problems(
    cols: Columns, row: TableRow, section: str, first_row: dict[str, int]
) -> list[RowProblem]:
    """What is wrong with one row; ``first_row`` (ref -> row number) grows as refs are seen."""
    problems = [
        cols.problem(row, name, f"the {name} is empty")
        for name in ("ref", "title", "requirement")
        if not cols.value(row, name)
    ]
    if not section:
        problems.append(cols.problem(row, "section", "the section is empty"))
    ref = cols.value(row, "ref")
    if ref in first_row:
        message = f"ref {ref} appears twice (first on {cols.table.unit} {first_row[ref]})"
        problems.append(cols.problem(row, "ref", message))
    elif ref:
        first_row[ref] = row.number
    key = cols.value(row, "key_standard")
    if parse_yes_no(key) is None:
        message = f'key standard "{key}" is not Y/N, yes/no, true/false or 1/0 (blank means no)'
        problems.append(cols.problem(row, "key_standard", message))
    return problems


def _standard(cols: Columns, row: TableRow, section: str, order: int) -> Standard:
    stem, parts = split_parts(cols.value(row, "requirement"))
    notes = cols.value(row, "notes")
    extra = tuple(
        (cols.table.headers[i] or f"Column {cols.table.letter(i) or i + 1}", row.cells[i])
        for i in cols.extra
        if row.cells[i]
    )
    return Standard(
        ref=cols.value(row, "ref"),
        section=section,
        title=cols.value(row, "title"),
        requirement=stem,
        parts=parts,
        evidence_expected=cols.value(row, "evidence_expected"),
        key=bool(parse_yes_no(cols.value(row, "key_standard"))),
        applies_to=split_entries(cols.value(row, "applies_to")),
        order=order,
        notes=(((NOTES, notes),) if notes else ()) + extra,
    )
