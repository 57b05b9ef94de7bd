"""Programme staff's window: the standards library, the reviewer pool, the visit plans and the
programme after the visit, one page each, chosen on the left (Ctrl+1, 2, 3, 4). Edit > Undo
and Redo (Ctrl+Z, Ctrl+Shift+Z) take back the open plan's edits, named ("Undo Add reviewer
Dr Patel"), on the plans page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from ui.actions import make_action
from ui.staff import shortcuts
from ui.staff.common import StaffContext
from ui.staff.library import LibraryPage
from ui.staff.planner.page import PlansPage
from ui.staff.planner.undo import follow_stack
from ui.staff.pool import PoolPage
from ui.staff.programme import ProgrammePage
from ui.windows import fit_to_screen

PAGES = ("Standards library", "Reviewer pool", "Visit plans", "Programme")


class StaffWindow(QMainWindow):
    back_requested = Signal()  # "Back to the start screen"

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reviewer App: programme staff")
        self.setAccessibleName("Programme staff")
        self.ctx = StaffContext(paths)
        self.nav = QListWidget(self)
        self.nav.setAccessibleName("Sections")
        self.nav.addItems(list(PAGES))
        self.nav.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 13)
        self.nav.setSpacing(3)
        self.pages = QStackedWidget(self)
        self.library = LibraryPage(self.ctx, self.pages)
        self.pool = PoolPage(self.ctx, self.pages)
        self.plans = PlansPage(self.ctx, self.pages)
        self.programme = ProgrammePage(self.ctx, self.pages)
        for page in (self.library, self.pool, self.plans, self.programme):
            self.pages.addWidget(page)
        self.library.versions_changed.connect(self._versions)
        self.pool.reviewers_changed.connect(self._reviewers)
        self.nav.currentRowChanged.connect(self._show_page)
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        menu = self.menuBar().addMenu("&Staff")
        for i, keys in enumerate(
            (
                shortcuts.LIBRARY_PAGE,
                shortcuts.POOL_PAGE,
                shortcuts.PLANS_PAGE,
                shortcuts.PROGRAMME_PAGE,
            )
        ):
            action = make_action(self, PAGES[i], lambda i=i: self.nav.setCurrentRow(i), keys)
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(
            make_action(
                self, "Back to the &start screen", self.back_requested.emit, shortcuts.BACK_TO_START
            )
        )
        self._edit_menu()
        self.nav.setCurrentRow(2)
        fit_to_screen(self, "staff", QSize(1280, 800))  # a laptop's screen may be smaller

    def _edit_menu(self) -> None:
        stack = self.plans.editor.undo_stack
        self.undo_action = make_action(self, "&Undo", stack.undo, shortcuts.UNDO)
        self.redo_action = make_action(self, "&Redo", stack.redo, shortcuts.REDO)
        self.menuBar().addMenu("&Edit").addActions([self.undo_action, self.redo_action])
        # Only on the plans page: elsewhere an undo would change a plan out of sight.
        self._update_undo = follow_stack(
            stack,
            self.undo_action,
            self.redo_action,
            lambda: self.pages.currentWidget() is self.plans,
        )

    def _show_page(self, row: int) -> None:
        self.pages.setCurrentIndex(row)
        self._update_undo()
        page = self.pages.currentWidget()
        if page is self.plans:
            refresh = getattr(self.plans.editor.currentWidget(), "refresh", None)
            if refresh is not None:
                refresh()

    def _versions(self, versions: list[Any]) -> None:
        self.plans.editor.versions = versions

    def _reviewers(self, reviewers: list[Any]) -> None:
        self.plans.editor.reviewers = reviewers

    def closeEvent(self, event: Any) -> None:
        self.plans.editor.save_now()
        self.ctx.close()
        super().closeEvent(event)
