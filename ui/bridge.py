"""The session as the UI sees it: the one place where futures become Qt signals.

Every change the window makes goes ``bridge.run(session.<operation>(...), "what")``: the
operation runs on the storage worker, and when it is done the bridge (on the UI thread) hands the
``Change`` to ``session.absorb`` and emits ``changed`` so that each screen decides for itself
whether to redraw (Anki's OpChanges). ``saving``/``saved``/``failed`` drive the status bar.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from reviewer_app.visit.session import Change, VisitSession
from ui.errors import error_message, report_error
from ui.tasks import when_done

log = logging.getLogger(__name__)


class SessionBridge(QObject):
    changed = Signal(object)  # a finished Change, already absorbed into session.data
    saving = Signal()
    saved = Signal(str)  # "All changes saved 14:03:12"
    failed = Signal(str)  # what was not saved, in words
    history_changed = Signal()  # can_undo / can_redo may differ
    search_done = Signal(str, list)  # query, refs (only the newest query's results)
    reloaded = Signal()  # everything may have changed (bundles imported): redraw from data

    def __init__(self, session: VisitSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pending = 0
        self._query = ""
        self._closed = False

    @property
    def data(self) -> Any:
        return self.session.data

    def _window(self) -> QWidget | None:
        parent = self.parent()
        return parent if isinstance(parent, QWidget) else None

    def run(self, future: Future[Change], what: str) -> None:
        """Track one operation: show "Saving…", then absorb its change and say "saved"."""
        self.pending += 1
        self.saving.emit()
        when_done(future, self, self._done, lambda exc: self._failed(exc, what))

    def _done(self, change: Change) -> None:
        self.pending -= 1
        self.session.absorb(change)
        self.changed.emit(change)
        self.history_changed.emit()
        if self.pending == 0:
            self.saved.emit(f"All changes saved {datetime.now():%H:%M:%S}")

    def _failed(self, exc: BaseException, what: str) -> None:
        self.pending -= 1
        self.failed.emit(f"Not saved: {what}. {error_message(exc, what)}".split("\n")[0])
        self.history_changed.emit()
        if not self._closed:
            report_error(self._window(), exc, what)

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

    def undo(self) -> bool:
        future = self.session.undo()
        if future is None:
            return False
        self.run(future, "undo")
        return True

    def redo(self) -> bool:
        future = self.session.redo()
        if future is None:
            return False
        self.run(future, "redo")
        return True

    # -- asking without changing ----------------------------------------------------------------

    def search(self, query: str) -> None:
        """Full-text search; ``search_done`` is emitted only if no newer query was asked since.

        Nothing is searched once the window has closed its visit (the search box's pause may
        end just after the window closed)."""
        if self._closed:
            return
        self._query = query
        when_done(
            self.session.search(query),
            self,
            lambda refs: self._searched(query, refs),
            lambda exc: self._search_failed(query, exc),
        )

    def _searched(self, query: str, refs: list[str]) -> None:
        if query == self._query:
            self.search_done.emit(query, list(refs))

    def _search_failed(self, query: str, exc: BaseException) -> None:
        log.warning("search for %r failed: %s", query, exc)
        if query == self._query:
            self.search_done.emit(query, [])

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
