"""Windows on the screen: placed inside it, remembered, brought forward, one of each kind.

Every top-level window goes through ``fit_to_screen`` (``bring_forward`` and ``show_once`` call
it for the windows they show): its remembered size (the ``window_sizes`` setting), or the size
it asked for, shrunk to the screen's available area (the part a task bar leaves) and placed over
its parent, never past an edge. A laptop's 768 px screen once showed a report preview 1000 px
tall and an evidence viewer whose bottom edge was off screen (issue 16).

The arithmetic is ``fit_rect``: a plain function of a size and an available rectangle, so that
a test can give it a small screen the offscreen platform does not have.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QMargins, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QWidget

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)

# What a window need not have before its first paint (status-bar badges, a re-issued kit's
# changes) is started this long after it is built: the reviewer sees the page first.
AFTER_FIRST_PAINT_MS = 150

SIZES = "window_sizes"  # the setting: {window name: [width, height]}
# Room kept for the window manager's frame before a window has one to measure (a title bar).
FRAME_GUESS = QMargins(4, 32, 4, 4)
_KEEPER = "rv_window_keeper"  # window property: fitted (and remembered) already


def fit_rect(
    size: QSize, available: QRect, *, centre: QPoint | None = None, frame: QMargins | None = None
) -> QRect:
    """Where a window of ``size`` goes (its inside, without the frame): shrunk so that it and
    its ``frame`` fit in ``available``, centred on ``centre`` (else the middle of ``available``),
    then moved back inside any edge it would cross."""
    frame = frame if frame is not None else QMargins()
    room = available.marginsRemoved(frame)
    width = max(1, min(size.width(), room.width()))
    height = max(1, min(size.height(), room.height()))
    middle = centre if centre is not None else room.center()
    left = min(max(middle.x() - width // 2, room.left()), room.left() + room.width() - width)
    top = min(max(middle.y() - height // 2, room.top()), room.top() + room.height() - height)
    return QRect(left, top, width, height)


def available_geometry(window: QWidget) -> QRect:
    """The available area of the screen ``window`` is on (its parent's, else the primary)."""
    parent = window.parentWidget()
    screen = window.screen() if window.isVisible() or parent is None else parent.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def frame_of(window: QWidget) -> QMargins:
    """The window manager's frame around ``window`` (a guess until it is shown with one)."""
    if window.isVisible():
        outer, inner = window.frameGeometry(), window.geometry()
        if outer != inner:
            return QMargins(
                inner.left() - outer.left(),
                inner.top() - outer.top(),
                outer.right() - inner.right(),
                outer.bottom() - inner.bottom(),
            )
        return QMargins()
    return FRAME_GUESS


def remembered_size(name: str) -> QSize | None:
    sizes = _settings().get(SIZES)
    value = sizes.get(name)
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return QSize(max(value[0], 1), max(value[1], 1))
    return None


def fit_to_screen(
    window: QWidget,
    name: str = "",
    default: QSize | None = None,
    *,
    available: QRect | None = None,
) -> QRect:
    """Size and place ``window`` inside the screen, and remember its size when it is hidden.

    The first call gives it its remembered size (else ``default``, else its size now), fitted
    to ``available`` (else its screen's available area) and centred over its parent; later
    calls only bring it back inside if it has gone past an edge.
    """
    name = name or _name_of(window)
    available = available if available is not None else available_geometry(window)
    first = window.property(_KEEPER) is None
    if first:
        size = remembered_size(name) or default or window.size()
        window.setProperty(_KEEPER, name)
        window.installEventFilter(_Keeper(window, name))
    else:
        size = window.size()
    parent = window.parentWidget()
    centre = None
    if first and parent is not None and parent.isVisible():
        centre = parent.window().geometry().center()
    elif not first:
        centre = window.geometry().center()
    rect = fit_rect(size, available, centre=centre, frame=frame_of(window))
    # A layout's minimum would keep the window bigger than the screen: the screen wins.
    window.setMinimumSize(
        min(window.minimumWidth(), rect.width()), min(window.minimumHeight(), rect.height())
    )
    if rect != window.geometry():
        window.setGeometry(rect)
    return rect


def close_on_escape(window: QWidget) -> None:
    """Esc closes ``window`` (a dialog does this by itself; a tool window made of a
    ``QMainWindow`` does not)."""
    if isinstance(window, QDialog):
        return
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), window, window.close)
    shortcut.setContext(Qt.ShortcutContext.WindowShortcut)


def bring_forward(window: QWidget) -> None:
    """Show it, inside the screen, above the others, with the keyboard focus. (A window of its
    own, the reviewer's, sizes itself: a tool window is fitted here.)"""
    if window.parentWidget() is not None:
        fit_to_screen(window)
    window.show()
    window.raise_()
    window.activateWindow()


def show_once(views: MutableMapping[str, Any], name: str, make: Callable[[], W]) -> W:
    """The window kept under ``name`` (made the first time), brought forward."""
    view = views.get(name)
    if view is None:
        view = make()
        views[name] = view
        fit_to_screen(view, name)
    bring_forward(view)
    return view


# -- remembering ----------------------------------------------------------------------------------


def _settings() -> Settings:
    return Settings.shared(AppPaths.from_environment())


def _name_of(window: QWidget) -> str:
    return window.objectName() or type(window).__name__


def remember_size(name: str, size: QSize) -> None:
    """Keep ``size`` as the size of the window called ``name`` (saved off the UI thread)."""
    settings = _settings()
    sizes = settings.get(SIZES)
    value = [size.width(), size.height()]
    if sizes.get(name) == value:
        return
    settings.set(SIZES, {**sizes, name: value})
    save_settings_soon(settings)


class _SettingsWriter:
    """The app's one settings writer: a thread that writes in the order asked. After the app
    shut down (``stop``), a late write happens at once, on the caller's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._stopped = False

    def submit(self, settings: Settings) -> Future[None] | None:
        with self._lock:
            if not self._stopped and self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settings")
            pool = self._pool
        if pool is not None:
            try:
                return pool.submit(_save, settings)
            except RuntimeError:  # shut down meanwhile, or the interpreter is ending
                pass
        _save(settings)
        return None

    def flush(self) -> None:
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.submit(lambda: None).result()

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopped = True
        if pool is not None:
            pool.shutdown(wait=True)

    def start(self) -> None:
        with self._lock:
            self._stopped = False


_writer = _SettingsWriter()


def save_settings_soon(settings: Settings) -> Future[None] | None:
    """Write ``settings`` off the UI thread (fsync can take a while on a busy disk), in the
    order asked; None when it was written here (after the app shut down)."""
    return _writer.submit(settings)


def flush_settings() -> None:
    """Wait until the settings asked for so far are on disk."""
    _writer.flush()


def stop_saving() -> None:
    """At the app's end: wait for the writes asked for and let the writer's thread go (the
    program waits for every thread before it ends). Later writes happen at once."""
    _writer.stop()


def start_saving() -> None:
    """Writes go off the UI thread again (a new app in the same process: the tests)."""
    _writer.start()


def _save(settings: Settings) -> None:
    try:
        settings.save()
    except OSError as exc:  # a full or read-only disk: what was kept is only a convenience
        log.warning("settings not saved: %s", exc)


class _Keeper(QObject):
    """Remembers the window's size each time it is hidden or closed."""

    def __init__(self, window: QWidget, name: str) -> None:
        super().__init__(window)
        self._name = name

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Hide, QEvent.Type.Close) and isinstance(watched, QWidget):
            if watched.isWindow() and not watched.isMaximized() and not watched.isFullScreen():
                remember_size(self._name, watched.size())
        return False
