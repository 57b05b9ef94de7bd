"""The navigator: a sound item model; component, filters and search narrow it; keyboard moves."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reviewer_app.visit.model import MET, NOT_MET
from reviewer_app.visit.read_model import Filters
from reviewer_app.visit.session import VisitSession
from ui.bridge import SessionBridge
from ui.navigator import SEARCH_DELAY_MS, NavigatorModel, NavigatorPanel


@pytest.fixture
def panel(qtbot: QtBot, session: VisitSession) -> NavigatorPanel:
    bridge = SessionBridge(session)
    panel = NavigatorPanel(bridge)
    panel._bridge_keepalive = bridge  # type: ignore[attr-defined]
    qtbot.addWidget(panel)
    panel.show()
    return panel


def judge(qtbot: QtBot, panel: NavigatorPanel, ref: str, value: str, reason: str = "") -> None:
    bridge = panel.bridge
    with qtbot.waitSignal(bridge.changed, timeout=10_000):
        bridge.run(bridge.session.set_judgement(ref, panel.component, value, reason), "judge")


def test_the_model_passes_the_model_tester(
    qapp: QApplication, qtmodeltester: ModelTester, session: VisitSession
) -> None:
    model = NavigatorModel(session.data, "shc")  # (its rows carry icons: an app is needed)
    qtmodeltester.check(model)
    model.set_filters(Filters(key_only=True))
    qtmodeltester.check(model)
    model.set_search(["HN-101", "HN-205"], "x")
    qtmodeltester.check(model)
    model.set_component("comm")
    qtmodeltester.check(model)


def test_sections_hold_the_components_standards_with_counts(panel: NavigatorPanel) -> None:
    model = panel.model
    data = panel.visit
    assert model.refs() == [s.ref for s in data.standards_for("shc")]
    first = model.index(0, 0)
    assert model.data(first) == data.sections[0]
    assert model.data(model.index(0, 1)) == f"0/{model.rowCount(first)}"
    child = model.index(0, 0, first)
    assert model.data(child) == f"HN-101  {data.by_ref['HN-101'].title}"
    assert "Not yet assessed" in model.data(child, 3)  # ToolTipRole
    panel.set_component("comm")
    assert set(model.refs()) == {s.ref for s in data.standards_for("comm")}
    assert panel.progress_label.text() == f"Assessed 0 of {len(model.refs())}"


def test_an_edit_updates_its_rows_without_a_reset(qtbot: QtBot, panel: NavigatorPanel) -> None:
    model = panel.model
    resets: list[int] = []
    changed: list[str | None] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda top, _bottom: changed.append(model.ref_at(top)))
    judge(qtbot, panel, "HN-102", MET)
    assert resets == []
    assert "HN-102" in changed
    assert "Met" in model.data(model.index_of("HN-102"), 3)
    assert model.data(model.index(0, 1)) == "1/8"
    assert panel.progress_label.text().startswith("Assessed 1 of")


def test_filters_narrow_the_tree(qtbot: QtBot, panel: NavigatorPanel) -> None:
    data = panel.visit
    panel.filter_boxes["key_only"].setChecked(True)
    keys = panel.model.refs()
    assert keys and all(data.by_ref[r].key for r in keys)
    assert len(keys) < len(data.standards_for("shc"))
    panel.filter_boxes["key_only"].setChecked(False)
    judge(qtbot, panel, "HN-103", NOT_MET, "No plans")
    panel.filter_boxes["not_met"].setChecked(True)
    assert panel.model.refs() == ["HN-103"]
    panel.filter_boxes["not_met"].setChecked(False)
    panel.filter_boxes["not_assessed"].setChecked(True)
    assert "HN-103" not in panel.model.refs()
    assert len(panel.model.refs()) == len(data.standards_for("shc")) - 1


def test_search_narrows_as_you_type_and_clearing_brings_all_back(
    qtbot: QtBot, panel: NavigatorPanel
) -> None:
    everything = panel.model.refs()
    qtbot.keyClicks(panel.search, "transfusion")
    qtbot.waitUntil(lambda: panel.model.refs() != everything, timeout=5_000)
    found = panel.model.refs()
    assert found and len(found) < len(everything)
    assert "HN-304" in found  # "Transfusion laboratory"
    panel.search.clear()
    qtbot.waitUntil(lambda: panel.model.refs() == everything, timeout=5_000)
    qtbot.keyClicks(panel.search, "zzqqxx")
    qtbot.waitUntil(panel.empty.isVisible, timeout=5_000)


def test_my_notes_are_searched_too(qtbot: QtBot, panel: NavigatorPanel) -> None:
    bridge = panel.bridge
    with qtbot.waitSignal(bridge.changed, timeout=10_000):
        bridge.run(bridge.session.add_note("HN-206", "psychologist vacancy since March"), "note")
    qtbot.keyClicks(panel.search, "vacancy")
    qtbot.waitUntil(lambda: "HN-206" in panel.model.refs(), timeout=5_000)
    panel.search.clear()
    panel.filter_boxes["with_notes"].setChecked(True)
    qtbot.waitUntil(lambda: panel.model.refs() == ["HN-206"], timeout=5_000)


def test_next_and_previous_skip_sections_and_wrap(qtbot: QtBot, panel: NavigatorPanel) -> None:
    refs = panel.model.refs()
    seen: list[str] = []
    panel.standard_selected.connect(seen.append)
    assert panel.next_standard() == refs[0]
    assert panel.next_standard() == refs[1]
    assert panel.previous_standard() == refs[0]
    assert panel.previous_standard() == refs[-1]  # wraps to the end
    assert panel.next_standard() == refs[0]  # and back to the start
    assert seen == [refs[0], refs[1], refs[0], refs[-1], refs[0]]
    assert panel.current_ref == refs[0]


def test_select_clears_a_filter_that_hides_the_standard(panel: NavigatorPanel) -> None:
    panel.filter_boxes["key_only"].setChecked(True)
    assert "HN-102" not in panel.model.refs()
    assert panel.select("HN-102")
    assert panel.current_ref == "HN-102"
    assert not panel.filter_boxes["key_only"].isChecked()


def test_a_search_pausing_as_the_visit_closes_searches_nothing(
    qtbot: QtBot, panel: NavigatorPanel
) -> None:
    """Typing and closing the window at once: the search's pause ends after the workspace has
    closed. It once raised "the storage worker is closed" from the timer."""
    panel.search.setText("network")
    panel.bridge.close()
    qtbot.wait(SEARCH_DELAY_MS + 150)  # an exception in the timer's slot fails the test
    assert panel.bridge.session.worker.closed
