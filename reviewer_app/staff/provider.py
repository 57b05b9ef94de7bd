"""What the provider sends: the self-assessment (through a template made for the visit) and
evidence documents (files or folders on this computer, linked to standards).

The template lists every standard the kit will carry, once per component it applies to, with
empty Claim, Comment and Evidence columns for the provider to fill in. It reads back through
``sync.kit_inputs.read_self_assessment`` (what ``reviewer-app kit build`` uses too), so its row
problems look the same: ``template.xlsx, row 7, column "Claim" (D): ...``.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from reviewer_app.staff.planner import EvidenceItem, VisitPlan
from sync.kit_inputs import read_evidence_folder, read_self_assessment, title_from_file_name
from sync.kit_model import EvidenceDoc, SelfAssessmentEntry, StandardsSet

TEMPLATE_HEADERS = ("Ref", "Title", "Component", "Claim", "Comment", "Evidence")
CLAIM_CHOICES = ("Met", "Not met", "N/A")


def template_rows(plan: VisitPlan, standards: StandardsSet) -> list[list[str]]:
    """One row per standard and component, in kit order; claims already known are filled in."""
    kit = plan.kit_standards(standards)
    names = Counter(c.name.casefold() for c in plan.components)
    label = {c.id: c.name if names[c.name.casefold()] == 1 else c.id for c in plan.components}
    known = {(e.ref, e.component): e for e in plan.self_assessment}
    claim_words = {"met": "Met", "not_met": "Not met", "not_applicable": "N/A"}
    rows = []
    for s in kit.standards:
        for cid in s.applies_to:
            entry = known.get((s.ref, cid))
            claim = claim_words.get(entry.claim, "") if entry else ""
            comment = entry.comment if entry else ""
            evidence = "; ".join(entry.evidence) if entry else ""
            rows.append([s.ref, s.title, label[cid], claim, comment, evidence])
    return rows


def write_template(path: Path, plan: VisitPlan, standards: StandardsSet) -> int:
    """Write the template as ``.xlsx`` (with a Met / Not met / N/A list on the Claim column) or
    ``.csv`` (UTF-8 with a byte-order mark, which Excel opens correctly). Returns the rows."""
    path = Path(path)
    rows = template_rows(plan, standards)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, rows)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(TEMPLATE_HEADERS)
            writer.writerows(rows)
    return len(rows)


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 (only an XLSX template pays for it)
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Self-assessment"
    sheet.append(list(TEMPLATE_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for letter, width in zip("ABCDEF", (12, 48, 32, 12, 60, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    choices = DataValidation(
        type="list", formula1='"' + ",".join(CLAIM_CHOICES) + '"', allow_blank=True
    )
    choices.error = "Choose Met, Not met or N/A"
    sheet.add_data_validation(choices)
    choices.add(f"D2:D{len(rows) + 1}")
    sheet.freeze_panes = "A2"
    book.save(path)


def read_filled_template(
    path: Path, plan: VisitPlan, standards: StandardsSet
) -> tuple[SelfAssessmentEntry, ...]:
    """The provider's claims from a filled-in template (or any self-assessment file).

    Raises ``sync.kit_inputs.KitInputError`` listing every row problem.
    """
    return read_self_assessment(Path(path), plan.kit_standards(standards), plan.visit_details())


# -- evidence --------------------------------------------------------------------------------


def _next_ids(plan: VisitPlan, count: int) -> list[str]:
    taken = {e.id for e in plan.evidence}
    out: list[str] = []
    n = 1
    while len(out) < count:
        candidate = f"E{n:03d}"
        if candidate not in taken:
            out.append(candidate)
        n += 1
    return out


def add_evidence_files(plan: VisitPlan, files: list[Path]) -> list[EvidenceItem]:
    """Add documents (a file already in the plan is not added twice); returns the new ones.
    Reads the disk: the window runs ``resolve_files`` on a worker, then ``add_resolved_files``."""
    return add_resolved_files(plan, resolve_files(None, files))


def resolve_files(_store: object, files: list[Path]) -> list[Path]:
    """Each file's full path, links followed, once (touches the disk: run it on the staff
    worker; ``_store`` is the worker's, unused)."""
    return list(dict.fromkeys(Path(p).resolve() for p in files))


def add_resolved_files(plan: VisitPlan, resolved: list[Path]) -> list[EvidenceItem]:
    """Add files ``resolve_files`` answered, skipping those in the plan (no disk access)."""
    known = {e.path for e in plan.evidence}
    fresh = [f for f in resolved if str(f) not in known]
    added = [
        EvidenceItem(i, title_from_file_name(f.name), str(f))
        for i, f in zip(_next_ids(plan, len(fresh)), fresh, strict=True)
    ]
    plan.evidence.extend(added)
    return added


def add_evidence_folder(plan: VisitPlan, folder: Path) -> list[EvidenceItem]:
    """Add a folder of documents: its index (``index.json``/``.csv``/``.xlsx``) when it has one,
    with titles and linked standards; otherwise every document in it, recursively."""
    return add_found_evidence(plan, evidence_in_folder(folder))


def evidence_in_folder(folder: Path) -> list[tuple[EvidenceDoc, Path]]:
    """The documents in a folder (reads the disk: run it off the UI thread). Raises
    ``KitInputError`` naming every problem in a folder's index."""
    return [(d, p.resolve()) for d, p in read_evidence_folder(Path(folder))]


def add_found_evidence(
    plan: VisitPlan, found: list[tuple[EvidenceDoc, Path]]
) -> list[EvidenceItem]:
    """Add what ``evidence_in_folder`` found, skipping files already in the plan (paths in a
    plan are kept resolved, so this compares text and never touches the disk)."""
    known = {e.path for e in plan.evidence}
    found = [(d, p) for d, p in found if str(p) not in known]
    ids = _next_ids(plan, len(found))
    taken = {e.id for e in plan.evidence}
    added = []
    for (doc, path), spare in zip(found, ids, strict=True):
        doc_id = doc.id if doc.id not in taken else spare
        taken.add(doc_id)
        added.append(EvidenceItem(doc_id, doc.title, str(path), list(doc.standards)))
    plan.evidence.extend(added)
    return added


def missing_evidence(plan: VisitPlan) -> list[EvidenceItem]:
    return [e for e in plan.evidence if not Path(e.path).is_file()]


def file_sizes(_store: object, paths: list[str]) -> dict[str, int | None]:
    """Each evidence file's size, None when it is missing (reads the disk: the staff worker
    runs it, so a folder of hundreds on a slow share never freezes the window)."""
    sizes: dict[str, int | None] = {}
    for path in paths:
        try:
            sizes[path] = Path(path).stat().st_size if Path(path).is_file() else None
        except OSError:
            sizes[path] = None
    return sizes
