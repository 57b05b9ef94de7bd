"""Which standards apply to each component: a grid of sections by components (the bulk
rules), and under it the chosen section's standards, where one standard can be made an
exception. A half-ticked cell means some of the section's standards apply and some do not."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff.library import requirement_text
from reviewer_app.staff.planner import VisitPlan
from ui.staff.common import Col, RecordModel, button, button_row, selected_row, status_label, table
from ui.text_style import muted

if TYPE_CHECKING:
    from reviewer_app.staff.library import StandardsSet
    from ui.staff.planner.page import PlanEditor

Index = QModelIndex | QPersistentModelIndex
_STATE = {
    True: Qt.CheckState.Checked,
    False: Qt.CheckState.Unchecked,
    None: Qt.CheckState.PartiallyChecked,
}


class SectionGridModel(QAbstractTableModel):
    """Rows: the set's sections; columns: the visit's components; cells: does it apply."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.plan: VisitPlan | None = None
        self.standards: StandardsSet | None = None
        # How a tick changes the plan: the planner's named edit (``PlanEditor.apply``), or,
        # with no planner (a model test), simply made.
        self.apply: Callable[[str, Callable[[VisitPlan], Any]], Any] = self._change

    def _change(self, _text: str, change: Callable[[VisitPlan], Any]) -> None:
        if self.plan is not None:
            change(self.plan)

    def reset(self, plan: VisitPlan, standards: StandardsSet | None) -> None:
        self.beginResetModel()
        self.plan, self.standards = plan, standards
        self.endResetModel()

    def _sections(self) -> tuple[str, ...]:
        return self.standards.sections if self.standards is not None else ()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.plan is None else len(self._sections())

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.plan is None else len(self.plan.components)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or self.plan is None:
            return None
        if orientation == Qt.Orientation.Horizontal and section < len(self.plan.components):
            return self.plan.components[section].name
        if orientation == Qt.Orientation.Vertical and section < len(self._sections()):
            return self._sections()[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )

    def _state(self, index: Index) -> bool | None:
        assert self.plan is not None and self.standards is not None
        section = self._sections()[index.row()]
        return self.plan.section_state(
            self.standards, section, self.plan.components[index.column()].id
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.plan is None or self.standards is None:
            return None
        if not (0 <= index.row() < self.rowCount() and 0 <= index.column() < self.columnCount()):
            return None
        if role == Qt.ItemDataRole.CheckStateRole:
            return _STATE[self._state(index)]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            state = self._state(index)
            words = {True: "applies", False: "does not apply", None: "some standards apply"}
            if role == Qt.ItemDataRole.DisplayRole:
                return "" if state is not None else "some"
            section = self._sections()[index.row()]
            return f"{section}, {self.plan.components[index.column()].name}: {words[state]}"
        return None

    def setData(  # the click toggles; the value Qt sends is not needed
        self,
        index: Index,
        value: Any,  # noqa: ARG002
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or not index.isValid()
            or self.plan is None
            or self.standards is None
        ):
            return False
        on = self._state(index) is not True  # a click on "some" ticks the whole section
        standards, section = self.standards, self._sections()[index.row()]
        component = self.plan.components[index.column()]
        self.apply(
            f"Apply the {section} section to {component.name}"
            if on
            else f"Stop applying the {section} section to {component.name}",
            lambda plan: plan.set_section_rule(standards, section, component.id, on),
        )
        self.dataChanged.emit(index, index)
        return True


class StandardsTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Standards for the visit")
        self._refreshing = False
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.set_box = QComboBox(self)
        self.set_box.setAccessibleName("Standards set")
        self.set_box.currentIndexChanged.connect(self._set_chosen)
        form.addRow("Standards &set", self.set_box)
        layout.addLayout(form)
        self.summary = QLabel(self)
        self.summary.setAccessibleName("Standards summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.grid_model = SectionGridModel(self)
        self.grid_model.apply = editor.apply
        self.grid_model.dataChanged.connect(lambda *_a: self._redraw())
        self.grid = table(self, self.grid_model, "Sections by component")
        self.grid.verticalHeader().setVisible(True)
        self.grid.setSelectionBehavior(self.grid.SelectionBehavior.SelectItems)
        self.grid.horizontalHeader().setStretchLastSection(False)
        self.grid.selectionModel().currentRowChanged.connect(
            lambda current, _p: self._show_section(current.row())
        )
        self.section_label = QLabel(self)
        muted(self.section_label)
        self.standards_model = RecordModel([], self)
        self.standards_view = table(self, self.standards_model, "Standards in the section")
        self.standards_model.edited.connect(self._redraw)
        self.follow_button = button(
            self,
            "&Follow the section",
            self._follow,
            "Undo this standard's own choice of components",
        )
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.grid)
        lower = QWidget(splitter)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.section_label)
        lower_layout.addWidget(self.standards_view)
        lower_layout.addLayout(button_row(self.follow_button))
        splitter.addWidget(lower)
        layout.addWidget(splitter, 1)
        self.status = status_label(self, "Standards status")
        layout.addWidget(self.status)
        self.section = ""

    def refresh(self) -> None:
        editor = self.editor
        self._refreshing = True
        self.set_box.clear()
        self.set_box.addItem("Choose a set from the library…", None)
        for v in editor.versions:
            self.set_box.addItem(v.label, v.id)
        self.set_box.setCurrentIndex(max(0, self.set_box.findData(editor.plan.standards_version)))
        self._refreshing = False
        self.grid_model.reset(editor.plan, editor.standards)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self._summarise()
        sections = editor.standards.sections if editor.standards else ()
        row = sections.index(self.section) if self.section in sections else 0
        if sections:
            self.grid.setCurrentIndex(self.grid_model.index(row, 0))
        self._show_section(row)

    def _set_chosen(self) -> None:
        if self._refreshing:
            return
        self.editor.choose_standards(self.set_box.currentData(), self.set_box.currentText())

    def _summarise(self) -> None:
        plan, standards = self.editor.plan, self.editor.standards
        if standards is None:
            self.summary.setText("Choose the standards set this visit reviews against.")
            return
        if not plan.components:
            self.summary.setText("Add the visit's components under Visit details first.")
            return
        kit = plan.kit_standards(standards)
        left_out = len(standards.standards) - len(kit.standards)
        exceptions = len(plan.exceptions)
        self.summary.setText(
            f"{len(kit.standards)} of {len(standards.standards)} standards go in the kit"
            + (f"; {left_out} apply to no component and are left out" if left_out else "")
            + (f"; {exceptions} standards have their own choice" if exceptions else "")
            + ". Tick a cell to apply a whole section to a component."
        )

    def _show_section(self, row: int) -> None:
        plan, standards = self.editor.plan, self.editor.standards
        if standards is None or not 0 <= row < len(standards.sections):
            self.standards_model.set_rows([])
            self.section_label.setText("")
            return
        self.section = standards.sections[row]
        members = [s for s in standards.standards if s.section == self.section]
        columns = [
            Col("Ref", lambda s: s.ref),
            Col("Title", lambda s: s.title, tip=requirement_text),
            Col("Own choice", lambda s: "yes" if s.ref in plan.exceptions else ""),
        ]
        for c in plan.components:
            columns.append(self._component_column(c.id, c.name, members))
        self.standards_model.columns = columns
        self.standards_model.set_rows(members)
        self.standards_view.resizeColumnsToContents()
        self.standards_view.setColumnWidth(1, min(self.standards_view.columnWidth(1), 300))
        self.section_label.setText(
            f"{self.section}: tick or untick a standard's components to make it an exception."
        )

    def _component_column(self, cid: str, name: str, members: list[Any]) -> Col:
        plan = self.editor.plan

        def check(s: Any) -> bool:
            return cid in plan.applies_to(s)

        def tick(row: int, on: bool) -> str:
            return self._tick(members[row], cid, name, on)

        return Col(name, lambda _s: "", check=check, tick=tick)

    def _tick(self, standard: Any, component: str, name: str, on: bool) -> str:
        chosen = [c for c in self.editor.plan.applies_to(standard) if c != component] + (
            [component] if on else []
        )
        self.editor.apply(
            f"Apply {standard.ref} to {name}" if on else f"Stop applying {standard.ref} to {name}",
            lambda plan: plan.set_exception(standard.ref, chosen),
        )
        return ""

    def _follow(self) -> None:
        row = selected_row(self.standards_view)
        if not 0 <= row < len(self.standards_model.rows):
            self.status.setText("Choose the standard first.")
            return
        ref = self.standards_model.rows[row].ref
        self.editor.apply(
            f"Let {ref} follow its section", lambda plan: plan.set_exception(ref, None)
        )
        self._redraw()

    def _redraw(self) -> None:
        self._summarise()
        self.grid.viewport().update()
        self.standards_model.dataChanged.emit(
            self.standards_model.index(0, 0),
            self.standards_model.index(
                max(0, self.standards_model.rowCount() - 1),
                max(0, self.standards_model.columnCount() - 1),
            ),
        )
