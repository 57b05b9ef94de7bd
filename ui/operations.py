"""Every change a screen makes, and every long task it starts, in one place (Anki's ops).

A change is one named session operation run on the visit's storage worker::

    ChangeOp(self, bridge, lambda s: s.set_judgement(ref, component, MET)).success(done).run()

``ChangeOp`` takes in one place what each screen used to do for itself:

- a refusal: an operation the session refuses before any work starts (lead-only operations
  raise ``LeadOnly``) is told to the user in the session's own sentence, and nothing changes;
- the saving/saved status, the change absorbed into the read model and the undo history, and
  the ``changed`` signal every screen listens to (``SessionBridge.run``);
- the words: a failure, the status bar and the Undo menu all use the session's description of
  the change ("judge HN-204"), so no screen words it again;
- a failure: logged once when it is our fault, and shown once, politely.

``TaskOp`` is other work off the UI thread: a read, or long work (writing a report, importing
bundles) with one progress dialog and an optional Cancel; the result or the failure comes back
on the UI thread, and a failure is told once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from reviewer_app.app.errors import is_user_error
from ui.errors import report_error, show_error, told
from ui.tasks import when_done

if TYPE_CHECKING:
    from PySide6.QtWidgets import QProgressDialog

    from reviewer_app.visit.session import Change, VisitSession
    from ui.bridge import SessionBridge

T = TypeVar("T")
log = logging.getLogger(__name__)
# progress(done, total, what): done of total units of the step named what ("" keeps the label);
# total 0: not known yet. From any thread. The shape of sync.progress.Progress (ui/ does not
# import sync/).
Progress = Callable[[int, int, str], None]


class ChangeOp:
    """One change to the visit: ``op(session)`` returns the session operation's future (or None
    when there is nothing to change); ``success`` and ``failure`` are called on the UI thread."""

    def __init__(
        self,
        parent: QWidget | None,
        bridge: SessionBridge,
        op: Callable[[VisitSession], Future[Change] | None],
    ) -> None:
        self._parent = parent
        self._bridge = bridge
        self._op = op
        self._success: Callable[[Change], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, fn: Callable[[Change], None]) -> ChangeOp:
        """``fn(change)`` once the change is stored and every screen was told of it."""
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None]) -> ChangeOp:
        """``fn(exc)`` after a refusal or a failure has been told to the user."""
        self._failure = fn
        return self

    def run(self) -> bool:
        """Start the change; False when it was refused (the user was told) or there was
        nothing to change."""
        try:
            future = self._op(self._bridge.session)
        except Exception as exc:  # noqa: BLE001 - a refusal, or our fault: told once here
            self._refused(exc)
            return False
        if future is None:
            return False
        self._bridge.run(future, parent=self._parent, then=self._success, otherwise=self._failure)
        return True

    def _refused(self, exc: BaseException) -> None:
        if is_user_error(exc):
            text = str(exc) or exc.__class__.__name__
            show_error(self._parent, text[:1].upper() + text[1:], fault=False)
        else:
            report_error(self._parent, exc, "make this change")
        if self._failure is not None:
            self._failure(exc)


class Cancelled(Exception):  # noqa: N818 (what the user did, not an error)
    """Raised inside a task's work by its progress callback once the user pressed Cancel."""


class _Relay(QObject):
    progressed = Signal(int, int, str)  # done, total, text: queued to the UI thread


