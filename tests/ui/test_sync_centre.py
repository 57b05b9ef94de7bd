"""The sync centre against a real central service on 127.0.0.1.

Signing in goes through the real dialog (``SignInDialog.ask`` is patched to fill it in and
press "Sign in" instead of waiting for a person); "Sync now" runs the real sync on the window's
worker while the test waits for its signal.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as laptop
from reviewer_app.central.service import SignIn
from sync.server.app import create_app
from tests.server import central_helpers
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope, serve
from ui.sync_centre.sign_in import SignInDialog
from ui.sync_centre.window import SyncCentreWindow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 20_000

# The live service's fixtures, defined once in tests/server/central_helpers.py.
central = central_helpers.central
demo_central = central_helpers.demo_central


def _snap(widget: QWidget, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    widget.layout().activate()
    widget.grab().save(str(ARTIFACTS / name))


def fill_in_and_sign_in(qtbot: QtBot, dialog: SignInDialog, url: str, token: str) -> None:
    dialog.url.setText(url)
    dialog.token.setText(token)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)


@pytest.fixture
def signs_in_as(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``signs_in_as(url, token)``: the next ``SignInDialog.ask`` fills in the real dialog."""
    answers: list[tuple[str, str]] = []
    dialogs: list[SignInDialog] = []

    def ask(_cls: Any, parent: QWidget | None, paths: AppPaths, url: str = "") -> SignIn | None:
        dialog = SignInDialog(parent, paths, url)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        fill_in_and_sign_in(qtbot, dialog, *answers.pop(0))
        return dialog.signed_in

    monkeypatch.setattr(SignInDialog, "ask", classmethod(ask))

    def queue(url: str, token: str) -> list[SignInDialog]:
        answers.append((url, token))
        return dialogs

    return queue


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[SyncCentreWindow]:
    w = SyncCentreWindow(AppPaths.from_environment())
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.status_shown, timeout=WAIT_MS):
        w.show()
    yield w
    w.close()


