"""Devices in the team's windows: Siobhán moves to a new laptop (new AppPaths, so a new device
key) and its bundle reaches the lead, whose window flags it with the fingerprint words; the lead
compares the words and accepts it, and the held work appears in the visit. A reviewer's window
shows the same flag without the Accept button; the lead's bundle settles it there too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import WAIT, Screenshot
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.qtbot import QtBot
from team_laptops import Laptop, drop_files, export_bundle, judge, make_laptop
from test_accessibility import unnamed

from reviewer_app.app.device import device_id, device_key
from reviewer_app.team.bundles import export_visit_bundle
from reviewer_app.team.devices import device_rows, visit_of
from reviewer_app.visit.model import JUDGEMENT, MET, NOT_MET, judgement_id
from reviewer_app.visit.workspaces import workspace_path
from storage import Workspace
from sync.authorship import fingerprint_words, public_hex
from tests.keys import app_key
from ui.team.devices import DeviceDecisionDialog
from ui.team.overview import OverviewWindow

SIOBHAN = "Siobhán O'Brien"


def new_laptop_bundle(tmp_path: Path, kit: Path) -> tuple[Path, str]:
    """Siobhán's new laptop (no window needed): one judgement, exported; and its words."""
    new: Laptop = make_laptop(tmp_path / "cns-new", kit, "m-cns")
    file = workspace_path(new.paths, new.visit_id)
    with Workspace.open(file, key=app_key(file), device_id=device_id(new.paths)) as ws:
        ws.record(
            "m-cns",
            JUDGEMENT,
            judgement_id("HN-102", "shc", "m-cns"),
            {"value": NOT_MET, "reason": "No leaflet in Polish"},
        )
        # The new laptop shows its own words as "this laptop": what Siobhán reads aloud.
        mine = device_rows(ws, visit_of(ws))
    words = fingerprint_words(public_hex(device_key(new.paths)))
    assert [(r.words, r.state_words) for r in mine] == [(words, "this laptop")]
    usb = tmp_path / "usb-new"
    usb.mkdir()
    return export_visit_bundle(new.paths, new.visit_id, usb), words


def import_and_close_receipt(qtbot: QtBot, laptop: Laptop, files: list[Path]) -> str:
    team = laptop.win.team
    team.last_receipts = None
    assert drop_files(laptop.win, files)
    qtbot.waitUntil(lambda: team.last_receipts is not None, timeout=WAIT)
    return str(team.last_receipts.plain_text())


def open_overview(qtbot: QtBot, laptop: Laptop) -> OverviewWindow:
    view: OverviewWindow = laptop.win.team.show_overview()
    qtbot.waitUntil(lambda: view.devices is not None, timeout=WAIT)
    qtbot.waitExposed(view)
    return view


def card_text(view: OverviewWindow) -> str:
    return "\n".join(label.text() for label in view.flags.findChildren(QLabel))


@dataclass
class Arrived:
    """Siobhán's first laptop (a window), the lead's (a window) with both of her laptops'
    bundles imported, the new laptop's bundle and the words of both her devices."""

    cns: Laptop
    lead: Laptop
    new_bundle: Path
    words: str
    old_words: str
    receipt: str


@pytest.fixture
def arrived(
    qtbot: QtBot, laptops, tmp_path: Path, demo_kit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Arrived:
    cns = laptops("m-cns")
    judge(qtbot, cns.win, "HN-101", MET)
    usb = tmp_path / "usb"
    usb.mkdir()
    old_bundle = export_bundle(qtbot, cns, usb, monkeypatch)
    new_bundle, words = new_laptop_bundle(tmp_path, demo_kit_file)
    lead = laptops("m-lead")
    receipt = import_and_close_receipt(qtbot, lead, [old_bundle, new_bundle])
    old_words = fingerprint_words(public_hex(device_key(cns.paths)))
    return Arrived(cns, lead, new_bundle, words, old_words, receipt)


def accept_on_the_leads_laptop(
    qtbot: QtBot, view: OverviewWindow, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, bool]]:
    """Press Accept from the keyboard, the confirmation answered yes; what it asked about."""
    asked: list[tuple[str, bool]] = []

    def ask(_cls: object, _parent: object, row: object, accepting: bool) -> bool:
        asked.append((row.words, accepting))  # type: ignore[attr-defined]
        return True

    monkeypatch.setattr(DeviceDecisionDialog, "ask", classmethod(ask))
    qtbot.keyClick(view.flags.buttons[0], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: view.decision.text().startswith("Accepted"), timeout=WAIT)
    return asked


