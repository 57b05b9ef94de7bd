"""Every file dialog starts where that kind of file was last saved or opened (issue 16: each
save dialog started in the home folder), also after the app restarts, and falls back to
Documents, then home, when that folder is gone. Qt's widget dialog is driven for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import WAIT
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from ui import file_dialogs
from ui.lead.dialogs import ReportFiles
from ui.lead.reports import REPORT_FILTERS
from ui.team.import_export import BundleFiles


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Qt's widget dialog (which a test can drive) and a Documents folder of the test's own."""
    monkeypatch.setattr(file_dialogs, "native", False)
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr(file_dialogs, "documents", lambda: folder)
    return folder


def in_file_dialog(
    qtbot: QtBot, started: list[Path], answer: Callable[[QFileDialog], None]
) -> None:
    """Note the folder the file dialog about to open starts in, then ``answer`` it."""

    def run() -> None:
        qtbot.waitUntil(
            lambda: isinstance(QApplication.activeModalWidget(), QFileDialog), timeout=WAIT
        )
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog)
        try:
            started.append(Path(dialog.directory().absolutePath()))
            answer(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, run)


def save_as(path: Path) -> Callable[[QFileDialog], None]:
    def answer(dialog: QFileDialog) -> None:
        dialog.selectFile(str(path))
        dialog.accept()

    return answer


def saved_folders() -> dict[str, str]:
    return Settings.load(AppPaths.from_environment()).get(file_dialogs.FOLDERS)


def test_a_report_saved_to_a_folder_starts_the_next_save_there(
    qtbot: QtBot, tmp_path: Path, documents: Path
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    started: list[Path] = []
    in_file_dialog(qtbot, started, save_as(usb / "Feedback.pdf"))
    first = ReportFiles.ask_save(None, "Save the feedback sheet", "Feedback.pdf", REPORT_FILTERS)
    assert first == usb / "Feedback.pdf"
    in_file_dialog(qtbot, started, lambda dialog: dialog.reject())
    assert ReportFiles.ask_save(None, "Save the draft report", "Draft.pdf", REPORT_FILTERS) is None
    assert started == [documents, usb]  # first time: Documents, not home
    # Kept in the settings file: the next run of the app starts there too.
    qtbot.waitUntil(lambda: saved_folders().get(file_dialogs.REPORT) == str(usb), timeout=WAIT)
    Settings.forget_shared()
    assert file_dialogs.start_folder(file_dialogs.REPORT) == usb


def test_a_bundle_remembers_its_own_folder(qtbot: QtBot, tmp_path: Path, documents: Path) -> None:
    reports, stick = tmp_path / "reports", tmp_path / "stick"
    reports.mkdir()
    stick.mkdir()
    file_dialogs.remember_folder(file_dialogs.REPORT, reports)
    started: list[Path] = []
    in_file_dialog(qtbot, started, save_as(stick / "mine"))
    saved = BundleFiles.ask_save(None, Path("visit-member-2.rvbundle"))
    assert saved == stick / "mine.rvbundle"
    assert started == [documents]  # a bundle is not a report
    in_file_dialog(qtbot, started, lambda dialog: dialog.reject())
    assert BundleFiles.ask_open(None) == []
    assert started == [documents, stick]
    assert file_dialogs.start_folder(file_dialogs.REPORT) == reports


def test_a_folder_that_is_gone_falls_back_to_documents_then_home(
    tmp_path: Path, documents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    file_dialogs.remember_folder(file_dialogs.BUNDLE, stick)
    assert file_dialogs.start_folder(file_dialogs.BUNDLE) == stick
    stick.rmdir()  # the USB stick was taken out
    assert file_dialogs.start_folder(file_dialogs.BUNDLE) == documents
    documents.rmdir()
    assert file_dialogs.start_folder(file_dialogs.BUNDLE) == Path.home()
    kits = tmp_path / "kits"
    kits.mkdir()
    assert file_dialogs.start_folder(file_dialogs.KIT, fallback=kits) == kits
