"""The other inputs of ``reviewer-app kit build``: visit details, self-assessment, evidence folder.

Spreadsheet-like inputs (CSV, XLSX, a JSON list of row objects) are read by the same code as the
standards (:mod:`sync.tables`, also used by :mod:`sync.standards_import`): the same encodings,
header matching and row numbering, and every problem collected before anything is refused, in a
:class:`KitInputError`. That and :class:`~sync.standards_import.StandardsImportError` share the
base :class:`~sync.tables.InputFileError`, which is what a caller catches to show staff a list of
problems.

Which components a standard applies to is decided against the visit by
:func:`~sync.standards_import.match_components` (the rule every reader of Applies to shares):
:func:`resolve_components` leaves out the standards for what the visit does not review and says
so, and :func:`read_self_assessment` skips the provider's rows for those standards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sync.kit_model import (
    EvidenceDoc,
    KitDataError,
    SelfAssessmentEntry,
    StandardsSet,
    VisitDetails,
)
from sync.standards_import import (
    REF_ALIASES,
    ComponentIndex,
    StandardsImport,
    resolve_standard_components,
)
from sync.tables import (
    Column,
    InputFileError,
    RowProblem,
    Table,
    load_json,
    match_columns,
    read_table,
    split_list,
)

INDEX_FILES = ("index.json", "index.csv", "index.xlsx")
"""Names an evidence folder's index may have, in order of preference."""

SELF_ASSESSMENT_COLUMNS = (
    Column("ref", "Ref", REF_ALIASES, required=True),
    Column("component", "Component", ("Service", "Level")),
    Column("claim", "Claim", ("Self-assessment", "Self assessment", "Compliance"), required=True),
    Column("comment", "Comment", ("Comments",)),
    Column("evidence", "Evidence", ("Evidence ids", "Documents")),
)

EVIDENCE_INDEX_COLUMNS = (
    Column("id", "Id", ("Evidence id", "Document id")),
    Column("title", "Title", ("Document", "Name")),
    Column("file", "File", ("File name", "Path"), required=True),
    Column("standards", "Standards", ("Refs", "Supports")),
)

_CLAIMS = {
    "met": "met",
    "notmet": "not_met",
    "na": "not_applicable",
    "notapplicable": "not_applicable",
}


class KitInputError(InputFileError):
    """An input of ``kit build`` other than the standards has problems; ``str()`` lists them."""


@dataclass(frozen=True, slots=True)
class VisitInput:
    """A visit file as read; ``visit_id_generated`` means the file had no ``visit_id``."""

    visit: VisitDetails
    visit_id_generated: bool
    file: str

    @property
    def warnings(self) -> tuple[str, ...]:
        """What staff should be told: a generated visit id must be written back to keep it."""
        if not self.visit_id_generated:
            return ()
        return (
            f'{self.file} has no visit_id, so this visit is now "{self.visit.visit_id}". '
            f'Add "visit_id": "{self.visit.visit_id}" to {self.file}: a re-issued kit must keep '
            "the same visit id, or reviewers' work will not carry over.",
        )


def read_visit(path: Path) -> VisitInput:
    """Read ``visit.json`` (:meth:`VisitDetails.from_dict`).

    A missing or blank ``visit_id`` is given a fresh UUID, and the result says so (the file is
    not changed: see :attr:`VisitInput.warnings`). Raises :class:`KitInputError` for a file that
    cannot be read, bad JSON (line and column) or a bad value (its path, such as
    ``visit.team[2].name``).
    """
    path = Path(path)
    data = load_json(path, KitInputError)
    generated = isinstance(data, Mapping) and not str(data.get("visit_id") or "").strip()
    if generated:
        data = {**data, "visit_id": str(uuid.uuid4())}
    try:
        visit = VisitDetails.from_dict(data, "visit")
    except KitDataError as exc:
        raise KitInputError([RowProblem(path.name, 0, "", str(exc))]) from None
    return VisitInput(visit, generated, path.name)


def resolve_components(
    standards: StandardsSet, visit: VisitDetails, *, file: str = "standards"
) -> StandardsImport:
    """``standards`` as ``visit``'s kit carries them: every ``applies_to`` entry a component id.

    Entries may name a component by id or by name, in any case (published names hold commas).
    A standard naming only what the visit does not review is left out, and one naming some of
    each keeps what it names; ``.warnings`` of the result tell staff, ``.left_out`` lists the
    refs. See :func:`~sync.standards_import.resolve_standard_components`, which this is.
    """
    return resolve_standard_components(standards, visit, file=file)


