"""The visit plans page: the list of plans, and the plan being edited in tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from reviewer_app.staff import library
from reviewer_app.staff.library import SetVersion, StandardsSet
from reviewer_app.staff.planner import (
    VisitPlan,
    delete_plan,
    list_plans,
    load_plan,
    plan_from_visit_file,
    save_plan,
)
from reviewer_app.staff.pool import Reviewer
from ui.staff.common import (
    Col,
    RecordModel,
    StaffContext,
    button,
    button_row,
    choose_open_file,
    page_header,
    status_label,
    table,
    then,
)
from ui.staff.confirm import ConfirmDialog
from ui.staff.planner.undo import PlanEdit, plan_undo_stack
from ui.text_style import muted

SAVE_AFTER_MS = 400  # a burst of edits is saved once
VISIT_FILTER = "Visit details (*.json);;All files (*)"
T = TypeVar("T")


class PlanEditor(QTabWidget):
    """The plan being edited. Tabs change ``plan`` only through ``apply``, one named command on
    ``undo_stack`` an edit (``ui.staff.planner.undo``), which saves it."""

    saved = Signal(str)  # the plan's title, once it is on disk
    plan_changed = Signal()  # an edit, its undo or its redo

    def __init__(self, ctx: StaffContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.staff.planner.build import BuildTab  # noqa: PLC0415 (tabs import this module)
        from ui.staff.planner.details import DetailsTab  # noqa: PLC0415
        from ui.staff.planner.provider import ProviderTab  # noqa: PLC0415
        from ui.staff.planner.standards import StandardsTab  # noqa: PLC0415
        from ui.staff.planner.team import TeamTab  # noqa: PLC0415
        from ui.staff.planner.timetable import TimetableTab  # noqa: PLC0415

        self.ctx = ctx
        self.setAccessibleName("Visit plan")
        self.plan = VisitPlan.new()
        self.standards: StandardsSet | None = None
        self.versions: list[SetVersion] = []
        self.reviewers: list[Reviewer] = []
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_AFTER_MS)
        self._save_timer.timeout.connect(self.save)
        self.undo_stack = plan_undo_stack(self)
        self.details = DetailsTab(self)
        self.standards_tab = StandardsTab(self)
        self.team = TeamTab(self)
        self.timetable = TimetableTab(self)
        self.provider = ProviderTab(self)
        self.build = BuildTab(self)
        for tab, title in (
            (self.details, "&1 Visit details"),
            (self.standards_tab, "&2 Standards"),
            (self.team, "&3 Team"),
            (self.timetable, "&4 Timetable"),
            (self.provider, "&5 Self-assessment and evidence"),
            (self.build, "&6 Build and sign"),
        ):
            self.addTab(tab, title)
        self.currentChanged.connect(lambda _i: self._refresh_current())

    def tabs(self) -> list[Any]:
        return [self.widget(i) for i in range(self.count())]

    def edit(self, plan: VisitPlan) -> None:
        """Open ``plan``: the one before is saved, and its edits can no longer be undone."""
        self.save_now()
        self.undo_stack.clear()
        self.plan = plan
        self.standards = None
        self._load_standards()
        self._refresh_current()

    def apply(
        self,
        text: str | Callable[[T], str],
        change: Callable[[VisitPlan], T],
        *,
        merge: str = "",
        tab: QWidget | None = None,
    ) -> T:
        """Make ``change`` to the plan as one edit named ``text`` (or ``text(result)``, when
        the name depends on what the change did), which can be undone; it is saved shortly.

        A change that leaves the plan as it was is no edit. Edits with the same ``merge`` key,
        one after another (typing in one field), are undone together. ``tab``: where the edit
        was made, shown again when it is undone (default: the tab showing)."""
        before = self.plan.copy()
        result = change(self.plan)
        if self.plan == before:
            return result
        name = text(result) if callable(text) else text
        where = self.indexOf(tab) if tab is not None else self.currentIndex()
        self.undo_stack.push(PlanEdit(self, name, before, self.plan.copy(), merge=merge, tab=where))
        return result

    def restore(self, plan: VisitPlan, tab: int) -> None:
        """Undo or redo: the plan becomes ``plan``, seen in the tab it was changed in."""
        version = self.plan.standards_version
        self.plan.become(plan)
        if 0 <= tab < self.count() and tab != self.currentIndex():
            self.setCurrentIndex(tab)  # refreshes the tab
        else:
            self._refresh_current()
        if self.plan.standards_version != version:
            self._load_standards()

    def _load_standards(self) -> None:
        vid = self.plan.standards_version
        if vid is None:
            self.standards = None
            self._refresh_current()
            return
        then(
            self,
            self.ctx.store(library.load_version, vid),
            lambda standards: self._standards_loaded(vid, standards),
            "read the plan's standards",
        )

    def _standards_loaded(self, vid: int, standards: StandardsSet) -> None:
        if vid != self.plan.standards_version:
            return  # chosen again (or undone) meanwhile; that set's own load is on its way
        self.standards = standards
        self._refresh_current()

    def choose_standards(self, version_id: int | None, label: str = "") -> None:
        def choose(plan: VisitPlan) -> None:
            plan.standards_version = version_id

        before = self.plan.standards_version
        self.apply(
            f"Choose the standards set {label}".strip()
            if version_id is not None
            else "Choose no standards set",
            choose,
        )
        if self.plan.standards_version != before:
            self._load_standards()

    def save_soon(self) -> None:
        """The plan changed (an edit, its undo or redo): save it shortly, and say so."""
        self._save_timer.start()
        self.plan_changed.emit()

    def discard(self) -> None:
        """The plan is being deleted: drop a save that is waiting, so it does not come back,
        and its edits, so an undo cannot save it again."""
        self._save_timer.stop()
        self.undo_stack.clear()

    def save_now(self) -> None:
        """Save at once if a change is waiting (switching plans, closing the window)."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self.save()

    def save(self) -> None:
        snapshot = self.plan.copy()  # the worker gets its own copy
        then(
            self,
            self.ctx.store(save_plan, snapshot),
            lambda _r: self.saved.emit(snapshot.title),
            "save the visit plan",
        )

    def _refresh_current(self) -> None:
        widget = self.currentWidget()
        if widget is not None and hasattr(widget, "refresh"):
            widget.refresh()


