"""The team's views on their own: receipts (with refused operations and a refused file), a
refused bundle dropped on the window, conflicts resolved from the window, the team overview, and
the lead's team judgement dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import WAIT, Screenshot, settle
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from team_laptops import drop_files, export_bundle, judge

from reviewer_app.team.bundles import Receipt
from reviewer_app.visit.model import MET, NOT_APPLICABLE, NOT_MET, NOTE, TeamJudgement
from ui.team.overview import OverviewModel
from ui.team.receipts import ReceiptsView, show_history
from ui.team.team_judgement_dialog import TeamJudgementDialog


def test_a_receipt_lists_each_file_with_its_figures_and_refusals(
    screenshot: Screenshot, qtbot: QtBot, laptops
) -> None:
    lead = laptops("m-lead")
    data = lead.win.session.data
    good = Receipt(
        file="/media/usb/cns.rvbundle",
        member_id="m-cns",
        member_name="Siobhán O'Brien",
        created_at="2026-12-03T16:40:00+00:00",
        new=12,
        known=3,
        conflicts=1,
        disagreements=2,
        refused=(
            {
                "op_id": "x",
                "entity": "team_judgement",
                "entity_id": '["HN-101","shc"]',
                "field": "value",
                "member_id": "m-cns",
                "reason": "only the lead reviewer, Dr Zoë Hartley, sets the team judgement",
            },
        ),
    )
    bad = Receipt(
        file="/media/usb/other.rvbundle",
        refused_file="This bundle is for another visit; import it into that visit instead.",
        refused_reason="wrong_visit",
    )
    view = ReceiptsView.present(lead.win, "Import receipt", [good.to_dict(), bad.to_dict()], data)
    qtbot.waitExposed(view)
    text = view.plain_text()
    assert text.startswith("2 files read: 12 new operations; 1 file refused.")
    for line in (
        "cns.rvbundle",
        "From Siobhán O'Brien, made Thu 3 Dec",
        "12 new operations",
        "3 already known",
        "1 conflict\n",
        "2 disagreements in the visit now",
        "1 refused operation",
        "team judgement by Siobhán O'Brien: only the lead reviewer, Dr Zoë Hartley, sets",
        "other.rvbundle",
        "Refused — nothing was imported from this file.",
        "This bundle is for another visit; import it into that visit instead.",
    ):
        assert line in text, line
    screenshot(view, "team_receipt_refusals.png")
    view.close()
    empty = show_history(lead.win, [], data)
    assert empty.summary.text() == "No bundles have been imported on this laptop yet."
    assert not empty.text.isVisible()
    empty.close()


def test_a_tampered_bundle_dropped_on_the_window_is_refused_and_changes_nothing(
    qtbot: QtBot, laptops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cns = laptops("m-cns")
    judge(qtbot, cns.win, "HN-101", NOT_MET, "No leaflet")
    bundle = export_bundle(qtbot, cns, tmp_path, monkeypatch)
    tampered = tmp_path / "tampered.rvbundle"
    raw = bytearray(bundle.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    tampered.write_bytes(bytes(raw))
    lead = laptops("m-lead")
    assert not drop_files(lead.win, [tmp_path / "notes.txt"])  # not a bundle: not taken
    assert drop_files(lead.win, [tampered])
    team = lead.win.team
    qtbot.waitUntil(lambda: team.last_receipts is not None, timeout=WAIT)
    text = team.last_receipts.plain_text()
    assert "1 file read: 0 new operations; 1 file refused." in text
    assert "Refused — nothing was imported from this file." in text
    assert lead.win.session.data.judgement("HN-101", "shc", "m-cns").value != NOT_MET
    team.last_receipts.close()
    # The history keeps the refusal, with its reason.
    team.show_history()
    qtbot.waitUntil(lambda: "history" in team.views, timeout=WAIT)
    history = team.views["history"].plain_text()
    assert "tampered.rvbundle" in history and "Refused" in history


def test_a_conflict_is_resolved_from_the_badge_by_choosing_the_other_value(
    screenshot: Screenshot, qtbot: QtBot, laptops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cns = laptops("m-cns")
    cns.win.bridge.run(cns.win.session.add_note("HN-101", "Leaflet seen"), "add a note")
    settle(qtbot, cns.win)
    [note] = cns.win.session.data.notes.values()
    first = export_bundle(qtbot, cns, tmp_path, monkeypatch)
    lead = laptops("m-lead")
    assert drop_files(lead.win, [first])
    qtbot.waitUntil(lambda: lead.win.team.last_receipts is not None, timeout=WAIT)
    lead.win.team.last_receipts.close()
    lead.win.bridge.run(
        lead.win.session.update(NOTE, note.id, {"text": "Leaflet out of date"}), "edit"
    )
    settle(qtbot, lead.win)
    cns.win.bridge.run(cns.win.session.edit_note(note.id, "Leaflet in 4 languages"), "e")
    settle(qtbot, cns.win)
    (tmp_path / "2").mkdir()
    second = export_bundle(qtbot, cns, tmp_path / "2", monkeypatch)
    team = lead.win.team
    team.last_receipts = None
    assert drop_files(lead.win, [second])
    qtbot.waitUntil(lambda: team.last_receipts is not None, timeout=WAIT)
    assert "1 conflict\n" in team.last_receipts.plain_text()
    team.last_receipts.close()
    assert team.badge.isVisible() and team.badge.text() == "⚠ 1 conflict to resolve"
    team.badge.click()
    view = team.views["conflicts"]
    qtbot.waitUntil(lambda: bool(view.groups), timeout=WAIT)
    assert view.what.text() == "Note on HN-101: text"
    choices = [b.text() for b in view.choice.buttons()]
    assert any("Leaflet out of date\n— Dr Zoë Hartley" in c for c in choices)
    assert any("Leaflet in 4 languages\n— Siobhán O'Brien" in c for c in choices)
    assert sum("(shown now)" in c for c in choices) == 1
    screenshot(view, "team_conflicts.png")
    shown = lead.win.session.data.notes[note.id].text
    other = 1  # the value not shown now
    assert shown not in choices[other].split("\n")[0]
    wanted = choices[other].split("\n")[0]
    view.choose(other)
    view.resolve_button.click()
    qtbot.waitUntil(lambda: not view.groups and not view.loading, timeout=WAIT)
    assert lead.win.session.data.notes[note.id].text == wanted
    assert not team.badge.isVisible() and view.empty.isVisible()


def test_the_overview_shows_each_members_progress_and_last_bundle(
    qtbot: QtBot,
    laptops,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtmodeltester,
    *,
    screenshot: Screenshot,
) -> None:
    cns = laptops("m-cns")
    judge(qtbot, cns.win, "HN-101", MET)
    judge(qtbot, cns.win, "HN-102", NOT_APPLICABLE, "Not offered here")
    bundle = export_bundle(qtbot, cns, tmp_path, monkeypatch)
    lead = laptops("m-lead")
    assert drop_files(lead.win, [bundle])
    qtbot.waitUntil(lambda: lead.win.team.last_receipts is not None, timeout=WAIT)
    lead.win.team.last_receipts.close()
    view = lead.win.team.show_overview()
    qtbot.waitUntil(lambda: view.model.history != [], timeout=WAIT)
    model: OverviewModel = view.model
    qtmodeltester.check(model)
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names[:2] == ["Dr Zoë Hartley (lead)", "Siobhán O'Brien"]
    assert model.index(0, 1).data() == "This laptop"
    assert model.index(1, 1).data() not in ("None yet", "")
    assert model.index(2, 1).data() == "None yet"
    data = lead.win.session.data
    applicable = sum(len(s.applies_to) for s in data.standards)
    assert model.index(1, 2).data() == f"2/{applicable}"
    first_section = data.standards[0].section
    column = 3 + data.sections.index(first_section)
    assert model.index(1, column).data().startswith("2/")
    tip = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == first_section
    screenshot(view, "team_overview.png")


def test_the_team_judgement_dialog_needs_a_rationale_for_not_met(
    screenshot: Screenshot, qtbot: QtBot
) -> None:
    dialog = TeamJudgementDialog(None, "Team judgement — HN-101", TeamJudgement("HN-101", "shc"))
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled()  # Not yet assessed: nothing to explain
    dialog.radios[NOT_MET].click()
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.text() == "Write the rationale: it is needed for Not met."
    qtbot.keyClicks(dialog.rationale, "Seen on the ward")
    assert dialog.ok_button.isEnabled()
    assert dialog.value() == (NOT_MET, "Seen on the ward")
    dialog.show()
    screenshot(dialog, "team_judgement_dialog.png")


def test_the_register_opens_on_all_rows_when_nothing_needs_agreement(qtbot: QtBot, laptops) -> None:
    lead = laptops("m-lead")
    judge(qtbot, lead.win, "HN-101", MET)  # one judge only: nothing to agree
    register = lead.win.team.show_register()
    qtbot.waitExposed(register)
    assert not register.only_open.isChecked()
    assert register.empty.isVisible()
    assert register.empty.text().startswith("Nothing needs agreement: every reviewer")


def test_the_register_opens_on_what_needs_agreement(
    qtbot: QtBot, laptops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cns = laptops("m-cns")
    judge(qtbot, cns.win, "HN-101", NOT_MET, "No leaflet in Polish")
    bundle = export_bundle(qtbot, cns, tmp_path, monkeypatch)
    lead = laptops("m-lead")
    judge(qtbot, lead.win, "HN-101", MET)
    judge(qtbot, lead.win, "HN-102", MET)
    assert drop_files(lead.win, [bundle])
    qtbot.waitUntil(lambda: lead.win.team.last_receipts is not None, timeout=WAIT)
    lead.win.team.last_receipts.close()
    register = lead.win.team.show_register()
    qtbot.waitExposed(register)
    assert register.only_open.isChecked()
    model = register.model
    assert [model.text(d, 5) for d in model.rows] == ["Needs agreement"]
    assert register.current() is model.rows[0] and model.rows[0].ref == "HN-101"
    # Settled, it leaves the list; the next opening shows everything again, unticked.
    monkeypatch.setattr(TeamJudgementDialog, "ask", classmethod(lambda *_: (NOT_MET, "Agreed")))
    register.team_line.button.click()
    settle(qtbot, lead.win)
    qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=WAIT)
    register.close()
    lead.win.team.show_register()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT)
    assert not register.only_open.isChecked()
    assert model.text(model.rows[0], 5) == "Team differs from the claim"
