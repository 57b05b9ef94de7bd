"""Bringing results of background work back to the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

T = TypeVar("T")


class _Relay(QObject):
    finished = Signal(object)


def when_done(
    future: Future[T],
    owner: QObject,
    on_result: Callable[[T], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Call ``on_result`` (or ``on_error``) on the UI thread when ``future`` completes.

    The future's callback runs on the worker thread; a queued signal carries it across.
    ``owner`` keeps the relay alive and drops the callback if the owner is destroyed first.
    Delivery is always queued, even for a future that is already done: a caller in the middle
    of redrawing is never re-entered (a photo's thumbnail was once lost that way).
    """
    relay = _Relay(owner)
    # The callbacks are taken out before they run, so the relay's connection does not hold
    # them afterwards: they often hold the last reference to ``owner``, and releasing it as the
    # relay (owner's child) is deleted would delete the owner in the middle of deleting its
    # child, a crash in ~QObject (seen with a dialog's top-level host in the tests).
    callbacks: list[Callable[[Any], None]] = [on_result, on_error]

    def deliver(f: Any) -> None:
        relay.deleteLater()
        if not callbacks:
            return
        result, error = callbacks
        callbacks.clear()
        exc = f.exception()
        if exc is not None:
            error(exc)
        else:
            result(f.result())

    relay.finished.connect(deliver, Qt.ConnectionType.QueuedConnection)
    future.add_done_callback(relay.finished.emit)
