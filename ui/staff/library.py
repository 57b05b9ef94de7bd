"""The standards library page: the kept versions of every set, a version's standards (with key
standards ticked), importing a spreadsheet with a preview, and comparing two versions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from reviewer_app.app.errors import UserError
from reviewer_app.staff import library
from reviewer_app.staff.library import SetVersion, StandardsSet
from ui.errors import report_error
from ui.staff.common import (
    Col,
    RecordModel,
    StaffContext,
    button,
    button_row,
    choose_open_file,
    page_header,
    selected_row,
    status_label,
    table,
    then,
)
from ui.staff.confirm import ConfirmDialog
from ui.staff.library_dialogs import CompareDialog, ImportPreviewDialog, comparison_html
from ui.text_style import is_dark

STANDARDS_FILTER = "Standards (*.csv *.xlsx *.json);;All files (*)"


class LibraryPage(QWidget):
    """Standards sets, each kept in every version imported."""

    versions_changed = Signal(object)  # list[SetVersion], for the planner's choice of set

    def __init__(self, ctx: StaffContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName("Standards library")
        self.versions: list[SetVersion] = []
        self.current: StandardsSet | None = None
        self.current_id: int | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Standards library",
                "Every version of every set you import is kept. Tick Key for key standards.",
                self,
            )
        )
        self.import_button = button(
            self, "&Import standards…", self.import_file, "Read a CSV, XLSX or JSON file"
        )
        self.compare_button = button(
            self, "&Compare versions…", self.compare, "What changed between two versions"
        )
        self.delete_button = button(
            self, "&Delete version…", self.delete_version, "Delete the chosen version of a set"
        )
        layout.addLayout(button_row(self.import_button, self.compare_button, self.delete_button))
        self.versions_model = RecordModel(
            [
                Col("Set", lambda v: v.title),
                Col("Version", lambda v: v.version),
                Col("Date", lambda v: v.date),
                Col("Standards", lambda v: str(v.count)),
            ],
            self,
        )
        self.versions_view = table(self, self.versions_model, "Versions")
        self.versions_view.setEditTriggers(self.versions_view.EditTrigger.NoEditTriggers)
        self.standards_model = RecordModel(
            [
                Col("Key", lambda _s: "", check=lambda s: s.key, tick=self._tick_key),
                Col("Ref", lambda s: s.ref),
                Col("Section", lambda s: s.section),
                Col("Title", lambda s: s.title, tip=library.requirement_text),
            ],
            self,
        )
        self.standards_view = table(self, self.standards_model, "Standards in this version")
        self.standards_model.rejected.connect(self.status_text)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Versions", left))
        left_layout.addWidget(self.versions_view)
        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.standards_label = QLabel("Standards", right)
        right_layout.addWidget(self.standards_label)
        right_layout.addWidget(self.standards_view)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([380, 620])
        layout.addWidget(splitter, 1)
        self.status = status_label(self, "Library status")
        layout.addWidget(self.status)
        self.versions_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_version(current.row())
        )
        self.refresh()

    def status_text(self, text: str) -> None:
        self.status.setText(text)

    # -- reading ------------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        then(
            self,
            self.ctx.store(library.list_versions),
            lambda v: self._listed(v, select),
            "read the standards library",
        )

    def _listed(self, versions: list[SetVersion], select: int | None) -> None:
        self.versions = versions
        self.versions_model.set_rows(versions)
        self.versions_view.resizeColumnsToContents()
        self.compare_button.setEnabled(len(versions) >= 2)
        self.delete_button.setEnabled(bool(versions))
        self.versions_changed.emit(versions)
        row = next((i for i, v in enumerate(versions) if v.id == select), len(versions) - 1)
        if row >= 0:
            self.versions_view.selectRow(row)
            self._show_version(row)
        else:
            self.standards_model.set_rows([])
            self.standards_label.setText("No standards yet: import a set to begin.")

    def _show_version(self, row: int) -> None:
        if not 0 <= row < len(self.versions):
            return
        version = self.versions[row]
        self.current_id = version.id
        then(
            self,
            self.ctx.store(library.load_version, version.id),
            lambda s: self._loaded(version, s),
            "read the standards",
        )

    def _loaded(self, version: SetVersion, standards: StandardsSet) -> None:
        if version.id != self.current_id:
            return
        self.current = standards
        self.standards_model.set_rows(standards.standards)
        self.standards_view.resizeColumnToContents(1)
        self.standards_view.setColumnWidth(2, 260)
        keys = sum(s.key for s in standards.standards)
        self.standards_label.setText(
            f"{version.label}: {len(standards.standards)} standards, {keys} key standards"
        )

    def _tick_key(self, row: int, on: bool) -> str:
        if self.current is None or self.current_id is None:
            return "Choose a version first."
        ref = self.current.standards[row].ref
        standards = list(self.current.standards)
        from dataclasses import replace  # noqa: PLC0415

        standards[row] = replace(standards[row], key=on)
        self.current = replace(self.current, standards=tuple(standards))
        self.standards_model.rows = list(self.current.standards)
        then(
            self,
            self.ctx.store(library.set_key_standard, self.current_id, ref, on),
            lambda _s: self.status_text(f"{ref} is {'now' if on else 'no longer'} a key standard."),
            "mark the key standard",
        )
        return ""

    # -- importing ------------------------------------------------------------------------------

    def import_file(self) -> None:
        path = choose_open_file(self, "Import standards", STANDARDS_FILTER)
        if path is None:
            return
        self.status_text(f"Reading {path.name}…")
        self.import_button.setEnabled(False)
        then(
            self,
            self.ctx.work(library.preview, path),
            self._previewed,
            "read the standards file",
            lambda _e: self.import_button.setEnabled(True),
        )

    def _previewed(self, preview: library.StandardsPreview) -> None:
        self.import_button.setEnabled(True)
        self.status_text("")
        choice = ImportPreviewDialog.ask(self, preview, self.versions)
        if choice is None or preview.standards is None:
            return
        then(
            self,
            self.ctx.store(
                _save,
                preview.standards,
                choice.title,
                choice.version,
                choice.date,
                choice.set_key,
                str(preview.file),
            ),
            lambda vid: self._saved(vid, choice.title, choice.version),
            "save the standards",
        )

    def _saved(self, version_id: int, title: str, version: str) -> None:
        self.status_text(f"Saved {title}, version {version}.")
        self.refresh(select=version_id)

    # -- deleting -------------------------------------------------------------------------------

    def delete_version(self) -> None:
        """Ask the worker which plans use the version first: one that a plan uses is refused,
        naming the plan; otherwise confirm, naming the set, version and count."""
        row = selected_row(self.versions_view)
        if not 0 <= row < len(self.versions):
            self.status_text("Choose a version to delete first.")
            return
        version = self.versions[row]
        then(
            self,
            self.ctx.store(library.plans_using, version.id),
            lambda using: self._confirm_delete(version, using),
            "check which plans use the version",
        )

    def _confirm_delete(self, version: SetVersion, using: list[str]) -> None:
        if using:
            more = f" (and {len(using) - 1} more)" if len(using) > 1 else ""
            report_error(
                self,
                UserError(
                    f'{version.label} cannot be deleted: the visit plan "{using[0]}"{more} '
                    "uses it. Choose another version in that plan first."
                ),
            )
            return
        if not ConfirmDialog.ask(
            self,
            f"Delete {version.label}?",
            f"Its {version.count} standards leave the library; other versions of the set stay. "
            "Kits already built are not changed.",
            "Delete the version",
        ):
            return
        then(
            self,
            self.ctx.store(library.delete_version, version.id),
            lambda _r: self._deleted(version),
            "delete the version",
        )

    def _deleted(self, version: SetVersion) -> None:
        self.current_id = None
        self.status_text(f"Deleted {version.label}.")
        self.refresh()

    # -- comparing ------------------------------------------------------------------------------

    def compare(self) -> None:
        dialog = CompareDialog(self, self.versions)
        self.compare_dialog = dialog

        def show() -> None:
            old, new = dialog.chosen()
            then(
                dialog,
                self.ctx.store(library.compare_versions, old.id, new.id),
                lambda diff: dialog.view.setHtml(
                    comparison_html(old, new, diff, dark=is_dark(self))
                ),
                "compare the versions",
            )

        dialog.old.currentIndexChanged.connect(show)
        dialog.new.currentIndexChanged.connect(show)
        show()
        dialog.open()


def _save(  # noqa: PLR0917 (called through the worker's submit, which passes positions)
    store: Any,
    standards: StandardsSet,
    title: str,
    version: str,
    date: str,
    set_key: str,
    source: str,
) -> int:
    return library.save_version(
        store, standards, title=title, version=version, date=date, set_key=set_key, source=source
    )
