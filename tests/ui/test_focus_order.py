"""Tab follows the screen (issue 16, point 4): from the first control, Tab goes top to bottom and
left to right within a column, and column by column left to right (navigator, the standard with
my judgement, the side panel): every lettered part, the kit's document link and the judgement
come before the timetable, and the order is still right after the page is rebuilt for another
standard."""

from __future__ import annotations

from dataclasses import dataclass

from helpers import WAIT
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from ui.main_window import ReviewerWindow

MOST_PRESSES = 200  # the walk stops when Tab comes back to the first control


@dataclass(frozen=True)
class Stop:
    widget: QWidget
    name: str
    column: int  # the splitter's pane, left to right
    scrolled: bool  # in the standard page's scrolled contents
    at: QRect  # where it is: on the screen; in the page's contents for what scrolls there


def shown_window(qtbot: QtBot, session: VisitSession) -> ReviewerWindow:
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.set_side_open(True, remember=False)  # the timetable in sight, at the right
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.waitUntil(window.timetable.sessions_view.isVisible, timeout=WAIT)
    return window


def where(window: ReviewerWindow, widget: QWidget) -> Stop:
    panes = [window.splitter.widget(i) for i in range(window.splitter.count())]
    column = next(i for i, pane in enumerate(panes) if pane.isAncestorOf(widget))
    page: QScrollArea = window.page
    contents = page.widget()
    scrolled = contents.isAncestorOf(widget)
    origin = widget.mapTo(contents, QPoint(0, 0)) if scrolled else widget.mapToGlobal(QPoint(0, 0))
    return Stop(widget, widget.accessibleName(), column, scrolled, QRect(origin, widget.size()))


def walk(qtbot: QtBot, window: ReviewerWindow, *, settled: bool = True) -> list[Stop]:
    """Press Tab from the first control until the focus comes back to it: once the order has
    settled after a change, or (``settled=False``) at once, as a quick reviewer's Tab does."""
    if settled:
        qtbot.waitUntil(lambda: not window.focus_order.pending, timeout=WAIT)
    first = window.navigator.components
    first.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(first.hasFocus, timeout=WAIT)
    stops = [where(window, first)]
    for _ in range(MOST_PRESSES):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is first:
            return stops
        assert widget is not None and widget.window() is window
        stops.append(where(window, widget))
    raise AssertionError(f"Tab never came back: {[s.name for s in stops]}")


def same_line(a: QRect, b: QRect) -> bool:
    return a.top() < b.bottom() and b.top() < a.bottom()


def out_of_order(stops: list[Stop]) -> list[str]:
    """Each step that goes back a column, or up (or left on one line) within a column."""
    wrong = []
    for a, b in zip(stops, stops[1:], strict=False):
        if b.column < a.column:
            wrong.append(f"{a.name!r} -> {b.name!r}: back to an earlier column")
        elif b.column == a.column and a.scrolled == b.scrolled:
            if same_line(a.at, b.at):
                if b.at.left() <= a.at.left():
                    wrong.append(f"{a.name!r} -> {b.name!r}: leftwards on one line")
            elif b.at.center().y() <= a.at.center().y():
                wrong.append(f"{a.name!r} -> {b.name!r}: upwards")
        elif b.column == a.column and b.scrolled and not a.scrolled:
            # Into the page's contents: only from above the page (the page is one block).
            if a.at.top() > window_top_of_page(b):
                wrong.append(f"{a.name!r} -> {b.name!r}: into the page from below it")
    return wrong


def window_top_of_page(stop: Stop) -> int:
    page = stop.widget
    while not isinstance(page, QScrollArea) or not page.widget().isAncestorOf(stop.widget):
        page = page.parentWidget()
    return page.mapToGlobal(QPoint(0, 0)).y()


def check_the_walk(window: ReviewerWindow, stops: list[Stop]) -> None:
    names = [s.name for s in stops]
    assert out_of_order(stops) == [], names
    assert [s.column for s in stops] == sorted(s.column for s in stops)
    # The navigator from its top: the component, the search, the filters, the standards.
    navigator = window.navigator
    assert [s.widget for s in stops[:2]] == [navigator.components, navigator.search]
    filters = list(navigator.filter_boxes.values())
    assert {s.widget for s in stops[2:7]} == set(filters)
    assert stops[7].widget is navigator.tree
    # Every part, the document link and the judgement before the timetable.
    page = window.page
    reached = [s.widget for s in stops]
    timetable = reached.index(window.timetable.sessions_view)
    for box in page.part_boxes.values():
        assert box in reached and reached.index(box) < timetable, box.accessibleName()
    links = [s for s in stops if s.name.startswith("Open document ")]
    assert links and all(reached.index(s.widget) < timetable for s in links)
    radios = [reached.index(r) for r in page.judgement.radios.values() if r in reached]
    assert radios and max(radios) < reached.index(page.judgement.reason) < timetable
    assert max(reached.index(b) for b in page.part_boxes.values()) < min(radios)


def test_tab_goes_down_each_column_then_to_the_next_and_stays_so_for_another_standard(
    qtbot: QtBot, session: VisitSession
) -> None:
    window = shown_window(qtbot, session)
    window.go_to("HN-101")
    assert len(window.page.part_boxes) >= 4
    check_the_walk(window, walk(qtbot, window))
    # Another standard: its parts and document links are made anew; the order still holds.
    window.go_to("HN-203")
    assert window.page.ref == "HN-203" and window.page.part_boxes
    check_the_walk(window, walk(qtbot, window))
    # Tab at once after a move (the order waits for the window to settle, or for a Tab).
    window.go_to("HN-101")
    qtbot.wait(1)  # the page is rebuilt; no settling
    assert window.focus_order.pending
    check_the_walk(window, walk(qtbot, window, settled=False))
    window.close()
