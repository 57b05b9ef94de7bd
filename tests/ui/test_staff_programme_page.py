"""The staff window's Programme page against a real central service (uvicorn on 127.0.0.1)
filled with the demo programme: the visits by state with each step's date, an overdue step
marked in words and with an icon (not by colour alone), actions run on a worker while the
window keeps answering, a bad form's problems listed row by row, and offline or signed out the
page says what to do."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Screenshot, save_screenshot
from PySide6.QtCore import Qt, QTimer

from reviewer_app.app.paths import AppPaths
from reviewer_app.central.service import sign_in
from reviewer_app.demo import programme as demo
from reviewer_app.staff.timeline import STEPS
from sync.server.app import create_app
from sync.server.db import database_url
from tests.server.central_helpers import LiveServer, serve
from ui.staff import programme as page_module
from ui.staff.programme import ProgrammePage
from ui.staff.programme_dialogs import (
    ApprovalAnswer,
    ApproveDialog,
    OverviewChoice,
    OverviewDialog,
    SettingsDialog,
    SignInDialog,
)
from ui.staff.window import StaffWindow

PROVIDER, STATE = 0, 1
STEP_COLUMN = {s: i + 2 for i, s in enumerate(STEPS)}


@pytest.fixture(scope="module")
def filled_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoCentral]:
    folder = tmp_path_factory.mktemp("demo-central")
    return folder, demo.fill_demo_central(str(folder / "central.sqlite"))


@pytest.fixture
def service(
    filled_demo: tuple[Path, demo.DemoCentral], tmp_path: Path
) -> Iterator[tuple[LiveServer, demo.DemoCentral]]:
    """The demo programme served from this test's own copy, the staff signed in to it."""
    source, made = filled_demo
    shutil.copytree(source, tmp_path / "central")
    app = create_app(database_url(str(tmp_path / "central" / "central.sqlite")))
    with serve(app) as live:
        sign_in(AppPaths.from_environment(), live.url, made.staff_token)
        yield live, made
    app.state.db.dispose()


def open_page(qtbot, window: StaffWindow) -> ProgrammePage:
    window.nav.setCurrentRow(3)
    page = window.programme
    assert window.pages.currentWidget() is page
    return page


def listed(qtbot, page: ProgrammePage, count: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == count and not page.running, timeout=20_000)


def row_of(page: ProgrammePage, provider_start: str) -> int:
    model = page.model
    return next(
        r
        for r in range(model.rowCount())
        if model.data(model.index(r, PROVIDER)).startswith(provider_start)
    )