class PlansPage(QWidget):
    """Visit plans (drafts) on the left; the chosen one in tabs on the right."""

    def __init__(self, ctx: StaffContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName("Visit plans")
        self.plans: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Visit plans",
                "Plan a visit from the library and the pool, then build its signed kit. "
                "Changes are saved as you go.",
                self,
            )
        )
        self.new_button = button(self, "&New visit plan", self.new_plan, "Start planning a visit")
        self.from_visit_button = button(
            self,
            "New plan from &visit.json…",
            self.new_from_visit,
            "Start from a visit file: same visit id, so its kits re-issue that visit",
        )
        self.delete_button = button(
            self, "&Delete plan…", self.delete_plan, "Delete the chosen visit plan"
        )
        layout.addLayout(button_row(self.new_button, self.from_visit_button, self.delete_button))
        self.model = RecordModel(
            [
                Col("Date", lambda p: p["start_date"]),
                Col("Visit", lambda p: p["title"] or "Untitled visit"),
            ],
            self,
        )
        self.list_view = table(self, self.model, "Plans")
        self.list_view.setEditTriggers(self.list_view.EditTrigger.NoEditTriggers)
        self.editor = PlanEditor(ctx, self)
        self.editor.saved.connect(self._saved)
        self.placeholder = QLabel("Choose a plan on the left, or start a new one.", self)
        muted(self.placeholder)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.list_view)
        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.placeholder)
        right_layout.addWidget(self.editor)
        splitter.addWidget(right)
        splitter.setSizes([240, 1000])
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.status = status_label(self, "Plans status")
        layout.addWidget(self.status)
        self.editor.setVisible(False)
        self.list_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._open_row(current.row())
        )
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        if self.ctx.closed:
            return
        then(
            self,
            self.ctx.store(list_plans),
            lambda p: self._listed(p, select),
            "read the visit plans",
        )

    def _listed(self, plans: list[dict[str, Any]], select: str | None) -> None:
        self.plans = plans
        if not self.editor.isHidden():
            # The plan open now, not the one open when the list was asked for: a save's
            # answer can come after another plan was opened, and must not mark the old one.
            select = self.editor.plan.plan_id
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)  # a new list opens nothing
        self.model.set_rows(plans)
        selection.blockSignals(False)
        self._mark(select)
        self.list_view.resizeColumnToContents(0)
        self.delete_button.setEnabled(bool(plans))

    def _open_row(self, row: int) -> None:
        if not 0 <= row < len(self.plans):
            return
        plan_id = self.plans[row]["id"]
        if plan_id == self.editor.plan.plan_id and self.editor.isVisible():
            return
        then(self, self.ctx.store(load_plan, plan_id), self.open_plan, "open the visit plan")

    def _mark(self, plan_id: str | None) -> None:
        """Mark ``plan_id`` in the list without opening it again."""
        row = next((i for i, p in enumerate(self.plans) if p["id"] == plan_id), -1)
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)
        if row >= 0:
            self.list_view.selectRow(row)
        else:
            selection.clear()  # (not in the list yet: a new plan until it is saved)
        selection.blockSignals(False)

    def open_plan(self, plan: VisitPlan) -> None:
        # A list that came back while it was opening may mark another plan: a click on that
        # one must open it, so the mark follows the plan open.
        self._mark(plan.plan_id)
        self.editor.edit(plan)
        self.placeholder.setVisible(False)
        self.editor.setVisible(True)

    def new_plan(self) -> None:
        plan = VisitPlan.new("New visit")
        self.open_plan(plan)
        self.editor.setCurrentIndex(0)
        self.editor.save()
        self.status.setText("A new plan: start with the visit's details.")

    def new_from_visit(self) -> None:
        path = choose_open_file(self, "New plan from a visit file", VISIT_FILTER)
        if path is None:
            return
        self.status.setText(f"Reading {path.name}…")
        then(
            self,
            self.ctx.store(plan_from_visit_file, path),
            lambda result: self._from_visit(*result),
            f"read {path.name}",
            lambda _e: self.status.setText(""),
        )

    def _from_visit(self, plan: VisitPlan, notes: list[str]) -> None:
        self.open_plan(plan)
        self.editor.setCurrentIndex(0)
        self.refresh(select=plan.plan_id)
        self.status.setText(
            " ".join([f'A new plan for "{plan.title}", from the visit file.', *notes])
        )

    def delete_plan(self) -> None:
        row = self.list_view.currentIndex().row()
        if not 0 <= row < len(self.plans):
            self.status.setText("Choose a plan to delete first.")
            return
        chosen = self.plans[row]
        title = chosen["title"] or "Untitled visit"
        dated = f" ({chosen['start_date']})" if chosen["start_date"] else ""
        if not ConfirmDialog.ask(
            self,
            f'Delete the visit plan "{title}"{dated}?',
            "Its details, team, timetable and evidence list go. Kits already built from it stay "
            "where they were saved.",
            "Delete the plan",
        ):
            return
        if chosen["id"] == self.editor.plan.plan_id:
            self.editor.discard()
            self.editor.setVisible(False)
            self.placeholder.setVisible(True)
            self.editor.plan = VisitPlan.new()
        then(
            self,
            self.ctx.store(delete_plan, chosen["id"]),
            lambda _r: self._deleted(title),
            "delete the visit plan",
        )

    def _deleted(self, title: str) -> None:
        self.status.setText(f'Deleted the visit plan "{title}".')
        self.refresh()

    def _saved(self, _title: str) -> None:
        self.refresh(select=self.editor.plan.plan_id)
