"""The provider's part: the self-assessment (a template exported for this visit, filled in by
the provider, imported back with row-level problems) and the evidence documents (files or
folders, each linked to the standards it supports).

Files are read and written off the UI thread; the answers come back through
``ui.operations.TaskOp`` (``ui.staff.common.then``), and a failure is told once, in a message,
except a filled-in template's problems, listed on the tab itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QGroupBox, QLabel, QListWidget, QVBoxLayout, QWidget

from reviewer_app.staff import provider
from reviewer_app.staff.build import nice_size
from reviewer_app.staff.planner import EvidenceItem, SelfAssessmentEntry, VisitPlan
from ui.dialogs.base import warning_colour
from ui.errors import report_error
from ui.operations import TaskOp
from ui.staff.common import (
    Col,
    RecordModel,
    busy_bar,
    button,
    button_row,
    choose_folder,
    choose_open_file,
    choose_open_files,
    choose_save_file,
    selected_row,
    status_label,
    table,
    then,
)

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor

TEMPLATE_FILTER = "Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)"
FILLED_FILTER = "Spreadsheets (*.xlsx *.csv *.json);;All files (*)"


MISSING = "MISSING"


class ProviderTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Self-assessment and evidence")
        self.status = status_label(self, "Provider status")
        # Evidence file sizes, looked up on the staff worker (None: missing; absent: not yet).
        self.sizes: dict[str, int | None] = {}
        self.busy = busy_bar(self, "Looking at the evidence files")
        self._pending = 0  # file jobs on the worker
        self._note = ""  # what was just done, said before the files' summary
        layout = QVBoxLayout(self)
        sa = QGroupBox("The provider's self-assessment", self)
        sa_layout = QVBoxLayout(sa)
        self.sa_summary = QLabel(sa)
        self.sa_summary.setWordWrap(True)
        self.sa_summary.setAccessibleName("Self-assessment summary")
        self.export_button = button(
            sa,
            "E&xport blank template…",
            self.export_template,
            "A spreadsheet listing this visit's standards for the provider",
        )
        self.import_button = button(sa, "&Import filled template…", self.import_template)
        self.sa_problems = QListWidget(sa)
        self.sa_problems.setAccessibleName("Problems in the self-assessment")
        self.sa_problems.setStyleSheet(f"color: {warning_colour(self)};")
        self.sa_problems.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.sa_problems.setVisible(False)
        sa_layout.addWidget(self.sa_summary)
        sa_layout.addLayout(button_row(self.export_button, self.import_button))
        sa_layout.addWidget(self.sa_problems)
        layout.addWidget(sa)
        ev = QGroupBox("Evidence documents", self)
        ev_layout = QVBoxLayout(ev)
        self.ev_model = RecordModel(
            [
                Col("Id", lambda e: e.id),
                Col("Title", lambda e: e.title, edit=self._edit_title),
                Col("Size", self._size, tip=lambda e: e.path),
                Col("File", lambda e: Path(e.path).name, tip=lambda e: e.path),
                Col("Supports standards", lambda e: ", ".join(e.standards), edit=self._edit_links),
            ],
            self,
        )
        self.ev_view = table(ev, self.ev_model, "Evidence documents")
        self.ev_model.rejected.connect(self.status.setText)
        ev_layout.addWidget(
            QLabel(
                "Double-click Supports standards to link a document (refs separated by commas).", ev
            )
        )
        ev_layout.addWidget(self.ev_view, 1)
        self.add_files_button = button(ev, "Add &files…", self.add_files)
        self.add_folder_button = button(
            ev,
            "Add a f&older…",
            self.add_folder,
            "Every document in it, or as its index file lists",
        )
        self.remove_button = button(ev, "&Remove", self.remove)
        ev_layout.addLayout(
            button_row(self.add_files_button, self.add_folder_button, self.remove_button)
        )
        layout.addWidget(ev, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        plan = self.editor.plan
        claims = len(plan.self_assessment)
        components = len({(e.component) for e in plan.self_assessment})
        if self.editor.standards is None:
            self.sa_summary.setText(
                "Choose the standards first (Standards tab): the template "
                "lists the standards this visit reviews."
            )
        elif claims:
            self.sa_summary.setText(
                f"{claims} claims from the provider, for {components} "
                "components. Importing a template again replaces them."
            )
        else:
            self.sa_summary.setText(
                "No self-assessment yet: export the blank template, send "
                "it to the provider, and import it when it comes back."
            )
        for b in (self.export_button, self.import_button):
            b.setEnabled(self.editor.standards is not None)
        self._show_evidence()
        self._look_at_files()

    def _size(self, item: EvidenceItem) -> str:
        if item.path not in self.sizes:
            return "…"
        size = self.sizes[item.path]
        return MISSING if size is None else nice_size(size)

    def _show_evidence(self) -> None:
        self.ev_model.set_rows(self.editor.plan.evidence)
        self.ev_view.resizeColumnsToContents()
        self.ev_view.setColumnWidth(1, min(self.ev_view.columnWidth(1), 320))
        self.ev_view.setColumnWidth(3, min(self.ev_view.columnWidth(3), 260))

    def _busy(self, more: int) -> None:
        self._pending += more
        self.busy.setVisible(self._pending > 0)

    def _look_at_files(self) -> None:
        """Sizes and missing files from the staff worker; the table shows "…" meanwhile."""
        paths = [e.path for e in self.editor.plan.evidence]
        self._busy(1)
        self.status.setText(f"Looking at {len(paths)} evidence files…")

        def done(sizes: dict[str, int | None]) -> None:
            self._busy(-1)
            self.sizes.update(sizes)
            self._show_evidence()
            here = [self.sizes.get(e.path) for e in self.editor.plan.evidence]
            missing = sum(s is None for s in here)
            total = sum(s or 0 for s in here)
            note, self._note = self._note, ""
            self.status.setText(
                f"{note}{len(here)} documents, {nice_size(total)}"
                + (f"; {missing} files are missing" if missing else "")
                + "."
            )

        then(
            self,
            self.editor.ctx.store(provider.file_sizes, paths),
            done,
            "look at the evidence files",
            lambda _exc: self._busy(-1),
        )

    # -- self-assessment ----------------------------------------------------------------------

    def export_template(self) -> None:
        standards = self.editor.standards
        if standards is None:
            return
        name = re.sub(r"[^\w-]+", "_", self.editor.plan.title).strip("_") or "visit"
        path = choose_save_file(
            self,
            "Export the self-assessment template",
            f"{name}_self_assessment.xlsx",
            TEMPLATE_FILTER,
        )
        if path is None:
            return
        if not path.suffix:
            path = path.with_suffix(".xlsx")
        then(
            self,
            self.editor.ctx.work(provider.write_template, path, self.editor.plan, standards),
            lambda n: self.status.setText(f"Wrote {n} rows to {path}."),
            "write the template",
        )

    def import_template(self) -> None:
        standards = self.editor.standards
        if standards is None:
            return
        path = choose_open_file(self, "Import the filled-in self-assessment", FILLED_FILTER)
        if path is None:
            return
        self.sa_problems.clear()
        self.sa_problems.setVisible(False)

        def failed(exc: BaseException) -> None:
            problems = getattr(exc, "problems", None)
            if problems is None:
                report_error(self, exc, "read the self-assessment")
                return
            self.sa_problems.addItems([str(p) for p in problems])
            self.sa_problems.setVisible(True)
            self.status.setText(
                f"Nothing was imported: put these problems right in "
                f"{path.name} and import it again."
            )

        def done(entries: tuple[SelfAssessmentEntry, ...]) -> None:
            def change(plan: VisitPlan) -> None:
                plan.self_assessment = list(entries)

            self.editor.apply(f"Import the self-assessment from {path.name}", change, tab=self)
            self.refresh()
            n = len(entries)
            self.status.setText(f"Imported {n} claim{'s' if n != 1 else ''} from {path.name}.")

        TaskOp(
            self,
            lambda _progress: self.editor.ctx.work(
                provider.read_filled_template, path, self.editor.plan, standards
            ),
            what="read the self-assessment",
        ).success(done).failure(failed, tell=False).run()

    # -- evidence -----------------------------------------------------------------------------

    def add_files(self) -> None:
        files = choose_open_files(self, "Add evidence documents", "All files (*)")
        if not files:
            return
        self._busy(1)

        def done(resolved: list[Path]) -> None:
            self._busy(-1)
            self._added(lambda plan: provider.add_resolved_files(plan, resolved))

        then(
            self,
            self.editor.ctx.store(provider.resolve_files, files),
            done,
            "add the documents",
            lambda _exc: self._busy(-1),
        )

    def add_folder(self) -> None:
        folder = choose_folder(self, "Add a folder of evidence")
        if folder is None:
            return
        self._busy(1)
        self.status.setText(f"Reading the folder {folder.name}…")

        def done(found: list[tuple[Any, Path]]) -> None:
            self._busy(-1)
            self._added(lambda plan: provider.add_found_evidence(plan, found))

        then(
            self,
            self.editor.ctx.work(provider.evidence_in_folder, folder),
            done,
            f"read the folder {folder.name}",
            lambda _exc: self._busy(-1),
        )

    def _added(self, add: Callable[[VisitPlan], list[Any]]) -> None:
        """``add`` the documents found to the plan, as one edit."""
        count = len(self.editor.apply(lambda added: f"Add {_documents(len(added))}", add, tab=self))
        self._note = (
            f"Added {count} documents. " if count else "Those documents are already in the plan. "
        )
        self.refresh()

    def remove(self) -> None:
        row = selected_row(self.ev_view)
        plan = self.editor.plan
        if 0 <= row < len(plan.evidence):
            gone = plan.evidence[row]

            def change(plan: VisitPlan) -> None:
                del plan.evidence[row]

            self.editor.apply(f"Remove the document {gone.title or gone.id}", change)
            self.refresh()

    def _edit_title(self, row: int, text: str) -> str:
        if not text.strip():
            return "A document needs a title."
        item = self.editor.plan.evidence[row]

        def change(plan: VisitPlan) -> None:
            plan.evidence[row].title = text.strip()

        self.editor.apply(f"Rename the document {item.title or item.id}", change)
        return ""

    def _edit_links(self, row: int, text: str) -> str:
        refs = list(dict.fromkeys(r.strip() for r in re.split(r"[;,\s]+", text) if r.strip()))
        standards = self.editor.standards
        known = {s.ref for s in standards.standards} if standards else set()
        unknown = [r for r in refs if known and r not in known]
        if unknown:
            return f"Not in the visit's standards: {', '.join(unknown)}."
        item = self.editor.plan.evidence[row]

        def change(plan: VisitPlan) -> None:
            plan.evidence[row].standards = refs

        self.editor.apply(f"Change the standards {item.title or item.id} supports", change)
        return ""


def _documents(count: int) -> str:
    return "1 evidence document" if count == 1 else f"{count} evidence documents"
