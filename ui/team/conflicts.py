"""Conflicts: one field edited in two places at once; every value shown, a person decides.

The list on the left names each field in words; on the right, every value still in play with who
wrote it and when (the one the window shows now is marked), and "Write a new value" for text.
"Resolve" records the choice through the session (``VisitSession.resolve_conflict``), which
writes the ``_conflict`` resolution operations storage expects; the list is then read again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.team.work import conflicts_of
from reviewer_app.visit.conflicts import (
    KEEP_WINNER,
    ConflictGroup,
    describe,
    hlc_time,
    member_name,
    show_value,
)
from reviewer_app.visit.read_model import VisitData
from ui.bridge import SessionBridge
from ui.operations import ChangeOp, TaskOp
from ui.text_style import clear_layout, heading, muted

NEW_VALUE = -1


class ConflictsWindow(QDialog):
    """Every unresolved conflict of the visit, and a way to settle each."""

    resolved = Signal(int)  # how many conflicts are left

    def __init__(self, bridge: SessionBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.groups: list[ConflictGroup] = []
        self.loading = False
        self.setWindowTitle("Conflicts")
        self.setAccessibleName("Conflicts")
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        title = QLabel("Edits made in two places at once", self)
        heading(title, 1.3)
        explain = QLabel(
            "Each was changed on two laptops before either saw the other's change. The window "
            "shows the newest; the others are kept here until you choose.",
            self,
        )
        explain.setWordWrap(True)
        muted(explain)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Conflicting fields")
        self.list.setWordWrap(True)
        self.list.setMinimumWidth(300)
        right = self._build_right()
        self.empty = QLabel("No conflicts: nothing was edited in two places at once.", self)
        self.empty.setAccessibleName("No conflicts")
        self.empty.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.list, 2)
        row.addWidget(right, 3)
        self.right_widget = right
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.empty)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(lambda _row: self.show_group())
        bridge.reloaded.connect(self.load)
        self.load()

    def _build_right(self) -> QWidget:
        right = QWidget(self)
        self.right = QVBoxLayout(right)
        self.what = QLabel(right)
        self.what.setWordWrap(True)
        self.what.setTextFormat(Qt.TextFormat.PlainText)
        heading(self.what, 1.05)
        self.choices_box = QVBoxLayout()
        self.choice = QButtonGroup(self)
        self.new_value = QPlainTextEdit(right)
        self.new_value.setAccessibleName("New value")
        self.new_value.setPlaceholderText("Write the value that should stand")
        self.new_value.setTabChangesFocus(True)
        self.new_value.setFixedHeight(self.new_value.fontMetrics().lineSpacing() * 4 + 12)
        self.new_value.textChanged.connect(self._new_value_typed)
        self.resolve_button = QPushButton("Resolve", right)
        self.resolve_button.setAccessibleName("Resolve the conflict")
        self.resolve_button.setDefault(True)
        self.resolve_button.clicked.connect(self.resolve)
        self.right.addWidget(self.what)
        self.right.addLayout(self.choices_box)
        self.right.addWidget(self.new_value)
        self.right.addWidget(self.resolve_button, 0, Qt.AlignmentFlag.AlignRight)
        self.right.addStretch(1)
        return right

    @property
    def data(self) -> VisitData:
        return self.bridge.session.data

    def load(self) -> None:
        """Read the conflicts on the storage worker; show them when they arrive."""
        self.loading = True
        TaskOp(
            self, lambda _progress: conflicts_of(self.bridge.session), what="list the conflicts"
        ).success(self._loaded).run()

    def _loaded(self, groups: list[ConflictGroup]) -> None:
        keep = self.current()
        self.loading = False
        self.groups = groups
        self.list.clear()
        for g in groups:
            item = QListWidgetItem(describe(g, self.data))
            item.setToolTip(item.text())
            self.list.addItem(item)
        at = next((i for i, g in enumerate(groups) if keep and g.key == keep.key), 0)
        self.empty.setVisible(not groups)
        self.list.setVisible(bool(groups))
        self.right_widget.setVisible(bool(groups))
        if groups:
            self.list.setCurrentRow(at)
        self.show_group()
        self.resolved.emit(len(groups))

    def current(self) -> ConflictGroup | None:
        row = self.list.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def show_group(self) -> None:
        group = self.current()
        for button in self.choice.buttons():
            self.choice.removeButton(button)
        clear_layout(self.choices_box)
        self.new_value.clear()
        if group is None:
            return
        self.what.setText(describe(group, self.data))
        for i, op in enumerate(group.values):
            when = hlc_time(op.hlc)
            shown = " (shown now)" if i == 0 else ""
            text = (
                f"{show_value(group.field, op.value)}\n"
                f"— {member_name(self.data, op.member_id)}, {when:%a} {when.day} "
                f"{when:%b %H:%M}{shown}"
            )
            radio = QRadioButton(text, self.right_widget)
            radio.setAccessibleName(f"Keep: {show_value(group.field, op.value)}")
            self.choice.addButton(radio, i)
            self.choices_box.addWidget(radio)
        other = QRadioButton("Write a new value", self.right_widget)
        other.setAccessibleName("Write a new value")
        other.setEnabled(group.text_field)
        self.choice.addButton(other, NEW_VALUE)
        self.choices_box.addWidget(other)
        self.new_value.setEnabled(group.text_field)
        self.choice.button(0).setChecked(True)

    def _new_value_typed(self) -> None:
        if self.new_value.toPlainText() and self.choice.button(NEW_VALUE) is not None:
            self.choice.button(NEW_VALUE).setChecked(True)

    def choose(self, index: int, new_text: str = "") -> None:
        """Pick a value (its index in the group) or, with ``NEW_VALUE``, type one."""
        if index == NEW_VALUE:
            self.new_value.setPlainText(new_text)
        self.choice.button(index).setChecked(True)

    def resolve(self) -> None:
        group = self.current()
        if group is None or self.loading:
            return
        chosen = self.choice.checkedId()
        if chosen == NEW_VALUE:
            text = self.new_value.toPlainText().strip()
            if not text:
                self.new_value.setFocus()
                self.new_value.setPlaceholderText("Write the value first, or choose one above")
                return
            value: object = text
        elif chosen <= 0:
            value = KEEP_WINNER  # the value shown now: only the losers are marked resolved
        else:
            value = group.values[chosen].value
        self.loading = True
        ChangeOp(self, self.bridge, lambda s: s.resolve_conflict(group.losers, value)).success(
            lambda _change: self.load()
        ).failure(lambda _exc: self.load()).run()