def sync_now(qtbot: QtBot, w: SyncCentreWindow) -> Any:
    with qtbot.waitSignal(w.sync_finished, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(w.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(w.progress.isHidden, timeout=WAIT_MS)
    with qtbot.waitSignal(w.status_shown, timeout=WAIT_MS):
        w.refresh()
    return finished.args[0]


def cell(model: Any, row: int, column: int) -> str:
    return str(model.index(row, column).data())


# -- signing in ----------------------------------------------------------------------------------


def test_sign_in_says_what_is_wrong_in_one_sentence_then_who_you_are(
    qtbot: QtBot, demo_central: Central
) -> None:
    paths = AppPaths.from_environment()
    dialog = SignInDialog(None, paths)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled()  # nothing typed yet

    fill_in_and_sign_in(qtbot, dialog, "central.example", "abc")
    assert "not a web address" in dialog.message.text()

    started = time.monotonic()
    fill_in_and_sign_in(qtbot, dialog, "http://127.0.0.1:9", "abc")  # nothing listens there
    assert time.monotonic() - started < 6
    assert dialog.message.text().startswith("Cannot reach http://127.0.0.1:9;")

    fill_in_and_sign_in(qtbot, dialog, demo_central.url + "/elsewhere", "abc")
    assert "it is not a Reviewer App central service" in dialog.message.text()

    fill_in_and_sign_in(qtbot, dialog, demo_central.url, "not-the-token")
    assert "did not accept that token" in dialog.message.text()
    _snap(dialog, "sign_in_refused.png")
    assert dialog.url.text() == demo_central.url  # what was typed stays to be corrected
    assert laptop.signed_in_url(paths) == ""

    fill_in_and_sign_in(qtbot, dialog, demo_central.url, demo_central.tokens["lead"])
    text = dialog.message.text()
    assert f"Signed in as lead (reviewer) at {demo_central.url}." in text
    assert "password store (keyring)" in text
    assert dialog.ok_button.text() == "&Done" and not dialog.token.isEnabled()
    _snap(dialog, "sign_in.png")
    assert dialog.signed_in is not None and dialog.signed_in.in_keyring
    assert laptop.signed_in_url(paths) == demo_central.url


def test_with_no_keyring_the_user_is_told_the_token_lasts_this_session(
    qtbot: QtBot,
    demo_central: Central,
    window: SyncCentreWindow,
    signs_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_keyring(*_a: object) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "set_password", no_keyring)
    monkeypatch.setattr(keyring, "get_password", no_keyring)
    dialogs = signs_in_as(demo_central.url, demo_central.tokens["lead"])
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    told = "kept only until the app closes: you will need to sign in again next time"
    assert told in dialogs[0].message.text()
    _snap(dialogs[0], "sign_in_no_keyring.png")
    qtbot.waitUntil(lambda: "kept only until the app closes" in window.who.text())
    report = sync_now(qtbot, window)  # the token in memory works for this session
    assert report.ok and window.kits_model.rowCount() == 1
    laptop.sign_out(AppPaths.from_environment())


# -- sync now ------------------------------------------------------------------------------------


def test_sync_now_sends_the_outbox_and_shows_receipts_kits_and_staff_comments(
    qtbot: QtBot,
    qtmodeltester: Any,
    demo_central: Central,
    window: SyncCentreWindow,
    signs_in_as: Any,
) -> None:
    paths = AppPaths.from_environment()
    envelope = make_envelope()
    laptop.enqueue_snapshot(paths, envelope, {})
    window.refresh()
    qtbot.waitUntil(lambda: cell(window.outbox_model, 0, 2) == "Queued", timeout=WAIT_MS)
    assert "Not signed in" in window.who.text()

    signs_in_as(demo_central.url, demo_central.tokens["lead"])
    report = sync_now(qtbot, window)  # not signed in: the dialog first, then the sync
    assert report.ok
    assert window.who.text() == f"Signed in to {demo_central.url} as lead (reviewer)."
    assert "Last sync: today at" in window.when.text() and "online" in window.when.text()
    outbox = window.outbox_model
    qtmodeltester.check(outbox)
    receipt = laptop.outbox(paths)[0].receipt
    assert receipt is not None
    assert cell(outbox, 0, 0) == "Review" and cell(outbox, 0, 1) == "V1"
    assert cell(outbox, 0, 2) == "Acknowledged"
    assert receipt["receipt_id"] in cell(outbox, 0, 3)
    assert "Received by the service today at" in cell(outbox, 0, 3)
    assert "1 snapshot acknowledged" in window.message.text()

    kits = window.kits_model
    qtmodeltester.check(kits)
    assert kits.rowCount() == 1
    assert cell(kits, 0, 2) == "Downloaded: ready to open"
    assert "Received: waiting for programme staff" in window.server.toPlainText()

    comment = (
        "HN-104 is judged Not met with no reason.\n"
        "Please add the reason, and say which evidence the team saw for HN-105."
    )
    demo_central.client("staff").set_state(envelope["snapshot_id"], "has_issues", comment)
    sync_now(qtbot, window)
    shown = window.server.toPlainText()
    assert "raised issues with 1 set of findings" in window.message.text()
    assert "Version 1: Has issues" in shown
    assert "HN-104 is judged Not met with no reason." in shown
    assert "say which evidence the team saw for HN-105." in shown  # in full, not cut short
    _snap(window, "sync_centre.png")

    window.kits.selectRow(0)
    with qtbot.waitSignal(window.open_kit_requested) as opened:
        qtbot.mouseClick(window.open_button, Qt.MouseButton.LeftButton)
    assert Path(opened.args[0]).read_bytes()[:2] == b"PK"


@contextmanager
def stoppable_service(tmp_path: Path) -> Iterator[tuple[Central, Any]]:
    db_file = tmp_path / "away" / "central.sqlite"
    app = create_app(f"sqlite:///{db_file}", max_body=2 * 1024 * 1024, max_blob=1024 * 1024)
    with serve(app) as live:
        service = Central(live.url, app.state.db, db_file.parent)
        service.user("lead")
        yield service, live
    app.state.db.dispose()


def test_offline_is_said_within_seconds_and_the_work_stays_queued(
    qtbot: QtBot, tmp_path: Path, window: SyncCentreWindow, signs_in_as: Any
) -> None:
    paths = AppPaths.from_environment()
    with stoppable_service(tmp_path) as (service, live):
        signs_in_as(service.url, service.tokens["lead"])
        qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
        laptop.enqueue_snapshot(paths, make_envelope(), {})
        live.server.should_exit = True
        live.thread.join(10)
    started = time.monotonic()
    report = sync_now(qtbot, window)
    took = time.monotonic() - started
    assert took < 6, f"offline took {took:.1f} s to report"
    assert report.offline
    assert "could not be reached" in window.message.text()
    assert "1 snapshot waits in the outbox" in window.message.text()
    assert "Service offline" in window.when.text()
    assert cell(window.outbox_model, 0, 2) == "Queued"
    assert [i.state for i in laptop.outbox(paths)] == ["queued"]
    _snap(window, "sync_centre_offline.png")
    assert window.sync_button.isEnabled()  # and the window never froze: the sync ran on a worker


def test_retry_sends_a_snapshot_once_its_attachment_is_back(
    qtbot: QtBot, demo_central: Central, window: SyncCentreWindow, signs_in_as: Any
) -> None:
    paths = AppPaths.from_environment()
    photo = paths.data / "photo.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"jpeg" * 500)
    content = photo.read_bytes()
    sha = hashlib.sha256(content).hexdigest()
    laptop.enqueue_snapshot(paths, make_envelope(attachments=[(sha, len(content))]), {sha: photo})
    photo.unlink()
    signs_in_as(demo_central.url, demo_central.tokens["lead"])
    sync_now(qtbot, window)
    outbox = window.outbox_model
    assert cell(outbox, 0, 2) == "Failed"
    assert "is missing; it cannot be sent" in cell(outbox, 0, 3)
    assert cell(outbox, 0, 3).endswith("Put this right, then press Retry.")
    assert not window.retry_button.isEnabled()  # until a failed row is chosen
    window.outbox.selectRow(0)
    assert window.retry_button.isEnabled()

    photo.write_bytes(content)  # put right
    with qtbot.waitSignal(window.sync_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(outbox, 0, 2) == "Acknowledged", timeout=WAIT_MS)
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert len(status) == 1


# -- where the sync centre is reached from ---------------------------------------------------------


def test_the_start_screen_and_the_reviewer_window_open_the_sync_centre(
    qtbot: QtBot, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import ReviewerWindow  # noqa: PLC0415
    from ui.start_screen import StartScreen  # noqa: PLC0415

    paths = AppPaths.from_environment()
    screen = StartScreen(paths)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.sync.button is not None and screen.sync.button.text() == "&Sync…"
    qtbot.mouseClick(screen.sync.button, Qt.MouseButton.LeftButton)
    centre = screen.sync.window
    assert isinstance(centre, SyncCentreWindow) and centre.isVisible()
    opened: list[Path] = []
    monkeypatch.setattr(screen.opener, "open_kit", opened.append)
    kit = paths.data / "downloads" / "k.rvkit"
    centre.open_kit_requested.emit(kit)
    assert opened == [kit] and not centre.isVisible()  # out of the way of the visit opening

    window = ReviewerWindow(session, paths)
    qtbot.addWidget(window)
    action = window.sync.action
    assert action is not None and action.text() == "S&ync with the central service…"
    visit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Visit")
    assert action in visit_menu.actions()
    action.trigger()
    assert isinstance(window.sync.window, SyncCentreWindow) and window.sync.window.isVisible()
    window.sync.window.close()
