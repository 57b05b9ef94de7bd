"""A plan's edits as named commands on one undo stack: Ctrl+Z and Ctrl+Shift+Z in the planner.

A tab changes the plan only through ``PlanEditor.apply(text, change)``: the editor keeps a copy
of the plan, runs ``change`` on it, and pushes a ``PlanEdit`` holding the plan before and after
under ``text`` ("Add reviewer Dr Patel"). The command saves the plan (on the staff worker, a
burst of edits once); undo and redo put the whole plan back as it was before or after, show the
tab it was changed in, and save it again.

One command holding two whole plans, rather than a command class per kind of edit: a plan is a
small document that is read and saved whole anyway, a copy shares its frozen records (an edit
of a plan with 2,000 exceptions and 200 documents takes about 5 ms, the demo's well under one),
and it keeps each of the tabs' fifty-odd edits one call. Typing in one field is one command
(``merge``), as in a text editor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack

from reviewer_app.staff.planner import VisitPlan

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor

UNDO_LIMIT = 200  # two plans a step: a long day's edits, in a few megabytes at most
_MERGING = 15  # QUndoCommand.id() of an edit that merges with the next one of the same key


class PlanEdit(QUndoCommand):
    """One named change of the open plan: the plan before and after it."""

    def __init__(  # noqa: PLR0913 (the plan twice, and where the edit was made)
        self,
        editor: PlanEditor,
        text: str,
        before: VisitPlan,
        after: VisitPlan,
        *,
        merge: str = "",
        tab: int = -1,
    ) -> None:
        super().__init__(text)
        self.editor = editor
        self.before, self.after = before, after
        self.merge = merge
        self.tab = tab
        self._first = True  # the tab made the change itself; the push only saves it

    def id(self) -> int:
        return _MERGING if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, PlanEdit) or other.merge != self.merge:
            return False
        self.after = other.after
        # Typed and then typed back: nothing is left to undo (the stack drops the command).
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        if self._first:
            self._first = False
        else:
            self.editor.restore(self.after, self.tab)
        self.editor.save_soon()

    def undo(self) -> None:
        self.editor.restore(self.before, self.tab)
        self.editor.save_soon()


def plan_undo_stack(editor: PlanEditor) -> QUndoStack:
    stack = QUndoStack(editor)
    stack.setUndoLimit(UNDO_LIMIT)
    return stack


class _NamedItem(QObject):
    """An Undo or Redo item that names its change, from the stack's signals alone (the stack
    says them while it is being destroyed too, when it can no longer be asked)."""

    def __init__(self, action: QAction, verb: str, usable: Callable[[], bool]) -> None:
        super().__init__(action)  # goes with the item: no signal reaches a deleted one
        self.action, self.verb, self.usable = action, verb, usable
        self.keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.change, self.can = "", False

    def set_change(self, change: str) -> None:
        self.change = change
        self.show()

    def set_can(self, can: bool) -> None:
        self.can = can
        self.show()

    def show(self) -> None:
        verb, change = self.verb, self.change
        self.action.setEnabled(self.can and self.usable())
        self.action.setText(f"&{verb} {change.replace('&', '&&')}" if change else f"&{verb}")
        described = f"{verb} {change}" if change else f"Nothing to {verb.lower()}"
        self.action.setToolTip(f"{described} ({self.keys})")
        self.action.setStatusTip(described)


def follow_stack(
    stack: QUndoStack, undo: QAction, redo: QAction, usable: Callable[[], bool]
) -> Callable[[], None]:
    """Keep the Undo and Redo items naming the change they would undo or redo ("Undo Add
    reviewer Dr Patel"), enabled only when there is one and ``usable()`` (the planner is the
    page shown). Returns the function that brings them up to date, for a page change."""
    undo_item = _NamedItem(undo, "Undo", usable)
    redo_item = _NamedItem(redo, "Redo", usable)
    stack.undoTextChanged.connect(undo_item.set_change)
    stack.canUndoChanged.connect(undo_item.set_can)
    stack.redoTextChanged.connect(redo_item.set_change)
    stack.canRedoChanged.connect(redo_item.set_can)
    undo_item.set_change(stack.undoText())
    undo_item.set_can(stack.canUndo())
    redo_item.set_change(stack.redoText())
    redo_item.set_can(stack.canRedo())

    def show() -> None:
        undo_item.show()
        redo_item.show()

    return show