def read_self_assessment(
    path: Path, standards: StandardsSet, visit: VisitDetails, *, left_out: Collection[str] = ()
) -> tuple[SelfAssessmentEntry, ...]:
    """Read the provider's self-assessment: CSV, XLSX or a JSON list of entries.

    Columns: ref, component (id or name, any case; may be left out when the visit reviews one
    component), claim (Met / Not met / N/A / Not applicable, any case, or the kit's own ``met``,
    ``not_met``, ``not_applicable``), comment, evidence (document ids separated by ``;`` or ``,``).
    A row with no claim, comment or evidence is skipped (templates list every standard), and so
    is a row for a ref in ``left_out`` (standards left out of the kit: staff are told about them
    already). Unknown refs or components, bad claims and repeated ref-and-component pairs are
    problems.
    """
    path = Path(path)
    table = read_table(path, KitInputError)
    cols = match_columns(table, SELF_ASSESSMENT_COLUMNS, KitInputError)
    refs = {s.ref for s in standards.standards}
    components = ComponentIndex(visit.components)
    only = visit.components[0].id if len(visit.components) == 1 else None
    problems: list[RowProblem] = []
    first_row: dict[tuple[str, str], int] = {}
    entries = []
    for row in table.rows:
        ref, component, claim, comment, evidence = (
            cols.value(row, c.name) for c in SELF_ASSESSMENT_COLUMNS
        )
        if not (claim or comment or evidence) or ref in left_out:
            continue
        if not ref:
            problems.append(cols.problem(row, "ref", "the ref is empty"))
        elif ref not in refs:
            problems.append(cols.problem(row, "ref", f"ref {ref} is not one of the standards"))
        cid = components.resolve(component) if component else only
        if cid is None:
            message = (
                components.unknown_message(component)
                if component
                else (f"the component is empty; this visit reviews {components.known}")
            )
            problems.append(cols.problem(row, "component", message))
        value = _CLAIMS.get(re.sub(r"[\W_]+", "", claim.casefold()))
        if value is None:
            message = f'claim "{claim}" is not Met, Not met, N/A or Not applicable'
            problems.append(cols.problem(row, "claim", message))
        key = (ref, cid or component)
        if key in first_row:
            message = (
                f"ref {ref} for {cid or component} appears twice "
                f"(first on {table.unit} {first_row[key]})"
            )
            problems.append(cols.problem(row, "ref", message))
        else:
            first_row[key] = row.number
        if ref in refs and cid is not None and value is not None:
            entries.append(SelfAssessmentEntry(ref, cid, value, comment, split_list(evidence)))
    if problems:
        raise KitInputError(problems)
    return tuple(entries)


def read_evidence_folder(folder: Path) -> list[tuple[EvidenceDoc, Path]]:
    """The provider's evidence documents in ``folder``, each with the file to pack.

    With an index (``index.json``: a list of ``{id, title, file, standards}``; or ``index.csv`` /
    ``index.xlsx`` with those columns, standards separated by ``;`` or ``,``), exactly the files it
    lists, ``file`` relative to the folder. A blank id becomes ``E001``... by row; a blank title
    comes from the file name. Missing files, paths outside the folder and repeated ids are problems.

    Without an index, every regular file under the folder (recursively, sorted by path), skipping
    hidden files and folders, symbolic links and Office's ``~$`` lock, ``Thumbs.db`` and
    ``desktop.ini`` files: ids ``E001``, ``E002``..., title from the file name (``_`` and ``-`` as
    spaces, no suffix), no standards. ``EvidenceDoc.file`` is always the path relative to the
    folder, with ``/`` separators.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KitInputError([RowProblem(str(folder), 0, "", "is not a folder")])
    index = next((folder / n for n in INDEX_FILES if (folder / n).is_file()), None)
    if index is not None:
        return _from_index(folder, read_table(index, KitInputError))
    files = sorted(
        (p for p in folder.rglob("*") if _is_document(p.relative_to(folder), p)),
        key=lambda p: p.relative_to(folder).as_posix().casefold(),
    )
    docs = []
    for i, path in enumerate(files, start=1):
        relative = path.relative_to(folder).as_posix()
        docs.append((EvidenceDoc(f"E{i:03d}", title_from_file_name(path.name), relative), path))
    return docs


def title_from_file_name(name: str) -> str:
    """``"Annual_report-2023.pdf"`` -> ``"Annual report 2023"``."""
    return " ".join(re.split(r"[_\-\s]+", PurePosixPath(name).stem)).strip() or name


def _is_document(relative: Path, path: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return False
    if relative.name.startswith("~$") or relative.name.casefold() in ("thumbs.db", "desktop.ini"):
        return False
    return path.is_file() and not path.is_symlink()


def _from_index(folder: Path, table: Table) -> list[tuple[EvidenceDoc, Path]]:
    cols = match_columns(table, EVIDENCE_INDEX_COLUMNS, KitInputError)
    root = folder.resolve()
    problems: list[RowProblem] = []
    first_row: dict[str, int] = {}
    out = []
    for n, row in enumerate(table.rows, start=1):
        doc_id = cols.value(row, "id") or f"E{n:03d}"
        file = cols.value(row, "file").replace("\\", "/")
        if doc_id in first_row:
            first = f"{table.unit} {first_row[doc_id]}"
            message = f"evidence id {doc_id} appears twice (first on {first})"
            problems.append(cols.problem(row, "id", message))
        else:
            first_row[doc_id] = row.number
        relative = PurePosixPath(file)
        target = folder.joinpath(*relative.parts)
        if not file:
            problems.append(cols.problem(row, "file", "the file is empty"))
            continue
        if relative.is_absolute() or ".." in relative.parts or re.match(r"^[A-Za-z]:", file):
            message = f'"{file}" must be a path inside the evidence folder, like "policies/a.pdf"'
            problems.append(cols.problem(row, "file", message))
            continue
        if not target.is_file() or not target.resolve().is_relative_to(root):
            problems.append(cols.problem(row, "file", f'"{file}" is not in {folder.name}'))
            continue
        title = cols.value(row, "title") or title_from_file_name(relative.name)
        standards = split_list(cols.value(row, "standards"))
        out.append((EvidenceDoc(doc_id, title, relative.as_posix(), standards), target))
    if problems:
        raise KitInputError(problems)
    return out