def test_the_page_lists_the_programmes_visits_by_state_with_overdue_steps_marked(
    qtbot, staff_window: StaffWindow, service, qtmodeltester, *, screenshot: Screenshot
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    qtmodeltester.check(page.model)
    model = page.model
    states = [model.data(model.index(r, STATE)) for r in range(model.rowCount())]
    assert states[:2] == ["Published", "Published"]  # furthest first
    assert {"Approved", "V2 finalised", "Comments returned", "Pack sent", "V1 finalised"} <= set(
        states
    )
    assert states[-1] == "Planned"  # the visit still to come
    assert page.choice.currentText() == demo.PROGRAMME
    # Kingsmere's pack is overdue: the cell says so in words, bold, with a warning icon.
    kingsmere = row_of(page, "Kingsmere")
    cell = model.index(kingsmere, STEP_COLUMN["pack_sent"])
    assert model.data(cell).startswith("OVERDUE\ndue ")
    assert model.data(cell, Qt.ItemDataRole.DecorationRole) is not None
    assert model.data(cell, Qt.ItemDataRole.FontRole).bold()
    assert "overdue" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    reached = model.index(kingsmere, STEP_COLUMN["v1_finalised"])
    assert model.data(reached) == "25 Oct\n10 days"
    assert "25 Oct 2026, 10 days after the visit" in model.data(
        reached, Qt.ItemDataRole.ToolTipRole
    )
    assert model.data(reached, Qt.ItemDataRole.DecorationRole) is None
    header = model.headerData(STEP_COLUMN["pack_sent"], Qt.Orientation.Horizontal)
    assert header.startswith("Pack\nsent\nmedian ") and header.endswith(" d")
    assert "OVERDUE" in page.summary.text() and "Published 2" in page.summary.text()
    assert not page.banner.isVisible()
    # The chosen visit's actions follow its state.
    page.view.selectRow(kingsmere)
    assert page.pack_button.isEnabled() and page.approve_button.isEnabled()
    assert not page.form_button.isEnabled() and not page.publish_button.isEnabled()
    assert page.form_button.toolTip() == "Send the accuracy pack first."
    screenshot(staff_window, "staff_programme_page.png")


def test_sending_a_pack_runs_on_a_worker_and_the_table_follows(
    qtbot, staff_window: StaffWindow, service, tmp_path: Path, monkeypatch
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    page.view.selectRow(row_of(page, "Kingsmere"))
    monkeypatch.setattr(page_module, "choose_folder", lambda *_a: tmp_path / "packs")
    ticks: list[int] = []
    timer = QTimer(page)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    page.pack_button.click()
    assert page.running and page.busy.isVisible() and not page.pack_button.isEnabled()
    qtbot.waitUntil(lambda: "is saved as" in page.result.text(), timeout=20_000)
    timer.stop()
    assert len(ticks) >= 2  # the window kept answering while the pack was made
    (pack,) = (tmp_path / "packs").glob("*.zip")
    assert pack.name.startswith("kingsmere-hospitals-nhs-trust-accuracy-pack-v1")
    assert "recorded as sent" in page.result.text()
    qtbot.waitUntil(
        lambda: (
            not page.running
            and page.model.data(page.model.index(row_of(page, "Kingsmere"), STATE)) == "Pack sent"
        ),
        timeout=20_000,
    )
    assert not page.busy.isVisible()


def test_a_bad_form_lists_its_problems_and_changes_nothing(
    qtbot, staff_window: StaffWindow, service, tmp_path: Path, monkeypatch, *, screenshot
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    millbrook = row_of(page, "Millbrook")
    page.view.selectRow(millbrook)
    bad = tmp_path / "returned.csv"
    bad.write_text("Id,Check,Kind\nnot-an-id,00000000,finding\n", encoding="utf-8")
    monkeypatch.setattr(page_module, "choose_open_file", lambda *_a: bad)
    page.form_button.click()
    qtbot.waitUntil(page.problems.isVisible, timeout=20_000)
    assert page.problems.count() >= 1
    assert page.problems.item(0).text().startswith(("Row ", "The form"))
    assert page.result.text() and "\n" not in page.result.text()
    assert page.model.data(page.model.index(millbrook, STATE)) == "Pack sent"
    assert page.form_button.isEnabled()  # staff can try again with the corrected file
    screenshot(staff_window, "staff_programme_bad_form.png")


def test_approving_through_the_dialog_moves_the_visit_on(
    qtbot, staff_window: StaffWindow, service, monkeypatch
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    page.view.selectRow(row_of(page, "Wealdshire"))
    monkeypatch.setattr(
        ApproveDialog,
        "ask",
        classmethod(lambda _cls, *_a: ApprovalAnswer("QA group", "2026-11-30", "")),
    )
    page.approve_button.click()
    qtbot.waitUntil(lambda: "approved by QA group" in page.result.text(), timeout=20_000)
    qtbot.waitUntil(
        lambda: (
            not page.running
            and page.model.data(page.model.index(row_of(page, "Wealdshire"), STATE)) == "Approved"
        ),
        timeout=20_000,
    )


def test_the_programmes_reports_are_written_to_the_chosen_folder(
    qtbot, staff_window: StaffWindow, service, tmp_path: Path, monkeypatch
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    monkeypatch.setattr(page_module, "choose_folder", lambda *_a: tmp_path / "reports")
    offered: list[list[str]] = []

    def choose(_cls, _parent, programme, found):
        assert programme == demo.PROGRAMME
        offered.append([c.title for c in found])
        return OverviewChoice([c.visit_id for c in found[:3]], ["pdf"])

    monkeypatch.setattr(OverviewDialog, "ask", classmethod(choose))
    page.overview_button.click()
    qtbot.waitUntil(lambda: "The programme overview written" in page.result.text(), timeout=30_000)
    (titles,) = offered
    assert len(titles) == 7 and not any("Fenwick" in t or "St Aldric" in t for t in titles)
    overview = (
        tmp_path / "reports" / "haemoglobin-disorders-peer-review-programme-2026-27-overview.pdf"
    )
    assert overview.read_bytes().startswith(b"%PDF") and str(overview) in page.result.text()
    qtbot.waitUntil(lambda: not page.running)
    page.qsg_button.click()
    qtbot.waitUntil(lambda: "The QSG summary written" in page.result.text(), timeout=30_000)
    assert len(list((tmp_path / "reports").glob("*-qsg-summary.*"))) == 2


def test_offline_the_page_says_so_and_keeps_the_table(
    qtbot, staff_window: StaffWindow, service, *, screenshot: Screenshot
) -> None:
    live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    live.server.should_exit = True
    live.thread.join(10)
    page.refresh_button.click()
    qtbot.waitUntil(lambda: page.banner.isVisible() and not page.running, timeout=30_000)
    assert page.banner.text().startswith("<b>Offline:</b> the central service does not answer")
    assert "press Refresh" in page.banner.text()
    assert page.model.rowCount() == len(made.visits)  # what it said last is still shown
    assert page.refresh_button.isEnabled()
    screenshot(staff_window, "staff_programme_offline.png")


def test_signed_out_the_page_offers_to_sign_in_and_then_lists_the_visits(
    qtbot, staff_window: StaffWindow, filled_demo, tmp_path: Path, monkeypatch
) -> None:
    page = open_page(qtbot, staff_window)
    qtbot.waitUntil(lambda: page.banner.isVisible() and not page.running, timeout=10_000)
    assert page.banner.text().startswith("<b>Not signed in</b> to the central service as staff")
    assert page.sign_in_button.isEnabled() and page.sign_in_button.accessibleName() == "Sign in"
    assert not page.overview_button.isEnabled()
    source, made = filled_demo
    shutil.copytree(source, tmp_path / "central")
    app = create_app(database_url(str(tmp_path / "central" / "central.sqlite")))
    with serve(app) as live:
        given = [("x" * 43, live.url), (made.staff_token, live.url)]
        monkeypatch.setattr(SignInDialog, "ask", classmethod(lambda _cls, *_a: given.pop(0)[::-1]))
        page.sign_in_button.click()  # a token the service does not know: one sentence
        qtbot.waitUntil(lambda: not page.running and page.result.text() != "Signing in…")
        assert page.result.text() == (
            "The service did not accept that token; ask programme staff for a new one."
        )
        assert page.banner.isVisible() and page.model.rowCount() == 0
        page.sign_in_button.click()
        listed(qtbot, page, len(made.visits))
        assert page.result.text() == f"Signed in to {live.url} as {demo.STAFF_USER}."
        assert not page.banner.isVisible()
    app.state.db.dispose()


@pytest.mark.screenshots
def test_picture_of_the_programme_page(qtbot, staff_window: StaffWindow, service) -> None:
    _live, made = service
    staff_window.resize(1280, 800)  # the window's own first size on a laptop
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    page.view.selectRow(row_of(page, "Kingsmere"))
    save_screenshot(staff_window, "staff_programme.png")


def test_the_page_is_reached_and_used_from_the_keyboard(
    qtbot, staff_window: StaffWindow, service
) -> None:
    _live, made = service
    qtbot.keyClick(staff_window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    page = staff_window.programme
    assert staff_window.pages.currentWidget() is page
    listed(qtbot, page, len(made.visits))
    controls = [
        page.choice,
        page.refresh_button,
        page.sign_in_button,
        page.view,
        *page.visit_buttons,
        *page.programme_buttons,
    ]
    for widget in controls:
        assert widget.accessibleName(), widget
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, widget.accessibleName()
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F5)
    assert page.running  # F5 asks the service again
    listed(qtbot, page, len(made.visits))


def test_the_approval_dialog_needs_who_approved(qtbot, *, screenshot: Screenshot) -> None:
    dialog = ApproveDialog(None, "Kingsmere Hospitals NHS Trust", "V1")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled() and "Say who approved" in dialog.hint.text()
    qtbot.keyClicks(dialog.who, "Haemoglobin Disorders Quality Assurance Group")
    dialog.conditions.setPlainText("Correct the network's name.")
    assert dialog.ok_button.isEnabled()
    answer = dialog.answer()
    assert answer.approved_by.startswith("Haemoglobin") and len(answer.approved_at) == 10
    screenshot(dialog, "staff_programme_approve.png")


def test_settings_change_what_is_overdue(
    qtbot, staff_window: StaffWindow, service, monkeypatch
) -> None:
    _live, made = service
    page = open_page(qtbot, staff_window)
    listed(qtbot, page, len(made.visits))
    assert "OVERDUE" in page.summary.text()
    asked: list[dict[str, int]] = []

    def generous(_cls, _parent, _programme, days):
        asked.append(days)
        return {step: 400 for step in days}

    monkeypatch.setattr(SettingsDialog, "ask", classmethod(generous))
    page.settings_button.click()
    qtbot.waitUntil(lambda: "nothing overdue" in page.summary.text(), timeout=20_000)
    assert asked[0]["pack_sent"] == 10  # the defaults were offered
    assert "expected working days are saved" in page.result.text()
    model = page.model
    cell = model.index(row_of(page, "Kingsmere"), STEP_COLUMN["pack_sent"])
    assert (
        model.data(cell).startswith("due ") and model.data(cell, Qt.ItemDataRole.FontRole) is None
    )
