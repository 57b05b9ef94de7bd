"""The sync centre against a real central service on 127.0.0.1.

Signing in goes through the real dialog (``SignInDialog.ask`` is patched to fill it in and
press "Sign in" instead of waiting for a person); "Sync now" runs the real sync on the window's
worker while the test waits for its signal.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from helpers import WAIT, Screenshot
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.keys import visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as laptop
from reviewer_app.central.service import SignIn
from storage import BlobStore
from sync.server.app import create_app
from tests.server import central_helpers
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope, serve
from ui.sync_centre.sign_in import SignInDialog
from ui.sync_centre.window import SyncCentreWindow

# The live service's fixtures, defined once in tests/server/central_helpers.py.
central = central_helpers.central
demo_central = central_helpers.demo_central


def fill_in_and_sign_in(qtbot: QtBot, dialog: SignInDialog, url: str, token: str) -> None:
    dialog.url.setText(url)
    dialog.token.setText(token)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT)


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
    with qtbot.waitSignal(w.status_shown, timeout=WAIT):
        w.show()
    yield w
    w.close()


def sync_now(qtbot: QtBot, w: SyncCentreWindow) -> Any:
    with qtbot.waitSignal(w.sync_finished, timeout=WAIT) as finished:
        qtbot.mouseClick(w.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(w.progress.isHidden, timeout=WAIT)
    with qtbot.waitSignal(w.status_shown, timeout=WAIT):
        w.refresh()
    return finished.args[0]


@contextmanager
def silent_service(port: int = 0) -> Iterator[str]:
    """The address of a "service" that takes connections and never answers (a network that
    swallows requests), until the block ends: then it goes, and the connections waiting on it
    are reset, as when the network drops."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def still_answering(qtbot: QtBot, busy: Callable[[], bool]) -> bool:
    """Post an event to the UI thread and wait for it to be handled; whether the work was still
    under way then (True: the window answered while the work went on elsewhere)."""
    answered: list[bool] = []
    QTimer.singleShot(0, lambda: answered.append(busy()))
    qtbot.waitUntil(lambda: bool(answered), timeout=WAIT)
    return answered[0]


def cell(model: Any, row: int, column: int) -> str:
    return str(model.index(row, column).data())


# -- signing in ----------------------------------------------------------------------------------


def test_sign_in_says_what_is_wrong_in_one_sentence_then_who_you_are(
    screenshot: Screenshot, qtbot: QtBot, demo_central: Central
) -> None:
    paths = AppPaths.from_environment()
    dialog = SignInDialog(None, paths)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.ok_button.isEnabled()  # nothing typed yet

    fill_in_and_sign_in(qtbot, dialog, "central.example", "abc")
    assert "not a web address" in dialog.message.text()

    fill_in_and_sign_in(qtbot, dialog, "http://127.0.0.1:9", "abc")  # nothing listens there
    assert dialog.message.text().startswith("Cannot reach http://127.0.0.1:9;")

    with silent_service() as url:
        dialog.url.setText(url)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.message.text() == "Checking with the service…"  # at once, on the click
        assert dialog.working.isVisible() and not dialog.url.isEnabled()
        assert still_answering(qtbot, lambda: dialog.busy)  # the check runs on a worker
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT)
    assert dialog.message.text().startswith(f"Cannot reach {url};")
    assert dialog.url.text() == url and dialog.url.isEnabled()

    fill_in_and_sign_in(qtbot, dialog, demo_central.url + "/elsewhere", "abc")
    assert "it is not a Reviewer App central service" in dialog.message.text()

    fill_in_and_sign_in(qtbot, dialog, demo_central.url, "not-the-token")
    assert "did not accept that token" in dialog.message.text()
    screenshot(dialog, "sign_in_refused.png")
    assert dialog.url.text() == demo_central.url  # what was typed stays to be corrected
    assert laptop.signed_in_url(paths) == ""

    fill_in_and_sign_in(qtbot, dialog, demo_central.url, demo_central.tokens["lead"])
    text = dialog.message.text()
    assert f"Signed in as lead (reviewer) at {demo_central.url}." in text
    assert "password store (keyring)" in text
    assert dialog.ok_button.text() == "&Done" and not dialog.token.isEnabled()
    screenshot(dialog, "sign_in.png")
    assert dialog.signed_in is not None and dialog.signed_in.in_keyring
    assert laptop.signed_in_url(paths) == demo_central.url


