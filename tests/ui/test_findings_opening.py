"""The findings window opens on the findings there are (issue 16, point 2): with findings on two
components it shows every one of them, each named with its component, not "Whole service" with
none; with findings on one component it opens on that one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers import WAIT, settle
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from ui.lead.dialogs import NewFindingDialog
from ui.lead.findings import FindingsWindow
from ui.main_window import ReviewerWindow

ON_TWO = (
    ("shc", "concern", "Transition clinics are not yet joint with the adult service."),
    ("shc", "good_practice", "A named nurse for every family."),
    ("shc", "concern", "No written protocol for out-of-hours transfusion."),
    ("lht", "concern", "Annual reviews are not always recorded."),
    ("lht", "general", "The team has grown since the last visit."),
)


def lead_window(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession], findings: tuple
) -> ReviewerWindow:
    """The demo visit opened by its lead, with ``findings`` (component, category, text)."""
    session = open_demo_session("m-lead")
    for component, category, text in findings:
        session.absorb(session.add_finding(component, category, text).result(timeout=30))
    window = ReviewerWindow(session, AppPaths.from_environment())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_findings(qtbot: QtBot, window: ReviewerWindow) -> FindingsWindow:
    view: FindingsWindow = window.lead.show_findings()
    qtbot.waitExposed(view)
    return view


def rows_shown(view: FindingsWindow) -> list[str]:
    """The finding rows the lead sees in the tree, category by category."""
    model, out = view.model, []
    for c in range(model.rowCount()):
        category = model.index(c, 0)
        assert view.tree.isExpanded(category)
        out += [str(model.index(r, 0, category).data()) for r in range(model.rowCount(category))]
    return out


def test_with_findings_on_two_components_it_opens_on_all_of_them(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession], qtmodeltester
) -> None:
    window = lead_window(qtbot, open_demo_session, ON_TWO)
    view = open_findings(qtbot, window)
    assert view.component.currentText() == "All components"
    shown = rows_shown(view)
    assert len(shown) == len(ON_TWO)
    for _component, _category, text in ON_TWO:
        assert any(text in row for row in shown), (text, shown)
    # Each names its component, numbered as the report numbers them (per component).
    concerns = [row for row in shown if "Transition" in row or "Annual" in row]
    assert concerns[0].startswith("Specialist Haemoglobinopathy Centre: 1. Transition")
    assert concerns[1].startswith("Local Haemoglobinopathy Team: 1. Annual")
    assert "5 findings for All components; 5 in all." in view.status.text()
    # The first finding is chosen and its words are in the editor, ready to edit.
    assert view.editor.finding is not None
    assert view.editor.text.toPlainText() in {text for _c, _k, text in ON_TWO}
    qtmodeltester.check(view.model)
    # A component chosen shows only its own; all of them again, everything.
    view.component.setCurrentIndex(view.component.findData("lht"))
    assert len(rows_shown(view)) == 2
    view.component.setCurrentIndex(0)
    assert len(rows_shown(view)) == len(ON_TWO)
    window.close()


def test_with_all_findings_on_one_component_it_opens_on_that_one(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession]
) -> None:
    window = lead_window(qtbot, open_demo_session, ON_TWO[3:])
    view = open_findings(qtbot, window)
    assert view.component.currentText() == "Local Haemoglobinopathy Team"
    assert len(rows_shown(view)) == 2
    window.close()


def test_a_new_finding_with_all_shown_goes_to_the_chosen_findings_component(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    window = lead_window(qtbot, open_demo_session, ON_TWO)
    view = open_findings(qtbot, window)
    data = window.session.data
    annual = next(f.id for f in data.findings.values() if f.text.startswith("Annual"))
    view.tree.setCurrentIndex(view.model.index_of(annual))
    asked: list[tuple[object, ...]] = []

    def ask(_cls: type, *args: object) -> tuple[str, str]:
        asked.append(args)
        return "concern", "Clinic letters go out late."

    monkeypatch.setattr(NewFindingDialog, "ask", classmethod(ask))
    view.new_button.click()
    qtbot.waitUntil(lambda: len(data.findings) == len(ON_TWO) + 1, timeout=WAIT)
    settle(qtbot, window)
    assert asked[0][1] == "Local Haemoglobinopathy Team"  # the dialog says where it goes
    new = next(f for f in data.findings.values() if f.text.startswith("Clinic letters"))
    assert new.component == "lht"
    assert view.current_id() == new.id
    assert str(view.tree.currentIndex().data()).startswith("Local Haemoglobinopathy Team: 2.")
    # It moves only among its own component's concerns: up once, past the other lht concern.
    assert view.model.siblings(new.id) == [annual, new.id]
    assert view.up_button.isEnabled()
    view.up_button.click()
    qtbot.waitUntil(lambda: view.model.siblings(new.id) == [new.id, annual], timeout=WAIT)
    assert not view.up_button.isEnabled()
    window.close()


def test_dragging_with_all_shown_stays_within_the_findings_component(
    qtbot: QtBot, open_demo_session: Callable[..., VisitSession]
) -> None:
    window = lead_window(qtbot, open_demo_session, ON_TWO)
    view = open_findings(qtbot, window)
    model = view.model
    data = window.session.data
    by_text = {f.text.split()[0]: f.id for f in data.findings.values()}
    annual, transition = by_text["Annual"], by_text["Transition"]
    mime = model.mimeData([model.index_of(annual)])
    move = Qt.DropAction.MoveAction
    # Onto another component's concern: not a place for it.
    assert not model.canDropMimeData(mime, move, -1, 0, model.index_of(transition))
    # Between two of the centre's concerns: neither.
    concerns = model.category_index("concern")
    assert not model.canDropMimeData(mime, move, 1, 0, concerns)
    # Below the last concern (its own component's end): yes.
    assert model.drop_target(mime, 3, concerns) == (annual, None)
    assert not model.canDropMimeData(mime, move, 0, 0, QModelIndex())
    window.close()
