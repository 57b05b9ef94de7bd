"""An observation: text, a category from DOMAIN.md's findings (an immediate risk is marked
as escalated at once), the standards it rests on, and optionally the timetable session.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.model import CATEGORIES, Observation
from reviewer_app.visit.read_model import VisitData
from ui.dialogs.base import (
    FormDialog,
    text_box,
    warning_colour,
)

IMMEDIATE_RISK = "immediate_risk"


@dataclass(frozen=True)
class ObservationInput:
    text: str
    category: str
    refs: tuple[str, ...]
    session_id: str


class ObservationDialog(FormDialog):
    """An observation with its category (DOMAIN.md "Findings"), standards and session."""

    def __init__(
        self,
        parent: QWidget | None,
        data: VisitData,
        ref: str | None,
        existing: Observation | None = None,
    ) -> None:
        super().__init__(parent, "Edit observation" if existing else "Observation")
        self.noun, self.editing = "observation", existing is not None
        self._data = data
        self.text = text_box(self, "Observation", "What you observed (no names or NHS numbers)")
        self.text.setMinimumHeight(110)
        self.categories = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        grid = QVBoxLayout()
        grid.setSpacing(2)
        for key, label in CATEGORIES.items():
            radio = QRadioButton(label, self)
            radio.setAccessibleName(label)
            if key == IMMEDIATE_RISK:
                radio.setText(f"{label} — escalated to the lead at once")
                radio.setStyleSheet(f"color: {warning_colour(self)}; font-weight: bold;")
                radio.setAccessibleDescription("An immediate risk is escalated at once")
            self.categories.addButton(radio)
            self.radios[key] = radio
            grid.addWidget(radio)
        self.refs = QListWidget(self)
        self.refs.setAccessibleName("Linked standards")
        self.refs.setMaximumHeight(96)
        self.add_ref = QLineEdit(self)
        self.add_ref.setAccessibleName("Add a standard by its reference")
        self.add_ref.setPlaceholderText("Type a reference, e.g. HN-204, and press Enter")
        completer = QCompleter([f"{s.ref}  {s.title}" for s in data.standards], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_ref.setCompleter(completer)
        self.add_ref.returnPressed.connect(self._add_typed_ref)
        completer.activated.connect(lambda _text: self._add_typed_ref())
        self.remove_ref = QPushButton("Remove", self)
        self.remove_ref.setAccessibleName("Remove the selected standard")
        self.remove_ref.clicked.connect(self._remove_selected)
        refs_row = QHBoxLayout()
        refs_row.addWidget(self.add_ref, 1)
        refs_row.addWidget(self.remove_ref)
        self.session = self.session_combo(data, "Timetable session")
        self.form.addRow("&Observation:", self.text)
        self.form.addRow("Category:", grid)
        self.form.addRow("Linked &standards:", self.refs)
        self.form.addRow("", refs_row)
        self.form.addRow("&Session:", self.session)
        if ref:
            self.add(ref)
        if existing is not None:
            self._show(existing)
        self.text.textChanged.connect(self.validate)
        self.categories.buttonToggled.connect(lambda *_: self.validate())
        self.resize(600, 0)
        self.validate()

    def _show(self, existing: Observation) -> None:
        """Editing: the observation as it is now."""
        self.text.setPlainText(existing.text)
        radio = self.radios.get(existing.category)
        if radio is not None:
            radio.setChecked(True)
        for linked in existing.refs:
            self.add(linked)
        # Its own session (or "None"), not the one happening now.
        self.session.setCurrentIndex(max(0, self.session.findData(existing.session_id)))

    def add(self, ref: str) -> bool:
        """Link a standard (once); False when the kit has no such ref."""
        std = self._data.by_ref.get(ref)
        if std is None:
            return False
        if ref not in self.linked_refs():
            item = QListWidgetItem(f"{ref}  {std.title}", self.refs)
            item.setData(Qt.ItemDataRole.UserRole, ref)
        return True

    def own_enter(self) -> tuple[QWidget, ...]:
        return (self.add_ref,)  # Enter there links the typed standard

    def linked_refs(self) -> tuple[str, ...]:
        items = (self.refs.item(i) for i in range(self.refs.count()))
        return tuple(str(item.data(Qt.ItemDataRole.UserRole)) for item in items)

    def _add_typed_ref(self) -> None:
        typed = self.add_ref.text().strip()
        ref = typed.split("  ", 1)[0].strip()
        if not ref:
            return
        found = ref if ref in self._data.by_ref else self._match_ref(ref)
        if found and self.add(found):
            self.add_ref.clear()
            self.validate()
        else:
            self.hint.setText(f"No standard {ref!r} in this kit.")

    def _match_ref(self, typed: str) -> str | None:
        wanted = typed.casefold()
        return next((s.ref for s in self._data.standards if s.ref.casefold() == wanted), None)

    def _remove_selected(self) -> None:
        for item in self.refs.selectedItems():
            self.refs.takeItem(self.refs.row(item))

    def category(self) -> str:
        return next((k for k, r in self.radios.items() if r.isChecked()), "")

    def problem(self) -> str:
        if not self.text.toPlainText().strip():
            return "Write the observation."
        if not self.category():
            return "Choose a category."
        return ""

    def ready_text(self) -> str:
        if self.category() == IMMEDIATE_RISK:
            return "An immediate risk: tell the lead reviewer now, as well as saving it here."
        return super().ready_text()

    def value(self) -> ObservationInput:
        return ObservationInput(
            text=self.text.toPlainText().strip(),
            category=self.category(),
            refs=self.linked_refs(),
            session_id=str(self.session.currentData() or ""),
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        data: VisitData,
        ref: str | None,
        existing: Observation | None = None,
    ) -> ObservationInput | None:
        """A new observation (linked to ``ref``), or ``existing`` edited; None if cancelled."""
        dialog = cls(parent, data, ref, existing)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