def test_with_no_keyring_the_user_is_told_the_token_lasts_this_session(
    qtbot: QtBot,
    demo_central: Central,
    window: SyncCentreWindow,
    signs_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    *,
    screenshot: Screenshot,
) -> None:
    def no_keyring(*_a: object) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "set_password", no_keyring)
    monkeypatch.setattr(keyring, "get_password", no_keyring)
    dialogs = signs_in_as(demo_central.url, demo_central.tokens["lead"])
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    told = "kept only until the app closes: you will need to sign in again next time"
    assert told in dialogs[0].message.text()
    screenshot(dialogs[0], "sign_in_no_keyring.png")
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
    *,
    screenshot: Screenshot,
) -> None:
    paths = AppPaths.from_environment()
    envelope = make_envelope()
    laptop.enqueue_snapshot(paths, envelope, {})
    window.refresh()
    qtbot.waitUntil(lambda: cell(window.outbox_model, 0, 2) == "Queued", timeout=WAIT)
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
    screenshot(window, "sync_centre.png")

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


def test_offline_is_said_while_the_window_keeps_answering_and_the_work_stays_queued(
    screenshot: Screenshot, qtbot: QtBot, tmp_path: Path, window: SyncCentreWindow, signs_in_as: Any
) -> None:
    paths = AppPaths.from_environment()
    with stoppable_service(tmp_path) as (service, live):
        signs_in_as(service.url, service.tokens["lead"])
        qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
        laptop.enqueue_snapshot(paths, make_envelope(), {})
        live.server.should_exit = True
        live.thread.join(10)
    port = int(service.url.rsplit(":", 1)[1])
    with qtbot.waitSignal(window.sync_finished, timeout=WAIT) as finished:
        with silent_service(port):  # the network swallows the request, then drops it
            qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)
            assert window.progress_label.text() == "Checking the service…"  # at once
            assert window.progress.isVisible() and not window.sync_button.isEnabled()
            assert still_answering(qtbot, lambda: window.syncing)  # the sync runs on a worker
    with qtbot.waitSignal(window.status_shown, timeout=WAIT):
        window.refresh()
    report = finished.args[0]
    assert report.offline
    assert window.progress.isHidden()
    assert "could not be reached" in window.message.text()
    assert "1 snapshot waits in the outbox" in window.message.text()
    assert "Service offline" in window.when.text()
    assert cell(window.outbox_model, 0, 2) == "Queued"
    assert [i.state for i in laptop.outbox(paths)] == ["queued"]
    screenshot(window, "sync_centre_offline.png")
    assert window.sync_button.isEnabled()  # and the window never froze: the sync ran on a worker


def test_retry_sends_a_snapshot_once_its_attachment_is_back(
    qtbot: QtBot, demo_central: Central, window: SyncCentreWindow, signs_in_as: Any
) -> None:
    paths = AppPaths.from_environment()
    store = BlobStore(  # the photo as finalising leaves it: sealed in the visit's store
        paths.visit_folder(DEMO_VISIT_ID) / "blobs", visit_key(paths, DEMO_VISIT_ID, create=True)
    )
    content = b"jpeg" * 500
    sha = store.put_bytes(content)
    photo = store.path(sha)
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

    store.put_bytes(content)  # put right
    with qtbot.waitSignal(window.sync_finished, timeout=WAIT):
        qtbot.mouseClick(window.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cell(outbox, 0, 2) == "Acknowledged", timeout=WAIT)
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert len(status) == 1


def test_a_sync_the_service_refuses_is_said_in_the_window_with_no_message_box(
    qtbot: QtBot, demo_central: Central, window: SyncCentreWindow, signs_in_as: Any
) -> None:
    from sync.server.accounts import revoke_tokens  # noqa: PLC0415

    signs_in_as(demo_central.url, demo_central.tokens["lead"])
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.status_shown, timeout=WAIT):
        window.refresh()
    revoke_tokens(demo_central.db, "lead")
    with qtbot.waitSignal(window.sync_finished, timeout=WAIT) as finished:
        qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)
    assert isinstance(finished.args[0], laptop.NotSignedIn)
    assert "sign in again" in window.message.text()
    assert window.message.isVisible() and window.progress.isHidden()
    assert window.sync_button.isEnabled() and window.sign_in_button.isEnabled()
    qtbot.wait(50)  # a message box, had one been opened, is shown by now
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert not window.findChildren(QMessageBox)


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
