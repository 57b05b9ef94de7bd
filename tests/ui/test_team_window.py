"""Two laptops of one visit pool their work through the window: a reviewer and the lead judge
the same standard differently, exchange bundles (drop and Team > Import), the lead sees the
disagreement in the register and records the team judgement, and the reviewer, after importing
the lead's bundle, sees it read-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import WAIT, Screenshot, settle
from pytestqt.qtbot import QtBot
from team_laptops import drop_files, export_bundle, judge

from reviewer_app.visit.model import MET, NOT_MET
from ui.team.import_export import BundleFiles
from ui.team.register import RegisterWindow
from ui.team.team_judgement_dialog import TeamJudgementDialog

AGREED = "Leaflet only in English; agreed at the wash-up"


def test_two_laptops_exchange_bundles_and_the_lead_settles_the_disagreement(
    qtbot: QtBot,
    laptops,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtmodeltester,
    *,
    screenshot: Screenshot,
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    cns = laptops("m-cns")
    judge(qtbot, cns.win, "HN-101", NOT_MET, "No leaflet in Polish or Urdu")
    cns_bundle = export_bundle(qtbot, cns, usb, monkeypatch)
    assert "-member-2-" in cns_bundle.name and cns_bundle.parent == usb

    lead = laptops("m-lead")
    judge(qtbot, lead.win, "HN-101", MET, "")
    assert drop_files(lead.win, [cns_bundle])
    team = lead.win.team
    qtbot.waitUntil(lambda: team.last_receipts is not None, timeout=WAIT)
    receipt = team.last_receipts.plain_text()
    assert "1 file read:" in receipt and "From Siobhán O'Brien" in receipt
    assert "1 disagreement in the visit now" in receipt and "0 refused operations" in receipt
    screenshot(team.last_receipts, "team_receipt.png")
    team.last_receipts.close()

    # Without reopening the visit, the lead's window knows the reviewer's judgement.
    nav = lead.win.navigator
    nav.filter_boxes["needs_agreement"].setChecked(True)
    assert nav.model.refs() == ["HN-101"]
    nav.filter_boxes["needs_agreement"].setChecked(False)

    register: RegisterWindow = team.show_register()
    qtbot.waitExposed(register)
    qtmodeltester.check(register.model)
    assert register.only_open.isChecked()  # it opens on what needs agreement
    assert register.model.rowCount() == 1
    assert register.model.text(register.model.rows[0], 5) == "Needs agreement"
    names = [c.title() for c in register.findChildren(_card_type())]
    assert names == ["Dr Zoë Hartley", "Siobhán O'Brien"]
    detail = register.detail_body.grab()  # the side-by-side must render
    assert not detail.isNull()
    assert "No leaflet in Polish or Urdu" in _texts(register)
    assert register.team_line.button.isVisible()
    screenshot(register, "team_register_lead_before.png")

    monkeypatch.setattr(TeamJudgementDialog, "ask", classmethod(lambda *_: (NOT_MET, AGREED)))
    register.team_line.button.click()
    settle(qtbot, lead.win)
    data = lead.win.session.data
    assert data.team_judgement("HN-101", "shc").value == NOT_MET
    qtbot.waitUntil(lambda: register.model.rowCount() == 0, timeout=WAIT)  # settled: not open
    register.only_open.setChecked(False)
    qtbot.waitUntil(
        lambda: register.model.text(register.model.rows[0], 5) == "Team differs from the claim",
        timeout=WAIT,
    )
    assert lead.win.page.team_line.label.text() == (
        "Team judgement: Not met — set by Dr Zoë Hartley"
    )
    screenshot(register, "team_register_lead_after.png")
    nav.filter_boxes["needs_agreement"].setChecked(True)
    assert nav.model.refs() == []  # settled
    nav.filter_boxes["needs_agreement"].setChecked(False)
    lead_bundle = export_bundle(qtbot, lead, usb, monkeypatch)

    # The reviewer imports the lead's bundle with Team > Import team bundles…
    monkeypatch.setattr(BundleFiles, "ask_open", classmethod(lambda *_: [lead_bundle]))
    cns.win.findChild(type(cns.win.undo_action), "action_import_team_bundles").trigger()
    qtbot.waitUntil(lambda: cns.win.team.last_receipts is not None, timeout=WAIT)
    assert "From Dr Zoë Hartley" in cns.win.team.last_receipts.plain_text()
    cns.win.team.last_receipts.close()
    cns.win.go_to("HN-102")
    cns.win.go_to("HN-101")
    line = cns.win.page.team_line
    assert line.label.text() == "Team judgement: Not met — set by Dr Zoë Hartley"
    assert AGREED in line.rationale.text()
    assert not line.button.isVisible() and not line.editable  # read-only: no control to edit
    screenshot(cns.win, "team_reviewer_sees_team_judgement.png")
    cns_register: RegisterWindow = cns.win.team.show_register()
    qtbot.waitExposed(cns_register)
    assert cns_register.explain.text().startswith("Read-only: only the lead, Dr Zoë Hartley,")
    assert not cns_register.team_line.button.isVisible()
    assert "Not met" in cns_register.team_line.label.text()
    screenshot(cns_register, "team_register_reviewer.png")


def _card_type() -> type:
    from ui.team.register import ReviewerCard  # noqa: PLC0415

    return ReviewerCard


def _texts(widget) -> str:
    from PySide6.QtWidgets import QLabel  # noqa: PLC0415

    return "\n".join(label.text() for label in widget.findChildren(QLabel))
