"""The timetable: sessions in order, "now" marked, and a session's standards opening."""

from __future__ import annotations

from datetime import datetime

from helpers import Screenshot
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.timetable import Session, current_session, is_now
from ui.timetable import MINE_ROLE, TimetablePanel

DURING_S03 = datetime(2026, 12, 3, 10, 30)  # s03 (sub-team A) and s04 (sub-team B) both run


def _panel(qtbot: QtBot, session: VisitSession, now: datetime) -> TimetablePanel:
    panel = TimetablePanel(session.data, now=lambda: now)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    return panel


def _titles(panel: TimetablePanel) -> list[str]:
    model = panel.sessions_model
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def test_sessions_in_time_order_with_now_marked(
    screenshot: Screenshot, qtbot: QtBot, session: VisitSession
) -> None:
    panel = _panel(qtbot, session, DURING_S03)
    model = panel.sessions_model
    times = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert times == sorted(times)
    assert len(times) == len(session.data.visit.timetable)
    now = [model.session(r).id for r in panel.now_rows()]
    assert now == ["s03", "s04"]  # two sub-teams meet at once
    row = panel.now_rows()[0]
    assert model.index(row, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert "Today" in panel.day_label.text() and "Now:" in panel.day_label.text()
    # My sub-team's session is the one selected, and its standards are listed.
    selected = panel.selected_session()
    assert selected is not None and selected.id == "s03"
    refs = [panel.standards_model.index(r, 0).data() for r in range(3)]
    assert [r.split()[0] for r in refs] == ["HN-204", "HN-205", "HN-209"]
    screenshot(panel, "timetable.png")


def test_my_subteam_is_distinguished(qtbot: QtBot, session: VisitSession) -> None:
    panel = _panel(qtbot, session, DURING_S03)
    model = panel.sessions_model
    mine = {model.session(r).id: model.index(r, 0).data(MINE_ROLE) for r in range(model.rowCount())}
    assert mine["s03"] and mine["s01"]  # sub-team A's, and the whole team's
    assert not mine["s04"]  # sub-team B's
    row = next(r for r in range(model.rowCount()) if model.session(r).id == "s04")
    assert model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(row, 3).data() == "B"
    row = next(r for r in range(model.rowCount()) if model.session(r).id == "s03")
    assert model.index(row, 3).data() == "A (mine)"
    assert "Siobhán O'Brien" in model.index(row, 4).data()


def test_a_narrow_panel_says_where_in_the_session_column(
    screenshot: Screenshot, qtbot: QtBot, session: VisitSession, qtmodeltester: ModelTester
) -> None:
    panel = _panel(qtbot, session, DURING_S03)
    panel.resize(420, 700)
    qtbot.waitUntil(lambda: panel.sessions_model.compact)
    assert panel.sessions_view.isColumnHidden(2) and panel.sessions_view.isColumnHidden(4)
    model = panel.sessions_model
    row = next(r for r in range(model.rowCount()) if model.session(r).id == "s03")
    text = model.index(row, 1).data()
    assert text.startswith("Meeting with nurse specialists")
    assert "Meeting Room 4" in text and "Sub-team A (mine)" in text
    qtmodeltester.check(model)
    screenshot(panel, "timetable_narrow.png")
    panel.resize(1100, 700)
    qtbot.waitUntil(lambda: not panel.sessions_model.compact)
    assert (
        model.index(row, 1).data() == "Meeting with nurse specialists and ward and day unit nurses"
    )


def test_another_day_marks_nothing(qtbot: QtBot, session: VisitSession) -> None:
    panel = _panel(qtbot, session, datetime(2026, 11, 20, 10, 30))
    assert panel.now_rows() == []
    assert "Visit day: 3 December 2026" in panel.day_label.text()
    assert panel.selected_session() is None


def test_between_sessions_marks_nothing(qtbot: QtBot, session: VisitSession) -> None:
    panel = _panel(qtbot, session, datetime(2026, 12, 3, 11, 5))
    assert panel.now_rows() == []
    assert "No session is timetabled right now" in panel.day_label.text()


def test_refresh_moves_the_now_mark(qtbot: QtBot, session: VisitSession) -> None:
    clock = [DURING_S03]
    panel = TimetablePanel(session.data, now=lambda: clock[0])
    qtbot.addWidget(panel)
    clock[0] = datetime(2026, 12, 3, 16, 40)
    panel.refresh()
    assert [panel.sessions_model.session(r).id for r in panel.now_rows()] == ["s11"]
    assert panel.selected_session() is not None  # the reviewer's choice is kept


def test_activating_a_linked_standard_emits_its_ref(qtbot: QtBot, session: VisitSession) -> None:
    panel = _panel(qtbot, session, DURING_S03)
    assert panel.select_session("s07")
    view = panel.standards_view
    view.setFocus()
    view.setCurrentIndex(panel.standards_model.index(1, 0))
    with qtbot.waitSignal(panel.standard_activated) as signal:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert signal.args == ["HN-902"]
    with qtbot.waitSignal(panel.standard_activated) as signal:
        panel.open_button.click()
    assert signal.args == ["HN-902"]


def test_the_models_pass_the_model_tester(
    qtbot: QtBot, session: VisitSession, qtmodeltester: ModelTester
) -> None:
    panel = _panel(qtbot, session, DURING_S03)
    qtmodeltester.check(panel.sessions_model)
    qtmodeltester.check(panel.standards_model)
    panel.select_session("s02")
    qtmodeltester.check(panel.standards_model)


def test_now_rules() -> None:
    s = Session("x", "2026-12-03", "10:15", "11:00", "Meeting")
    assert is_now(s, datetime(2026, 12, 3, 10, 15))
    assert not is_now(s, datetime(2026, 12, 3, 11, 0))  # the end belongs to the next session
    assert not is_now(Session("y", "not a date", "10:00", "11:00", "Odd"), DURING_S03)


def test_current_session_prefers_my_subteam(session: VisitSession) -> None:
    found = current_session(session.data, DURING_S03)
    assert found is not None and found.id == "s03"
    assert current_session(session.data, datetime(2026, 12, 4, 10, 30)) is None
