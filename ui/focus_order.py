"""Tab follows the screen: top to bottom, left to right, one column after another (issue 16).

Qt's Tab order is the order widgets were made in. In the reviewer's window that put the
standard's lettered parts and its document links (made for each standard shown) after the whole
timetable (made once, after the first paint), and anything made late at the very end. Here the
order is made from where the controls are: the window's columns (the splitter's panes:
navigator, the standard with my judgement, the side panel) left to right, and in each column the
controls top to bottom, those on one line left to right. The contents of a scroll area count
where the scroll area is, in the order of their places in its contents (so the order does not
change as it scrolls). Hidden controls are left out (Qt skips them; and moving a hidden tab
bar in the chain made Qt crash when its panel was first shown); each is watched, and the order
is set again when it shows.

``install(window)`` sets the order just after the window's first paint, and again when it
shows again, when the standard's page is rebuilt (``StandardPage.rebuilt``) and when the side
panel fills or opens: at the next Tab (the window calls ``before_tab``) or once the window has
been still for ``SETTLE_MS``, whichever comes first. Setting it takes some 5 ms, which moving to
the next standard need not pay (its budget is 16 ms); a reviewer holding the "next" key puts it
off until they stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QAbstractScrollArea, QScrollArea, QSplitter, QTabWidget, QWidget

from ui.windows import AFTER_FIRST_PAINT_MS

__all__ = ["FocusOrder", "install", "ordered_stops"]

Columns = Callable[[], Sequence[QWidget]]
_WATCHED = "rv_focus_order_watched"  # widget property: a hidden control, ordered once shown
SETTLE_MS = 400  # after a change, the order is set when nothing has changed for this long


_TAB_POLICIES = frozenset(
    {Qt.FocusPolicy.TabFocus, Qt.FocusPolicy.StrongFocus, Qt.FocusPolicy.WheelFocus}
)


def _rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def _scroll_content(area: QAbstractScrollArea) -> QWidget:
    inner = area.widget() if isinstance(area, QScrollArea) else None
    return inner if inner is not None else area.viewport()


def _outer_scroll_area(widget: QWidget, root: QWidget) -> QAbstractScrollArea | None:
    """The outermost scroll area strictly between ``root`` and ``widget``."""
    found = None
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, QAbstractScrollArea):
            found = parent
        parent = parent.parentWidget()
    return found


def _first_child(widget: QWidget) -> QWidget | None:
    return next((c for c in widget.children() if isinstance(c, QWidget)), None)


def _by_lines(items: list[tuple[QRect, list[QWidget]]]) -> list[QWidget]:
    """Top to bottom; items on one line (overlapping the line's first item's middle) left to
    right."""
    items = sorted(items, key=lambda item: (item[0].top(), item[0].left()))
    out: list[QWidget] = []
    line: list[tuple[QRect, list[QWidget]]] = []
    for item in [*items, None]:
        if item is not None and line and item[0].top() <= line[0][0].center().y():
            line.append(item)
            continue
        for _rect, widgets in sorted(line, key=lambda i: i[0].left()):
            out += widgets
        line = [item] if item is not None else []
    return out


def ordered_stops(root: QWidget, stops: Sequence[QWidget]) -> list[QWidget]:
    """``stops`` (shown controls under ``root``) in screen order; a scroll area's contents
    in its place, in the order of their places in its contents."""
    items: list[tuple[QRect, list[QWidget]]] = []
    inside: dict[QAbstractScrollArea, list[QWidget]] = {}
    for widget in stops:
        area = _outer_scroll_area(widget, root)
        if area is not None:
            inside.setdefault(area, []).append(widget)
        elif isinstance(widget, QAbstractScrollArea):
            inside.setdefault(widget, [])  # a stop itself: placed with its contents, first
        else:
            items.append((_rect_in(widget, root), [widget]))
    wanted = set(stops)
    for area, contents in inside.items():
        first = [area] if area in wanted else []
        items.append((_rect_in(area, root), first + ordered_stops(_scroll_content(area), contents)))
    return _by_lines(items)


class FocusOrder(QObject):
    """Keeps ``window``'s Tab order in screen order, column by column (``columns()``)."""

    def __init__(self, window: QWidget, columns: Columns) -> None:
        super().__init__(window)
        self.window = window
        self.columns = columns
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.apply)
        self._compounds: dict[QWidget, QWidget] = {}  # a tab bar: its tab widget
        self._applied = False
        window.installEventFilter(self)

    def soon(self, *_args: Any) -> None:
        """Set the order again at the next turn (once, however often asked); the first time,
        just after the window's first paint: walking the chain makes PySide build a Python
        class for every kind of widget in it (some 20 ms), which the reviewer need not wait
        for before seeing the page."""
        if not self._applied:
            if self.window.isVisible() and not self._timer.isActive():
                self._timer.start(AFTER_FIRST_PAINT_MS)  # (from its showing, not its making)
            return
        self._timer.start(SETTLE_MS)

    def before_tab(self) -> None:
        """Tab is about to move the focus: set the order first if a change is waiting."""
        if self._applied and self._timer.isActive():
            self._timer.stop()
            self.apply()

    @property
    def pending(self) -> bool:
        """Whether the order is waiting to be set again (at the next Tab, or once settled)."""
        return self._timer.isActive()

    def watch(self, widget: QWidget) -> None:
        """Set the order again when ``widget`` is shown or gets a new child."""
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.ChildAdded):
            self.soon()
        return super().eventFilter(watched, event)

    def order(self) -> list[QWidget]:
        """The window's shown controls in the order Tab should visit them."""
        window = self.window
        columns = list(self.columns())
        shown = []
        for w in self._current_chain():
            if w.isVisibleTo(window):
                shown.append(w)
            elif not w.property(_WATCHED):  # placed when it shows
                w.setProperty(_WATCHED, True)
                w.installEventFilter(self)
        column_of = {w: self._column(w, columns) for w in shown}
        out: list[QWidget] = []
        for c in range(-1, len(columns)):  # -1: anything outside the columns, first
            root = columns[c] if c >= 0 else window
            out += ordered_stops(root, [w for w in shown if column_of[w] == c])
        return out

    def apply(self) -> None:
        """Set the window's Tab order (now).

        A tab widget, whose focus goes to its tab bar, is a place Tab stops at too, wherever
        it is in the chain. Qt puts it just before its first child when its focus proxy is
        set, so that child goes just before the tab bar, and the proxy is set again.
        """
        self._applied = True
        order = self.order()
        stops = set(order)
        compounds = self._compounds  # (noted by ``order``)
        chain: list[QWidget] = []
        lent: list[QWidget] = []  # first children that take Tab focus while the order is set
        for w in order:
            first = _first_child(compounds[w]) if w in compounds else None
            if (
                first is not None
                and first is not w
                and first not in stops
                and first.isVisibleTo(self.window)
            ):
                if first.focusPolicy() == Qt.FocusPolicy.NoFocus:
                    first.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # (else Qt will not move it)
                    lent.append(first)
                chain.append(first)
            chain.append(w)
        try:
            for first, second in pairwise(chain):
                QWidget.setTabOrder(first, second)
        finally:
            for w in lent:
                w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for proxy, c in compounds.items():
            if proxy in stops:
                c.setFocusProxy(None)  # type: ignore[arg-type]  # (None clears it)
                c.setFocusProxy(proxy)  # (Qt puts ``c`` just before its first child)

    def _current_chain(self) -> list[QWidget]:
        """The stops in the window's chain now; notes the tab widgets on the way.

        (Not ``focusProxy()``: asked of a view's inner widgets, PySide 6.11 let the view's
        header be freed, and the next paint of the view crashed.)
        """
        out: list[QWidget] = []
        seen: set[QWidget] = set()
        self._compounds = {}
        window = self.window
        widget = window.nextInFocusChain()
        while widget is not None and widget is not window and widget not in seen:
            seen.add(widget)
            if isinstance(widget, QTabWidget):
                if widget.window() is window:
                    self._compounds[widget.tabBar()] = widget
            elif widget.focusPolicy() in _TAB_POLICIES and widget.window() is window:
                out.append(widget)
            widget = widget.nextInFocusChain()
        return out

    @staticmethod
    def _column(widget: QWidget, columns: list[QWidget]) -> int:
        return next((i for i, c in enumerate(columns) if c.isAncestorOf(widget)), -1)


