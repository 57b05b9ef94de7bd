"""The session as the UI sees it: the one place where futures become Qt signals.

Screens make changes with ``ui.operations.ChangeOp``, which calls ``run`` here: the operation
runs on the storage worker, and when it is done the bridge (on the UI thread) hands the
``Change`` to ``session.absorb`` and emits ``changed`` so that each screen decides for itself
whether to redraw (Anki's OpChanges). ``saving``/``saved``/``failed`` drive the status bar.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from reviewer_app.visit.session import Change, PendingChange, VisitSession
from ui.errors import show_error, told
from ui.tasks import when_done

log = logging.getLogger(__name__)


class SessionBridge(QObject):
    changed = Signal(object)  # a finished Change, already absorbed into session.data
    saving = Signal()
    saved = Signal(str)  # "All changes saved 14:03:12"
    failed = Signal(str)  # what was not saved, in words
    history_changed = Signal()  # can_undo / can_redo may differ
    reloaded = Signal()  # everything may have changed (bundles imported): redraw from data

    def __init__(self, session: VisitSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pending = 0
        self._closed = False

    @property
    def data(self) -> Any:
        return self.session.data

    def _window(self) -> QWidget | None:
        parent = self.parent()
        return parent if isinstance(parent, QWidget) else None

    def run(
        self,
        future: Future[Change],
        what: str = "",
        *,
        parent: QWidget | None = None,
        then: Callable[[Change], None] | None = None,
        otherwise: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Track one operation: show "Saving…", then absorb its change and say "saved".

        ``what`` defaults to the session's description of the change. After the change is
        absorbed (and ``changed`` emitted) ``then`` gets it; after a failure is told, once,
        ``otherwise`` gets the exception. Screens call this through ``ChangeOp``."""
        what = what or (future.description if isinstance(future, PendingChange) else "")
        self.pending += 1
        self.saving.emit()

        def done(change: Change) -> None:
            self._done(change)
            if then is not None:
                then(change)

        def failed(exc: BaseException) -> None:
            self._failed(exc, what or "save the change", parent)
            if otherwise is not None:
                otherwise(exc)

        when_done(future, self, done, failed)

    def _done(self, change: Change) -> None:
        self.pending -= 1
        self.session.absorb(change)
        self.changed.emit(change)
        self.history_changed.emit()
        if self.pending == 0:
            self.saved.emit(f"All changes saved {datetime.now():%H:%M:%S}")

    def _failed(self, exc: BaseException, what: str, parent: QWidget | None) -> None:
        self.pending -= 1
        text, fault = told(exc, what)  # logged here, once, when it is our fault
        self.failed.emit(f"Not saved: {what}. {text}".split("\n")[0])
        self.history_changed.emit()
        if not self._closed:
            show_error(parent or self._window(), text, fault=fault)

    def reload(self, data: Any) -> None:
        """Swap in a fresh read of the visit (after an import) and tell every screen."""
        self.session.reload(data)
        self.reloaded.emit()
        self.history_changed.emit()

    # -- undo and redo ---------------------------------------------------------------------------

    def can_undo(self) -> bool:
        return self.session.can_undo()

    def can_redo(self) -> bool:
        return self.session.can_redo()

    def undo_text(self) -> str:
        """The Undo menu item: "Undo judge HN-204" (just "Undo" when there is nothing)."""
        return _named("Undo", self.session.undo_description())

    def redo_text(self) -> str:
        return _named("Redo", self.session.redo_description())

    def undo(self) -> bool:
        future = self.session.undo()
        if future is None:
            return False
        self.run(future)
        return True

    def redo(self) -> bool:
        future = self.session.redo()
        if future is None:
            return False
        self.run(future)
        return True

    # -- asking without changing ----------------------------------------------------------------

    def remember_position(self, ref: str, component: str) -> None:
        """Where the reviewer is, for reopening after a crash; a failure is only logged."""
        if self._closed:
            return
        when_done(
            self.session.remember_position(ref, component),
            self,
            lambda _none: None,
            lambda exc: log.warning("could not remember the position: %s", exc),
        )

    def close(self) -> None:
        """Run every queued operation, then close the workspace (the worker drains)."""
        if not self._closed:
            self._closed = True
            self.session.close()


def _named(verb: str, description: str) -> str:
    return f"{verb} {description}" if description else verb
