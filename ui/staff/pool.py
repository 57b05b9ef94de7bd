"""The reviewer pool page: the trained reviewers, edited in place, imported from a spreadsheet.

Every edit is checked (a name, an e-mail address, a date) before it is taken; a refused edit
says why under the table and changes nothing. Each accepted edit is saved at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QListWidget, QVBoxLayout, QWidget

from reviewer_app.staff import pool
from reviewer_app.staff.pool import Reviewer
from ui.errors import report_error
from ui.operations import TaskOp
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

POOL_FILTER = "Spreadsheets (*.csv *.xlsx);;All files (*)"
LABELS = {
    "name": "Name",
    "role": "Role",
    "organisation": "Organisation",
    "email": "Email",
    "training_date": "Training date",
}


class PoolPage(QWidget):
    reviewers_changed = Signal(object)  # list[Reviewer], for the planner's team

    def __init__(self, ctx: StaffContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName("Reviewer pool")
        self.reviewers: list[Reviewer] = []
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Reviewer pool",
                "Trained peer reviewers. Double-click a cell to change it; it is saved at once.",
                self,
            )
        )
        self.add_button = button(self, "&Add reviewer", self.add, "A new row to fill in")
        self.import_button = button(
            self,
            "&Import from spreadsheet…",
            self.import_file,
            "Columns: Name, Role, Organisation, Email, Training date",
        )
        self.remove_button = button(self, "&Remove", self.remove, "Take the chosen reviewer out")
        layout.addLayout(button_row(self.add_button, self.import_button, self.remove_button))
        self.model = RecordModel(
            [Col(LABELS[name], _getter(name), edit=self._editor(name)) for name in pool.EDITABLE],
            self,
        )
        self.view = table(self, self.model, "Reviewers")
        self.model.rejected.connect(self._show_problem)
        layout.addWidget(self.view, 1)
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problems in the spreadsheet")
        self.problems.setVisible(False)
        self.problems.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)
        layout.addWidget(self.problems)
        self.status = status_label(self, "Pool status")
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        then(self, self.ctx.store(pool.list_reviewers), self._show, "read the reviewer pool")

    def _show(self, reviewers: list[Reviewer]) -> None:
        self.reviewers = reviewers
        self.model.set_rows(reviewers)
        self.view.resizeColumnsToContents()
        self.reviewers_changed.emit(reviewers)
        if not reviewers:
            self.status.setText("No reviewers yet: add them one by one or import a spreadsheet.")

    def _show_problem(self, text: str) -> None:
        self.status.setText(text)

    def _editor(self, name: str) -> Callable[[int, str], str]:
        def edit(row: int, text: str) -> str:
            problem = pool.field_problem(name, text)
            if problem:
                return problem
            value = text.strip()
            if name == "training_date":
                value = pool.parse_date(value) or ""
            updated = replace(self.reviewers[row], **{name: value})
            self.reviewers[row] = updated
            self.model.rows[row] = updated
            then(
                self,
                self.ctx.store(pool.save_reviewers, [updated]),
                self.reviewers_changed.emit,
                "save the reviewer",
            )
            self.status.setText(f"Saved {updated.name}.")
            return ""

        return edit

    def add(self) -> None:
        reviewer = Reviewer.new(name="New reviewer")
        then(
            self,
            self.ctx.store(pool.save_reviewers, [reviewer]),
            lambda rs: self._added(rs, reviewer),
            "add a reviewer",
        )

    def _added(self, reviewers: list[Reviewer], reviewer: Reviewer) -> None:
        self._show(reviewers)
        row = next(i for i, r in enumerate(reviewers) if r.id == reviewer.id)
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove(self) -> None:
        row = selected_row(self.view)
        if not 0 <= row < len(self.reviewers):
            self.status.setText("Choose the reviewer to remove first.")
            return
        gone = self.reviewers[row]
        then(self, self.ctx.store(pool.delete_reviewer, gone.id), self._show, "remove the reviewer")
        self.status.setText(f"Removed {gone.name}.")

    def import_file(self) -> None:
        path = choose_open_file(self, "Import reviewers", POOL_FILTER)
        if path is None:
            return
        self.problems.clear()
        self.problems.setVisible(False)

        def done(result: tuple[list[Reviewer], int, int]) -> None:
            reviewers, added, updated = result
            self._show(reviewers)
            self.status.setText(f"From {path.name}: {added} added, {updated} updated.")

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, pool.PoolImportError):
                report_error(self, exc, "import the reviewers")
                return
            self.problems.addItems([str(p) for p in exc.problems])
            self.problems.setVisible(True)
            self.status.setText(
                f"Nothing was imported: put these problems right in {path.name} and "
                "import it again."
            )

        TaskOp(
            self, lambda _progress: self.ctx.store(_import, path), what="import the reviewers"
        ).success(done).failure(failed, tell=False).run()


def _import(store: Any, path: Path) -> tuple[list[Reviewer], int, int]:
    return pool.import_reviewers(store, pool.read_pool(path))


def _getter(name: str) -> Callable[[Reviewer], str]:
    return lambda r: str(getattr(r, name))
