"""The reviewer's window's Team menu: export my bundle, import the team's, and the team's views.

``TeamActions`` is installed on a ``ReviewerWindow`` by :func:`install` (the window calls it
once). It owns the menu, dropping ``.rvbundle`` files on the window, the conflicts badge in the
status bar, and the register, conflicts, overview and history windows (one of each, reused).

An import runs on the session's storage worker (``reviewer_app.team.work.import_into_session``), so
the window stays responsive while a progress dialog counts the files; when it is done the fresh
read model is swapped in (``SessionBridge.reload``: every screen redraws) and the receipt shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QMenu, QPushButton, QWidget

from reviewer_app.visit.conflicts import conflict_count
from ui import shortcuts
from ui.actions import make_action
from ui.operations import Progress, TaskOp
from ui.windows import AFTER_FIRST_PAINT_MS, show_once

if TYPE_CHECKING:
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    from reviewer_app.team.work import TeamImport
    from ui.team.receipts import ReceiptsView

# reviewer_app.team.work (bundles: zip and HMAC checks), the receipts' windows and Qt's dialogs
# (PySide builds a Qt class's type when it is first named) are imported on first use, not when
# the window is built: start-up loads only what reopening a visit needs (docs/architecture.md).

BUNDLE_SUFFIX = ".rvbundle"
BUNDLE_FILTER = "Team bundles (*.rvbundle)"


class BundleFiles:
    """The file dialogs (tests patch ``ask_save`` and ``ask_open``). Both start in the folder a
    bundle was last saved to or opened from (ui.file_dialogs)."""

    @classmethod
    def ask_save(cls, parent: QWidget | None, suggested: Path) -> Path | None:
        """``suggested``: the bundle's file name (offered in the folder last used)."""
        from ui import file_dialogs  # noqa: PLC0415 (a Qt type is built when first named)

        answer = file_dialogs.ask_save_file(
            parent, file_dialogs.BUNDLE, "Export my work as a bundle", suggested.name, BUNDLE_FILTER
        )
        if answer is None:
            return None
        path = answer[0]
        return (
            path
            if path.suffix.lower() == BUNDLE_SUFFIX
            else path.with_name(path.name + BUNDLE_SUFFIX)
        )

    @classmethod
    def ask_open(cls, parent: QWidget | None) -> list[Path]:
        from ui import file_dialogs  # noqa: PLC0415 (a Qt type is built when first named)

        return file_dialogs.ask_open_files(
            parent, file_dialogs.BUNDLE, "Import team bundles", f"{BUNDLE_FILTER};;All files (*)"
        )


def bundle_files(paths: Sequence[Path]) -> list[Path]:
    return [p for p in paths if p.suffix.lower() == BUNDLE_SUFFIX]