class TaskOp(Generic[T]):
    """Work off the UI thread whose result comes back to a screen: a read, or long work with one
    progress dialog.

    ``start(progress)`` submits the work and returns its future; the work may call
    ``progress(done, total, what)`` from any thread (total 0: busy, no bar; ``what`` replaces
    the dialog's label unless it is empty). ``what`` ("write the draft report") words a
    failure, which is told to the user once (logged if it is our fault), or only logged after
    ``untold()`` (a read the user did not ask for).

    ``with_progress(title, label)`` shows the dialog while the work runs; with ``cancellable()``
    it has a Cancel button, and the next call of ``progress`` after it was pressed raises
    ``Cancelled`` in the work: only for work that can stop there and leave nothing half done.
    """

    def __init__(
        self, parent: QWidget, start: Callable[[Progress], Future[T]], *, what: str
    ) -> None:
        self.parent = parent
        self._start = start
        self.what = what
        self.title = self.label = ""
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None
        self._telling = "shown"  # or "logged" (untold), or "" (the failure callback tells)
        self._cancellable = False
        self._running = False
        self.cancelled = False
        self.dialog: QProgressDialog | None = None
        self._relay = _Relay(parent)
        self._relay.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)

    def success(self, fn: Callable[[T], None]) -> TaskOp[T]:
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], None], *, tell: bool = True) -> TaskOp[T]:
        """``fn(exc)`` after the failure was told to the user (not after a Cancel); with
        ``tell=False`` it is ``fn``'s to tell (a damaged workspace leads to its backups)."""
        self._failure = fn
        if not tell:
            self._telling = ""
        return self

    def untold(self) -> TaskOp[T]:
        """A failure is logged, not shown: for work the user did not ask for."""
        self._telling = "logged"
        return self

    def with_progress(self, title: str, label: str) -> TaskOp[T]:
        self.title, self.label = title, label
        return self

    def cancellable(self) -> TaskOp[T]:
        self._cancellable = True
        return self

    @property
    def running(self) -> bool:
        return self._running

    def run(self) -> bool:
        """Start the work (and show the dialog); False if it could not start (the user was
        told)."""
        try:
            future = self._start(self._progress)
        except Exception as exc:  # noqa: BLE001 - a bad file name, a full disk: told once
            self._failed(exc)
            return False
        self._running = True
        if self.title:
            self.dialog = self._make_dialog()
        when_done(future, self._relay, self._finished, self._failed)
        return True

    def _progress(self, done: int, total: int, text: str) -> None:
        """Called by the work, on its thread."""
        if self.cancelled:
            raise Cancelled(self.what)
        self._relay.progressed.emit(done, total, text)

    def _make_dialog(self) -> QProgressDialog:
        # PySide builds a Qt class's type when first named: not before there is long work.
        from PySide6.QtWidgets import QProgressDialog  # noqa: PLC0415

        dialog = QProgressDialog(self.label, "Cancel", 0, 0, self.parent)
        dialog.setWindowTitle(self.title)
        dialog.setAccessibleName(self.title)
        if not self._cancellable:
            dialog.setCancelButton(None)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._cancel)
        dialog.setValue(0)
        return dialog

    def _cancel(self) -> None:
        if self.dialog is not None:
            self.cancelled = True
            self.dialog.setLabelText("Stopping…")

    def _progressed(self, done: int, total: int, text: str) -> None:
        dialog = self.dialog
        if dialog is None or self.cancelled:
            return
        if text:
            dialog.setLabelText(text)
        if total > 0:
            dialog.setRange(0, total)
            # Last: a window-modal progress dialog runs the event loop in setValue, where the
            # work may finish and the dialog be closed.
            dialog.setValue(min(done, total))

    def _end(self) -> None:
        self._running = False
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self._cancel)
            dialog.close()
            dialog.deleteLater()
        self._relay.deleteLater()  # (after the delivery that called this: it is queued)

    def _finished(self, result: T) -> None:
        self._end()
        if self._success is not None:
            self._success(result)

    def _failed(self, exc: BaseException) -> None:
        self._end()
        if isinstance(exc, Cancelled):
            return
        if self._telling == "shown":
            text, fault = told(exc, self.what)
            show_error(self.parent, text, fault=fault)
        elif self._telling == "logged":
            log.warning("could not %s: %s", self.what, exc, exc_info=not is_user_error(exc))
        if self._failure is not None:
            self._failure(exc)
