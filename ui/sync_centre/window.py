"""The sync centre: who I am on the central service, "Sync now", my kits, the outbox, and what
the service says about each visit.

Everything that touches the network or the disk runs on one of two workers: ``_net`` (signing
in and out, the quick check, the sync itself: one conversation with the service at a time) and
``_read`` (the remembered status and the outbox, read again while a sync runs so that a row
shows "Sending…" as it goes). Results come back on the UI thread through ``ui.operations.TaskOp``;
a failure to read, check or sync is said on the window's own result line (no message box), one to
sign out or to queue a snapshot again in a message. An unreachable service is an expected outcome,
not an error: it is said on the status line, in amber, and queued work simply waits.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.central.service import OutboxRow, SyncReport
from reviewer_app.central.status import AssignedKit, CentralStatus
from ui import shortcuts
from ui.dialogs.base import warning_colour
from ui.errors import error_message
from ui.operations import TaskOp
from ui.sync_centre.models import KitsModel, OutboxModel, RowRole
from ui.sync_centre.sign_in import SignInDialog
from ui.sync_centre.texts import report_summary, server_state_html, status_lines
from ui.text_style import heading, muted

OK_COLOUR = "#1b6e20"
NO_KITS = "No kits listed yet. Sync now lists the kits programme staff assigned to you."
NO_OUTBOX = (
    "Nothing to send. When the lead finalises a visit's findings, the snapshot waits here "
    "until it reaches the service."
)


def amber(widget: QWidget) -> str:
    """Offline is expected, not a fault: amber, readable on a light or a dark background."""
    return "#ffcc80" if widget.palette().window().color().lightness() < 128 else "#8a4b00"


class SyncCentreWindow(QWidget):
    """The sync centre (one per host window, shown again when asked for)."""

    open_kit_requested = Signal(object)  # Path of a downloaded kit to open
    status_shown = Signal(object)  # the CentralStatus now on screen
    sync_finished = Signal(object)  # the SyncReport (or the exception) of "Sync now"
    _progressed = Signal(int, int, str)  # done, total, stage: from the sync's worker thread

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.paths = paths
        self.status = CentralStatus()
        self.syncing = False
        self._net = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-net")
        self._read = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-read")
        pools = (self._net, self._read)

        def stop_workers(*_args: object) -> None:  # holds the pools, not the window
            for pool in pools:
                pool.shutdown(wait=False)

        self.destroyed.connect(stop_workers)
        self.setWindowTitle("Sync centre — Reviewer App")
        self.setAccessibleName("Sync centre")
        self.outbox_model = OutboxModel(self)
        self._empty_notes: dict[QWidget, QLabel] = {}
        self._server_html = ""
        self._asked = 0  # refreshes asked for: only the latest one's result is shown
        self.kits_model = KitsModel(self)
        self._build()
        self._progressed.connect(self._progress)
        self.resize(940, 760)

    # -- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel("Sync with the central service", self)
        heading(title, 1.4)
        self.who = QLabel(self)
        self.who.setAccessibleName("Signed in as")
        self.when = QLabel(self)
        self.when.setAccessibleName("Last sync and connection")
        for label in (self.who, self.when):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
        muted(self.when)
        layout.addWidget(title)
        layout.addWidget(self.who)
        layout.addWidget(self.when)
        layout.addLayout(self._build_buttons())
        self.progress_label = QLabel(self)
        self.progress_label.setAccessibleName("Sync progress")
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Sync progress bar")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.message = QLabel(self)
        self.message.setAccessibleName("Last result")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.progress_label, self.progress, self.message):
            widget.setVisible(False)
            layout.addWidget(widget)
        self.kits = self._table(self.kits_model, "Kits assigned to you", NO_KITS)
        self.kits.activated.connect(self._kit_activated)
        self.open_button = QPushButton("&Open kit", self)
        self.open_button.setAccessibleName("Open kit")
        self.open_button.setToolTip("Open the chosen kit to work on its visit")
        self.open_button.clicked.connect(self.open_selected_kit)
        layout.addLayout(self._section("&Kits assigned to you", self.kits, self.open_button), 2)
        self.outbox = self._table(self.outbox_model, "Outbox", NO_OUTBOX)
        self.retry_button = QPushButton("&Retry", self)
        self.retry_button.setAccessibleName("Retry")
        self.retry_button.setToolTip("Send the chosen failed snapshot again")
        self.retry_button.clicked.connect(self.retry_selected)
        layout.addLayout(
            self._section("Finalised findings to send (&outbox)", self.outbox, self.retry_button),
            3,
        )
        self.server = QTextBrowser(self)
        self.server.setAccessibleName("What the service says")
        self.server.setOpenLinks(False)
        layout.addLayout(self._section("What the service &says about your visits", self.server), 3)
        for view in (self.kits, self.outbox):
            view.selectionModel().selectionChanged.connect(self._enable)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)
        self._enable()

    def _build_buttons(self) -> QHBoxLayout:
        self.sync_button = QPushButton("S&ync now", self)
        self.sync_button.setAccessibleName("Sync now")
        self.sync_button.setToolTip(
            "Download your kits, send finalised findings and fetch the service's comments (F5)"
        )
        self.sync_button.setDefault(True)
        self.sync_button.clicked.connect(self.sync_now)
        QShortcut(QKeySequence(shortcuts.SYNC_NOW[0]), self, self.sync_now)
        self.sign_in_button = QPushButton("Sign &in…", self)
        self.sign_in_button.setAccessibleName("Sign in")
        self.sign_in_button.clicked.connect(self.sign_in)
        self.sign_out_button = QPushButton("Sign o&ut", self)
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.setToolTip("Forget the token on this laptop; the outbox stays")
        self.sign_out_button.clicked.connect(self.sign_out)
        row = QHBoxLayout()
        row.addWidget(self.sync_button)
        row.addStretch(1)
        row.addWidget(self.sign_in_button)
        row.addWidget(self.sign_out_button)
        height = self.fontMetrics().lineSpacing() * 2
        for button in (self.sync_button, self.sign_in_button, self.sign_out_button):
            button.setMinimumHeight(height)
        self.sync_button.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 10)
        return row

    def _table(self, model: Any, name: str, empty: str) -> QTableView:
        view = QTableView(self)
        view.setProperty("empty_text", empty)
        view.setModel(model)
        view.setAccessibleName(name)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(True)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        view.setTabKeyNavigation(False)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return view

    def _section(self, text: str, body: QWidget, button: QPushButton | None = None) -> QVBoxLayout:
        """A heading (with a button on its right), the body, and what an empty table means."""
        label = QLabel(text, self)
        heading(label, 1.1)
        label.setBuddy(body)
        top = QHBoxLayout()
        top.addWidget(label, 1)
        if button is not None:
            top.addWidget(button)
        section = QVBoxLayout()
        section.addLayout(top)
        section.addWidget(body, 1)
        empty = body.property("empty_text")
        if empty:
            note = QLabel(empty, self)
            note.setWordWrap(True)
            note.setAccessibleName(f"{body.accessibleName()}: empty")
            muted(note)
            section.insertWidget(1, note)
            self._empty_notes[body] = note
        return section

    # -- showing ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the remembered status and the outbox again (on the read worker).

        Only the latest read is shown: one asked for earlier may finish later (a sync refreshes
        as it sends) and must not put older rows back on screen.
        """

        def read() -> tuple[CentralStatus, list[OutboxRow]]:
            return central.load_status(self.paths), central.outbox(self.paths)

        self._asked += 1
        asked = self._asked
        task = TaskOp(self, lambda _progress: self._read.submit(read), what="read the sync status")
        task.success(lambda result: self._show(result) if asked == self._asked else None)
        task.failure(self._read_failed, tell=False).run()

    def _read_failed(self, exc: BaseException) -> None:
        self._say(error_message(exc, "read the sync status"), problem=True)

    def _show(self, read: tuple[CentralStatus, list[OutboxRow]]) -> None:
        status, rows = read
        self.status = status
        first, second = status_lines(status)
        self.who.setText(first)
        self.when.setText(second)
        self.when.setVisible(bool(second))
        if status.online is not None and status.signed_in:
            colour = OK_COLOUR if status.online else amber(self)
            self.when.setStyleSheet(f"color: {colour};")
        else:
            self.when.setStyleSheet("")
        self._set_rows(self.kits, self.kits_model, status.kits)
        self._set_rows(self.outbox, self.outbox_model, rows)
        shown = server_state_html(status)
        if shown != self._server_html:  # unchanged: keep where the reader had scrolled to
            self._server_html = shown
            self.server.setHtml(shown)
        self._enable()
        self.status_shown.emit(status)

    def _set_rows(self, view: QTableView, model: Any, rows: list[Any]) -> None:
        chosen = self._selected(view)
        key = getattr(chosen, "snapshot_id", None) or getattr(chosen, "kit_id", None)
        model.set_rows(rows)
        view.resizeRowsToContents()
        if view in self._empty_notes:
            self._empty_notes[view].setVisible(not rows)
        for n, row in enumerate(rows):
            if key and key in (getattr(row, "snapshot_id", None), getattr(row, "kit_id", None)):
                view.selectRow(n)
        if view is self.kits and rows and not view.selectionModel().hasSelection():
            view.selectRow(0)  # the usual case is one kit: "Open kit" ready at once

    def _selected(self, view: QTableView) -> Any:
        rows = view.selectionModel().selectedRows() if view.selectionModel() else []
        return rows[0].data(RowRole) if rows else None

    def _enable(self, *_args: Any) -> None:
        signed_in = self.status.signed_in
        self.sync_button.setEnabled(not self.syncing)
        self.sign_out_button.setEnabled(bool(self.status.url) and not self.syncing)
        self.sign_in_button.setEnabled(not self.syncing)
        self.sign_in_button.setDefault(not signed_in)
        self.sync_button.setDefault(signed_in)
        kit = self._selected(self.kits)
        self.open_button.setEnabled(isinstance(kit, AssignedKit) and kit.downloaded)
        row = self._selected(self.outbox)
        self.retry_button.setEnabled(
            isinstance(row, OutboxRow) and row.state == "failed" and not self.syncing
        )

    def _say(self, text: str, *, problem: bool = False, offline: bool = False) -> None:
        self.message.setText(text)
        colour = warning_colour(self) if problem else amber(self) if offline else ""
        self.message.setStyleSheet(f"color: {colour};" if colour else "")
        self.message.setVisible(bool(text))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
        if not self.syncing:
            self.check_service()

    # -- the service -----------------------------------------------------------------------------

    def check_service(self) -> None:
        """Ask the service who I am (a few seconds at most) to say whether it is online."""
        TaskOp(
            self,
            lambda _progress: self._net.submit(central.check, self.paths),
            what="check the service",
        ).success(lambda _status: self.refresh()).failure(self._check_failed, tell=False).run()

    def _check_failed(self, exc: BaseException) -> None:
        self._say(error_message(exc), problem=True)
        self.refresh()

    def sync_now(self) -> bool:
        """Start a sync (False when one is running, or when the user declines to sign in)."""
        if self.syncing:
            return False
        if not self.status.signed_in and not self.sign_in():
            return False
        self.syncing = True
        self._enable()
        self._say("")
        self._progress(0, 0, "Checking the service")
        TaskOp(
            self,
            lambda _progress: self._net.submit(central.sync, self.paths, self._progressed.emit),
            what="sync",
        ).success(self._synced).failure(self._sync_failed, tell=False).run()
        return True

    def _progress(self, done: int, total: int, stage: str) -> None:
        self.progress_label.setText(
            f"{stage} ({min(done + 1, total)} of {total})…" if total else f"{stage}…"
        )
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        for widget in (self.progress_label, self.progress):
            widget.setVisible(True)
        if stage == "Sending findings":
            self.refresh()  # rows show "Sending…" as they go

    def _stop_progress(self) -> None:
        self.syncing = False
        for widget in (self.progress_label, self.progress):
            widget.setVisible(False)
        self._enable()

    def _synced(self, report: SyncReport) -> None:
        self._stop_progress()
        self._say(report_summary(report), offline=report.offline)
        self.refresh()
        self.sync_finished.emit(report)

    def _sync_failed(self, exc: BaseException) -> None:
        self._stop_progress()
        self._say(error_message(exc, "sync"), problem=True)
        self.refresh()
        self.sync_finished.emit(exc)

    # -- signing in and out ------------------------------------------------------------------------

    def sign_in(self) -> bool:
        result = SignInDialog.ask(self, self.paths, self.status.url)
        if result is None:
            return False
        self.status.signed_in = True  # until the refresh below reads it all
        self._say(result.message)
        self.refresh()
        return True

    def sign_out(self) -> None:
        TaskOp(
            self, lambda _progress: self._net.submit(central.sign_out, self.paths), what="sign out"
        ).success(self._signed_out).run()

    def _signed_out(self, _none: None) -> None:
        self._say(
            "Signed out. Findings in the outbox stay on this laptop and go when you sign in again."
        )
        self.refresh()

    # -- kits and the outbox -----------------------------------------------------------------------

    def _kit_activated(self, index: QModelIndex) -> None:
        self.kits.selectRow(index.row())
        self.open_selected_kit()

    def open_selected_kit(self) -> bool:
        kit = self._selected(self.kits)
        if not isinstance(kit, AssignedKit) or not kit.downloaded:
            return False
        self.open_kit_requested.emit(Path(kit.path))
        return True

    def retry_selected(self) -> bool:
        """Queue the chosen failed snapshot again, then sync (it goes at once if it can)."""
        row = self._selected(self.outbox)
        if not isinstance(row, OutboxRow) or row.state != "failed" or self.syncing:
            return False
        TaskOp(
            self,
            lambda _progress: self._read.submit(central.retry, self.paths, row.snapshot_id),
            what="queue it again",
        ).success(self._retried).run()
        return True

    def _retried(self, row: OutboxRow) -> None:
        self._say(f"Version {row.version} of {row.title} is queued again.")
        self.refresh()
        if self.status.signed_in:
            self.sync_now()