def test_the_lead_compares_the_words_accepts_and_the_held_work_joins_the_visit(
    screenshot: Screenshot,
    qtbot: QtBot,
    arrived: Arrived,
    monkeypatch: pytest.MonkeyPatch,
    qtmodeltester,
) -> None:
    lead, words, new_bundle = arrived.lead, arrived.words, arrived.new_bundle
    receipt = arrived.receipt
    assert receipt.startswith(
        "2 files read: 1 new operation; 2 operations held back; 1 device for the lead to confirm."
    ), receipt
    assert f"⚠ Another device says it is {SIOBHAN}: fingerprint {words}" in receipt
    assert "2 operations held back" in receipt and "Held back (kept aside" in receipt
    assert "judgement by Siobhán O'Brien: it is signed by another device" in receipt
    screenshot(lead.win.team.last_receipts, "team_receipt_devices.png")
    lead.win.team.last_receipts.close()
    assert "Another device says it is Siobhán O'Brien" in lead.win.statusBar().currentMessage()
    assert lead.win.session.data.judgement("HN-102", "shc", "m-cns").value != NOT_MET

    view = open_overview(qtbot, lead)
    qtmodeltester.check(view.devices_model)
    model = view.devices_model
    table = [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    assert [row[:3] for row in table] == [
        [
            "Dr Zoë Hartley (lead)",
            fingerprint_words(public_hex(device_key(lead.paths))),
            "This laptop",
        ],
        [SIOBHAN, arrived.old_words, "Pinned on first sight"],
        [SIOBHAN, words, "⚠ Held: waiting for the lead"],
    ]
    assert table[2][4].endswith(f"in {new_bundle.name}") and table[2][3] == "2"
    # The flag: at the top, with the words to read aloud and the sentence.
    assert view.flags.isVisible() and len(view.flags.cards) == 1
    shown = card_text(view)
    assert words in shown.split("\n")
    assert f"Another device says it is {SIOBHAN}: fingerprint {words}; its work is held" in shown
    assert f"accept it only if {SIOBHAN} changed laptop" in shown
    accept, refuse = view.flags.buttons
    assert accept.isVisible() and refuse.isVisible()
    assert accept.accessibleName() == f"Accept the other device for {SIOBHAN}"
    assert unnamed(view) == []
    screenshot(view, "team_devices.png")

    # The keyboard reaches Accept: Shift+Tab from the overview's table.
    view.activateWindow()
    view.table.setFocus()
    for _ in range(6):
        if QApplication.focusWidget() is accept:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is accept

    assert accept_on_the_leads_laptop(qtbot, view, monkeypatch) == [(words, True)]
    assert view.decision.text() == (
        f"Accepted {SIOBHAN}'s other device ({words}): 2 held operations now in the visit. "
        "Export your bundle so the team's laptops accept it too."
    )
    judgement = lead.win.session.data.judgement("HN-102", "shc", "m-cns")
    assert (judgement.value, judgement.reason) == (NOT_MET, "No leaflet in Polish")
    qtbot.waitUntil(lambda: not view.flags.isVisible(), timeout=WAIT)
    assert model.index(2, 2).data() == "Accepted by the lead" and model.index(2, 3).data() == "none"
    screenshot(view, "team_devices_accepted.png")
    view.close()


def test_a_reviewers_laptop_flags_the_device_without_accept_until_the_lead_decides(
    screenshot: Screenshot,
    qtbot: QtBot,
    arrived: Arrived,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cns, lead = arrived.cns, arrived.lead
    import_and_close_receipt(qtbot, cns, [arrived.new_bundle])
    cns.win.team.last_receipts.close()
    theirs = open_overview(qtbot, cns)
    assert theirs.flags.isVisible() and theirs.flags.buttons == []
    assert arrived.words in card_text(theirs).split("\n")
    assert not [
        b for b in theirs.findChildren(QPushButton) if "Accept" in b.text() and b.isVisible()
    ]
    assert "Only the lead reviewer, Dr Zoë Hartley, can accept or refuse it" in card_text(theirs)
    assert unnamed(theirs) == []
    screenshot(theirs, "team_devices_reviewer.png")
    # The lead accepts; the lead's bundle settles it on the reviewer's laptop too.
    accept_on_the_leads_laptop(qtbot, open_overview(qtbot, lead), monkeypatch)
    (tmp_path / "usb-lead").mkdir()
    lead_bundle = export_bundle(qtbot, lead, tmp_path / "usb-lead", monkeypatch)
    import_and_close_receipt(qtbot, cns, [lead_bundle])
    cns.win.team.last_receipts.close()
    qtbot.waitUntil(lambda: not theirs.flags.isVisible(), timeout=WAIT)
    assert cns.win.session.data.judgement("HN-102", "shc", "m-cns").value == NOT_MET
    model = theirs.devices_model
    states = {model.index(r, 1).data(): model.index(r, 2).data() for r in range(model.rowCount())}
    assert states[arrived.words] == "Accepted by the lead"
    assert states[arrived.old_words] == "This laptop"


def test_the_lead_refuses_and_the_held_work_is_dropped(
    qtbot: QtBot, arrived: Arrived, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = arrived.lead
    view = open_overview(qtbot, lead)
    monkeypatch.setattr(DeviceDecisionDialog, "ask", classmethod(lambda *_: True))
    view.flags.buttons[1].click()
    qtbot.waitUntil(lambda: view.decision.text().startswith("Refused"), timeout=WAIT)
    assert view.decision.text() == (
        f"Refused {SIOBHAN}'s other device ({arrived.words}): 2 held operations dropped. "
        "Export your bundle so the team's laptops refuse it too."
    )
    qtbot.waitUntil(lambda: not view.flags.isVisible(), timeout=WAIT)
    assert view.devices_model.index(2, 2).data() == "Refused by the lead"
    assert lead.win.session.data.judgement("HN-102", "shc", "m-cns").value != NOT_MET


def test_accepting_asks_to_compare_the_words_read_aloud(
    screenshot: Screenshot, qtbot: QtBot, laptops, tmp_path: Path, demo_kit_file: Path
) -> None:
    new_bundle, words = new_laptop_bundle(tmp_path, demo_kit_file)
    cns = laptops("m-cns")
    import_and_close_receipt(qtbot, cns, [new_bundle])
    cns.win.team.last_receipts.close()
    view = open_overview(qtbot, cns)
    [row] = [r for r in view.devices.rows if r.waiting]  # type: ignore[union-attr]
    dialog = DeviceDecisionDialog(view, row, accept=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.words.text() == words
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == "Tick the box once the words read aloud match."
    dialog.match.click()
    assert dialog.ok_button.isEnabled() and dialog.ok_button.text() == "Accept the device"
    assert unnamed(dialog) == []
    screenshot(dialog, "team_device_accept_dialog.png")
    refuse = DeviceDecisionDialog(view, row, accept=False)
    qtbot.addWidget(refuse)
    refuse.show()
    assert refuse.ok_button.isEnabled() and not refuse.match.isVisible()
    assert refuse.ok_button.text() == "Refuse the device" and refuse.words.text() == words
    said = "\n".join(label.text() for label in refuse.findChildren(QLabel))
    assert "Its 2 held operations are dropped here" in said
