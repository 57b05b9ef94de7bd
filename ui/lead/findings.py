"""The lead's findings window: per component, by category, numbered as the report numbers them.

Left, the findings of the chosen component as a tree (``FindingsModel``); right, the chosen
finding (``FindingEditor``). It opens on every component's findings (or, when they are all on
one component, on that one), so the lead sees every finding at once (issue 16). The lead adds,
edits, reorders (Move up/down, Alt+Up/Down, or drag), deletes, and makes reviewers'
observations into findings. Every change is a named session operation run through the
``SessionBridge``, so it undoes (Ctrl+Z here or in the reviewer's window) and the reviewer's
window says "saved". Unsaved words are saved, not lost, when the lead moves to another finding
or closes the window. Anyone else reads the same window.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.lead import accuracy as accuracy_rules
from reviewer_app.lead import findings as rules
from reviewer_app.visit.model import (
    ACCURACY_ANSWER,
    DELETED,
    EVIDENCE_SEEN,
    FINDING,
    OBSERVATION,
    PHOTO,
)
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change, VisitSession
from ui import shortcuts
from ui.actions import make_action
from ui.bridge import SessionBridge
from ui.dialogs.base import combo
from ui.lead.dialogs import NewFindingDialog, PromoteDialog, unpromoted
from ui.lead.finding_editor import FindingEditor
from ui.lead.findings_model import ALL_COMPONENTS, ID_ROLE, FindingsModel
from ui.operations import ChangeOp
from ui.team.team_judgement import lead_name
from ui.text_style import heading, muted


class FindingsWindow(QDialog):
    """Not modal: it sits beside the reviewer's window."""

    def __init__(  # noqa: PLR0915 (one widget after another)
        self, bridge: SessionBridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        data: VisitData = bridge.session.data
        self.visit = data
        self.editable = bridge.session.is_lead
        self._select_after: str | None = None
        self.setWindowTitle(f"Findings — {data.visit.title}")
        self.setAccessibleName("Findings")
        self.resize(1240, 800)
        title = QLabel("Review visit findings", self)
        heading(title, 1.3)
        explain = QLabel(
            "Per component, by category, numbered as the report numbers them. Choose a finding "
            "to edit its words and links; Alt+Up and Alt+Down move it within its category."
            if self.editable
            else f"Read-only: only the lead, {lead_name(data)}, writes findings.",
            self,
        )
        explain.setWordWrap(True)
        muted(explain)
        self.component = combo(self, "Findings for")
        self.component.addItem("All components", ALL_COMPONENTS)
        self.component.addItem("Whole service", rules.WHOLE_SERVICE)
        for c in data.visit.components:
            self.component.addItem(c.name, c.id)
        opening = self._opening_component(data)
        self.component.setCurrentIndex(max(0, self.component.findData(opening)))
        top = QHBoxLayout()
        label = QLabel("Findings &for:", self)
        label.setBuddy(self.component)
        top.addWidget(label)
        top.addWidget(self.component, 1)
        self.model = FindingsModel(data, opening, self)
        self.tree = QTreeView(self)
        self.tree.setAccessibleName("Findings by category")
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        if self.editable:  # the lead drags a finding to its place in its category
            self.model.movable = True
            self.model.moved.connect(self._move)
            self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
            self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
            self.tree.setDropIndicatorShown(True)
        self.editor = FindingEditor(
            data,
            self,
            editable=self.editable,
            read_blob=self.bridge.session.read_blob,
            bridge=bridge,
        )
        if self.editor.comments is not None:  # the lead's typed words are saved before an answer
            self.editor.comments.answerer.before_answer = self.save
            self.editor.comments.source.changed.connect(self._update_buttons)
        self.status = QLabel(self)
        self.status.setAccessibleName("Findings status")
        self.status.setWordWrap(True)
        muted(self.status)
        self._build_buttons()
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(self.button_rows)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setSizes([520, 720])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.component.currentIndexChanged.connect(self._component_changed)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.editor.save_requested.connect(self.save)
        self.editor.dirty_changed.connect(lambda _d: self._update_buttons())
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self._after_refresh(None)

    def _build_buttons(self) -> None:
        def button(text: str, slot: Any, name: str) -> QPushButton:
            b = QPushButton(text, self)
            b.setAccessibleName(name)
            b.clicked.connect(slot)
            b.setVisible(self.editable)
            return b

        self.new_button = button("&New finding…", self.new_finding, "New finding")
        self.promote_button = button(
            "Make an &observation a finding…", self.promote, "Make an observation a finding"
        )
        self.up_button = button("Move &up", lambda: self.move_finding(-1), "Move up")
        self.down_button = button("Move do&wn", lambda: self.move_finding(1), "Move down")
        self.delete_button = button("&Delete", self.delete, "Delete the finding")
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for b in (self.new_button, self.promote_button):
            row1.addWidget(b)
        row1.addStretch(1)
        for b in (self.up_button, self.down_button, self.delete_button):
            row2.addWidget(b)
        row2.addStretch(1)
        self.button_rows = QVBoxLayout()
        self.button_rows.addLayout(row1)
        self.button_rows.addLayout(row2)
        if not self.editable:
            return
        for text, slot, keys in (
            ("New finding", self.new_finding, shortcuts.NEW_FINDING),
            ("Move finding up", lambda: self.move_finding(-1), shortcuts.MOVE_FINDING_UP),
            ("Move finding down", lambda: self.move_finding(1), shortcuts.MOVE_FINDING_DOWN),
            ("Promote observation", self.promote, shortcuts.PROMOTE_OBSERVATION),
            ("Save finding", self.save, shortcuts.SAVE_FINDING),
            ("Undo", self.bridge.undo, shortcuts.UNDO),
            ("Redo", self.bridge.redo, shortcuts.REDO),
        ):
            self.addAction(make_action(self, text, slot, keys))
        delete = make_action(
            self.tree,
            "Delete finding",
            self.delete,
            ("Delete",),
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        self.tree.addAction(delete)

    # -- what is chosen ---------------------------------------------------------------------------

    @staticmethod
    def _opening_component(data: VisitData) -> str:
        """The component whose findings show first: the one they are all on, else all."""
        on = {f.component for f in data.findings.values()}
        return on.pop() if len(on) == 1 else ALL_COMPONENTS

    def target_component(self) -> str:
        """Where a new finding goes: the component shown; with all shown, the chosen
        finding's component (the whole service when none is chosen)."""
        shown = str(self.component.currentData())
        if shown != ALL_COMPONENTS:
            return shown
        f = self.model.finding(self.tree.currentIndex())
        return f.component if f is not None else rules.WHOLE_SERVICE

    def current_id(self) -> str:
        return str(self.model.data(self.tree.currentIndex(), ID_ROLE) or "")

    def current_category(self) -> str:
        return self.model.category_of(self.tree.currentIndex()) or "general"

    def show_finding(self, finding_id: str) -> bool:
        """Choose the component of ``finding_id`` and select it (the finalise dialog jumps here)."""
        f = self.visit.findings.get(finding_id)
        if f is None:
            return False
        at = self.component.findData(f.component)
        if at >= 0 and at != self.component.currentIndex() and not self.model.all_components:
            self.component.setCurrentIndex(at)
        index = self.model.index_of(finding_id)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        self.editor.text.setFocus()
        return True

    def _where(self) -> str:
        return self.component.currentText()

    def _target_name(self) -> str:
        return rules.component_name(self.visit, self.target_component())

    def _component_changed(self, _index: int) -> None:
        self._flush()
        self.model.set_component(str(self.component.currentData()))
        self._after_refresh(None)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        previous_id = str(self.model.data(previous, ID_ROLE) or "") if previous.isValid() else ""
        if previous_id and self.editor.finding is not None and self.editor.dirty:
            self._save_changes(self.editor.finding.id, self.editor.changes())
        self.editor.load(self.model.finding(current))
        self._update_buttons()

    def _update_buttons(self) -> None:
        fid = self.current_id()
        siblings = self.model.siblings(fid) if fid else []
        at = siblings.index(fid) if fid in siblings else -1
        self.up_button.setEnabled(at > 0)
        self.down_button.setEnabled(0 <= at < len(siblings) - 1)
        self.delete_button.setEnabled(bool(fid))
        left = len(unpromoted(self.visit))
        self.promote_button.setText(f"Make an &observation a finding… ({left})")
        self.promote_button.setEnabled(left > 0)
        count = self.model.count()
        self.status.setText(
            f"{count} finding{'s' if count != 1 else ''} for {self._where()}; "
            f"{len(self.visit.findings)} in all."
            + self._comments_words()
            + ("  Unsaved changes: Ctrl+Enter saves." if self.editor.dirty else "")
        )

    def _comments_words(self) -> str:
        """How many of the provider's comments are still to answer (Lead > Provider's
        comments lists them), or nothing when there are none."""
        panel = self.editor.comments
        if panel is None or not len(panel.source.comments):
            return ""
        done, total = accuracy_rules.counts(self.visit, panel.source.comments)
        return f"  The provider's comments: {total - done} of {total} to answer."

    # -- changing -------------------------------------------------------------------------------

    def _change(self, op: Callable[[VisitSession], Future[Change]]) -> None:
        ChangeOp(self, self.bridge, op).run()

    def _save_changes(self, finding_id: str, changes: dict[str, Any]) -> None:
        if changes:
            self._change(lambda s: s.edit_finding(finding_id, **changes))

    def save(self) -> None:
        f = self.editor.finding
        if f is not None and self.editor.dirty:
            self._select_after = f.id
            self._save_changes(f.id, self.editor.changes())
            self.editor.mark_saved()  # the stored values come back through ``changed``

    def _flush(self) -> None:
        f = self.editor.finding
        if f is not None and self.editor.dirty:
            self._save_changes(f.id, self.editor.changes())
            self.editor.load(None)

    def new_finding(self) -> None:
        if not self.editable:
            return
        self._flush()
        component = self.target_component()
        asked = NewFindingDialog.ask(self, self._target_name(), self.current_category())
        if asked is None:
            return
        category, text = asked
        self._change(lambda s: s.add_finding(component, category, text))

    def promote(self) -> None:
        if not self.editable:
            return
        self._flush()
        component = self.target_component()
        observation_id = PromoteDialog.ask(self, self.visit, self._target_name())
        if observation_id:
            self._change(lambda s: s.promote_observation(observation_id, component))

    def move_finding(self, step: int) -> None:
        fid = self.current_id()
        siblings = self.model.siblings(fid)
        if not self.editable or fid not in siblings:
            return
        at = siblings.index(fid) + step
        if not 0 <= at < len(siblings):
            return
        # Before the one above; or before the one after the next (None: to the end).
        before: str | None = (
            siblings[at] if step < 0 else (siblings[at + 1] if at + 1 < len(siblings) else None)
        )
        self._move(fid, before)

    def _move(self, fid: str, before: str | None) -> None:
        """Put the finding before ``before`` (None: last) in its category, and keep it chosen."""
        self._flush()
        self._select_after = fid
        self._change(lambda s: s.move_finding(fid, before))

    def delete(self) -> None:
        fid = self.current_id()
        if not self.editable or not fid:
            return
        self.editor.load(None)
        self._change(lambda s: s.delete_finding(fid))
        self.status.setText("Finding deleted. Ctrl+Z brings it back.")

    # -- keeping up -----------------------------------------------------------------------------

    def _on_changed(self, change: Change) -> None:
        if change.entity == FINDING:
            created = change.fields is not None and change.undo.get(DELETED) is True
            keep = change.entity_id if created else (self._select_after or self.current_id())
            self._select_after = None
            self.refresh(keep)
        elif change.entity in (OBSERVATION, PHOTO, EVIDENCE_SEEN, ACCURACY_ANSWER):
            self._update_buttons()

    def refresh(self, keep: str | None = None) -> None:
        keep = keep if isinstance(keep, str) else self.current_id()
        dirty = self.editor.dirty
        self.model.refresh()
        self._after_refresh(keep, reload_editor=not dirty)

    def _after_refresh(self, keep: str | None, *, reload_editor: bool = True) -> None:
        self.tree.expandAll()
        index = self.model.index_of(keep) if keep else QModelIndex()
        if not index.isValid():
            first = self.model.index(0, 0, self._first_category())
            index = first if first.isValid() else self._first_category()
        selection = self.tree.selectionModel()
        selection.blockSignals(True)
        self.tree.setCurrentIndex(index)
        selection.select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        selection.blockSignals(False)
        if reload_editor or self.editor.finding is None:
            self.editor.load(self.model.finding(index))
        else:  # keep the words being typed, compared from now on with what is stored
            self.editor.rebase(self.model.finding(index))
        self.tree.viewport().update()
        self._update_buttons()

    def _first_category(self) -> QModelIndex:
        for row in range(self.model.rowCount()):
            index = self.model.index(row, 0)
            if self.model.rowCount(index):
                return index
        return self.model.index(0, 0)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._flush()
        super().closeEvent(event)

    def reject(self) -> None:  # Escape: save what was typed, then close
        self._flush()
        super().reject()