def splitter_panes(window: QWidget) -> Columns:
    """The panes of the window's ``splitter`` (else its first horizontal one), left to right."""
    held = getattr(window, "splitter", None)
    found = held if isinstance(held, QSplitter) else None
    if found is None:
        found = next(
            (
                s
                for s in window.findChildren(QSplitter)
                if s.orientation() == Qt.Orientation.Horizontal
            ),
            None,
        )

    def panes() -> list[QWidget]:
        if found is None:
            return []
        widgets = (found.widget(i) for i in range(found.count()))
        return [w for w in widgets if w is not None]

    return panes


def install(window: Any) -> FocusOrder:
    """Keep the reviewer's window's Tab order in screen order (see the module's note)."""
    keeper = FocusOrder(window, splitter_panes(window))
    page = getattr(window, "page", None)
    rebuilt = getattr(page, "rebuilt", None)
    if rebuilt is not None:
        rebuilt.connect(keeper.soon)
    side = getattr(window, "side", None)
    if isinstance(side, QWidget):
        keeper.watch(side)
        pages = getattr(side, "widget", None)
        count = getattr(side, "count", lambda: 0)()
        for i in range(count):
            if pages is not None and pages(i) is not None:
                keeper.watch(pages(i))
    keeper.soon()
    return keeper