class TeamActions(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window: QMainWindow = window
        self.bridge = window.bridge
        self.session = window.session
        self.paths = window.paths
        self.import_task: TaskOp[TeamImport] | None = None
        self.last_receipts: ReceiptsView | None = None
        self.last_export: Path | None = None
        self.views: dict[str, QWidget] = {}
        self.menu: QMenu | None = None
        self.badge = QPushButton(window)
        self.badge.setFlat(True)
        self.badge.setAccessibleName("Conflicts to resolve")
        self.badge.setToolTip("Edits made in two places at once: choose which stands")
        self.badge.setStyleSheet("color:#8a4b00; font-weight:bold; padding:0 8px;")
        self.badge.clicked.connect(self.show_conflicts)
        self.badge.setVisible(False)
        window.statusBar().addPermanentWidget(self.badge)
        window.setAcceptDrops(True)  # the window passes drags and drops on (``dragged``)
        QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, self._first_badge)

    # -- the menu --------------------------------------------------------------------------------

    def build_menu(self, menu: QMenu) -> None:
        w = self.window
        menu.addAction(
            make_action(
                w,
                "&Export my work as a bundle…",
                self.export_bundle,
                shortcuts.EXPORT_BUNDLE,
                tip="Save everything this laptop knows of the visit, for the lead",
            )
        )
        menu.addAction(
            make_action(
                w,
                "&Import team bundles…",
                self.import_bundles,
                shortcuts.IMPORT_BUNDLES,
                tip="Bring in bundles from the team (or drop them on the window)",
            )
        )
        menu.addAction(make_action(w, "Import &history", self.show_history))
        menu.addSeparator()
        menu.addAction(
            make_action(w, "&Disagreement register", self.show_register, shortcuts.DISAGREEMENTS)
        )
        menu.addAction(make_action(w, "&Conflicts", self.show_conflicts))
        menu.addAction(make_action(w, "Team &overview", self.show_overview))

    # -- export ----------------------------------------------------------------------------------

    def export_bundle(self) -> None:
        from datetime import datetime  # noqa: PLC0415 - only for the suggested name

        from reviewer_app.team.bundles import default_bundle_name  # noqa: PLC0415 - see the top
        from reviewer_app.team.work import export_from_session  # noqa: PLC0415

        data = self.session.data
        name = default_bundle_name(data.visit, data.member_id, datetime.now().astimezone())
        target = BundleFiles.ask_save(self.window, Path(name))
        if target is None:
            return
        self.window.statusBar().showMessage("Writing your bundle…")
        TaskOp(
            self.window,
            lambda _progress: export_from_session(self.session, target),
            what="export your bundle",
        ).success(self._exported).run()

    def _exported(self, path: Path) -> None:
        self.last_export = path
        self.window.statusBar().showMessage(f"Bundle saved: {path}", 20_000)
        from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415 (a Qt type is built when first named)

        box = QMessageBox(self.window)
        box.setWindowTitle("Bundle saved")
        box.setAccessibleName("Bundle saved")
        box.setIcon(QMessageBox.Icon.Information)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Your work is saved as\n{path}\n\nGive this file to your lead reviewer.")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- import ----------------------------------------------------------------------------------

    def import_bundles(self) -> None:
        files = BundleFiles.ask_open(self.window)
        if files:
            self.import_files(files)

    @property
    def importing(self) -> bool:
        return self.import_task is not None and self.import_task.running

    def import_files(self, files: Sequence[Path]) -> bool:
        """Import ``files`` off the UI thread, with progress; False if one is already running."""
        if self.importing:
            self.window.statusBar().showMessage(
                "An import is already running; drop the files again when it is done.", 10_000
            )
            return False
        from reviewer_app.team.work import import_into_session  # noqa: PLC0415 - see the top

        files = list(files)

        def start(progress: Progress) -> Future[TeamImport]:
            def each(done: int, total: int, name: str) -> None:
                progress(done, total, f"Importing {name} ({done + 1} of {total})…" if name else "")

            return import_into_session(self.session, files, self.paths.staging, each)

        # No Cancel: an import stops only between bundles, and half a set of bundles imported
        # would be a receipt the lead cannot read.
        self.import_task = TaskOp(self.window, start, what="import the bundles")
        self.import_task.with_progress("Importing team bundles", "Checking the bundles…")
        self.import_task.success(self._imported).run()
        return True

    def _imported(self, result: TeamImport) -> None:
        self.bridge.reload(result.data)
        self._show_badge(result.conflicts)
        from ui.team.receipts import show_receipts  # noqa: PLC0415 - see the top

        receipts = [r.to_dict() for r in result.receipts]
        self.last_receipts = show_receipts(self.window, receipts, self.session.data)
        new = sum(r.new for r in result.receipts)
        flagged = [flag for r in result.receipts for flag in r.flagged]
        if flagged:  # the receipt says it in full; the status bar keeps it after it is closed
            self.window.statusBar().showMessage(
                f"Imported: {new} new operations. Another device says it is "
                f"{flagged[0]['member_name']}: the lead reviewer accepts or refuses it in "
                "Team > Team overview.",
                60_000,
            )
        else:
            self.window.statusBar().showMessage(f"Imported: {new} new operations", 10_000)

    # -- drag and drop ---------------------------------------------------------------------------

    def dragged(self, event: QDragEnterEvent | QDropEvent, *, drop: bool) -> bool:
        """A drag entering the window (or a drop on it): True when it carries bundles, which a
        drop then imports. The window calls this from its own drag and drop handlers: an event
        filter would bring every event of the window through Python."""
        files = bundle_files(
            [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        )
        if not files:
            return False
        event.acceptProposedAction()
        if drop:
            self.import_files(files)
        return True

    # -- the team's views ------------------------------------------------------------------------

    def _view(self, name: str, make: Any) -> Any:
        return show_once(self.views, name, make)

    def show_register(self) -> Any:
        from ui.team.register import RegisterWindow  # noqa: PLC0415 - made on first use

        def make() -> RegisterWindow:
            view = RegisterWindow(self.bridge, self.window)
            view.go_to.connect(self._go_to)
            return view

        return self._view("register", make)

    def show_conflicts(self) -> Any:
        from ui.team.conflicts import ConflictsWindow  # noqa: PLC0415 - made on first use

        def make() -> ConflictsWindow:
            view = ConflictsWindow(self.bridge, self.window)
            view.resolved.connect(self._show_badge)
            return view

        view = self._view("conflicts", make)
        view.load()
        return view

    def show_overview(self) -> Any:
        from ui.team.overview import OverviewWindow  # noqa: PLC0415 - made on first use

        view = self._view("overview", lambda: OverviewWindow(self.bridge, self.window))
        view.load()
        return view

    def show_history(self) -> None:
        from reviewer_app.team.work import history_of  # noqa: PLC0415 - see the top

        TaskOp(
            self.window, lambda _progress: history_of(self.session), what="read the import history"
        ).success(self._history).run()

    def _history(self, history: list[dict[str, Any]]) -> None:
        from ui.team.receipts import show_history  # noqa: PLC0415 - see the top

        self.views["history"] = show_history(self.window, history, self.session.data)

    def _go_to(self, ref: str, component: str) -> None:
        window: Any = self.window
        window.show_standard(ref, component)

    # -- the badge -------------------------------------------------------------------------------

    def _first_badge(self) -> None:
        if not self.session.closed:  # (a window closed at once has nothing to count)
            self.refresh_badge()

    def refresh_badge(self) -> None:
        TaskOp(
            self.window,
            lambda _progress: self.session.worker.submit(conflict_count),
            what="count the conflicts",
        ).success(self._show_badge).untold().run()

    def _show_badge(self, count: int) -> None:
        self.badge.setText(f"⚠ {count} conflict{'s' if count != 1 else ''} to resolve")
        self.badge.setVisible(count > 0)


def install(window: Any) -> TeamActions:
    """Give the window its Team menu (before Help), drops and the conflicts badge."""
    team = TeamActions(window)
    bar = window.menuBar()
    menu = QMenu("&Team", bar)
    team.build_menu(menu)
    help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
    bar.insertMenu(help_action, menu) if help_action else bar.addMenu(menu)
    team.menu = menu
    return team
