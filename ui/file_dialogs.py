"""Asking for a file or a folder: every file dialog of the app, in one place.

Each kind of file (a report, a team bundle, a visit kit, a photo, the staff's files) starts where
that kind was last saved or opened, also after the app was closed: the ``file_folders`` setting
keeps one folder per kind. A folder that is no longer there (a USB stick taken out) gives way to
the caller's own idea of a start, then Documents, then the home folder (issue 16: every save
dialog started in the home folder, and the reviewer climbed to the USB stick each time).

Qt's native dialog is used unless ``native`` is False: tests drive Qt's own widget dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from ui.windows import save_settings_soon

REPORT = "report"  # feedback sheets and draft reports
BUNDLE = "bundle"  # team bundles, exported and imported
KIT = "kit"  # visit kits opened on the start screen
PHOTO = "photo"  # photos added from a file
STAFF = "staff"  # the staff's imports, exports and kits
FOLDERS = "file_folders"  # the setting: {kind: folder}

native = True  # False: Qt's widget dialog, which tests can drive


def _settings() -> Settings:
    return Settings.shared(AppPaths.from_environment())


def documents() -> Path | None:
    """The user's Documents folder, if the platform names one."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else None


def start_folder(kind: str, fallback: Path | None = None) -> Path:
    """Where a dialog for ``kind`` starts: the folder last used for it, else ``fallback``, else
    Documents, else home; the first of them that is a folder now."""
    remembered = _settings().get(FOLDERS).get(kind)
    last = Path(remembered) if isinstance(remembered, str) and remembered else None
    for folder in (last, fallback, documents()):
        if folder is not None and folder.is_dir():
            return folder
    return Path.home()


def remember_folder(kind: str, folder: Path) -> None:
    """Start the next dialog for ``kind`` in ``folder`` (saved off the UI thread)."""
    settings = _settings()
    folders = settings.get(FOLDERS)
    if folders.get(kind) == str(folder):
        return
    settings.set(FOLDERS, {**folders, kind: str(folder)})
    save_settings_soon(settings)


def _options() -> QFileDialog.Option:
    return QFileDialog.Option(0) if native else QFileDialog.Option.DontUseNativeDialog


def ask_save_file(
    parent: QWidget | None, kind: str, title: str, suggested: str, filters: str
) -> tuple[Path, str] | None:
    """The file to save to, with the filter chosen; None when cancelled. ``suggested``: a file
    name, offered in the folder last used for ``kind``."""
    start = start_folder(kind) / suggested
    name, chosen = QFileDialog.getSaveFileName(
        parent, title, str(start), filters, options=_options()
    )
    if not name:
        return None
    path = Path(name)
    remember_folder(kind, path.parent)
    return path, chosen


def ask_open_file(
    parent: QWidget | None, kind: str, title: str, filters: str, fallback: Path | None = None
) -> Path | None:
    """One file to open; None when cancelled."""
    name, _chosen = QFileDialog.getOpenFileName(
        parent, title, str(start_folder(kind, fallback)), filters, options=_options()
    )
    if not name:
        return None
    path = Path(name)
    remember_folder(kind, path.parent)
    return path


def ask_open_files(parent: QWidget | None, kind: str, title: str, filters: str) -> list[Path]:
    """Files to open (none when cancelled)."""
    names, _chosen = QFileDialog.getOpenFileNames(
        parent, title, str(start_folder(kind)), filters, options=_options()
    )
    paths = [Path(n) for n in names]
    if paths:
        remember_folder(kind, paths[0].parent)
    return paths


def ask_folder(parent: QWidget | None, kind: str, title: str) -> Path | None:
    """A folder; None when cancelled. The next dialog starts beside it (its siblings are
    usually what is chosen next)."""
    options = _options() | QFileDialog.Option.ShowDirsOnly
    name = QFileDialog.getExistingDirectory(parent, title, str(start_folder(kind)), options)
    if not name:
        return None
    path = Path(name)
    remember_folder(kind, path.parent if path.parent != path else path)
    return path
