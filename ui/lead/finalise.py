"""Finalising: what is still missing, possible personal data to confirm or edit, sign-off, and
the immutable snapshot; with the earlier snapshots and their reports.

The dialog is not modal: the lead goes to a gap (Enter or double-click jumps to the standard in
the reviewer's window, or to the finding), fixes it, and the lists follow every change. The
Finalise button is enabled only when nothing is missing, every possible piece of personal data
is confirmed, and the lead has ticked the sign-off. Finalising runs on the storage worker
(``reviewer_app.lead.finalise.start_finalise``) with progress; it checks everything again there.

After the visit: each of the provider's factual accuracy comments (fetched by the sync) not yet
answered is one more thing to finish; once programme staff approve a version, "Make the final
report" renders it (``reviewer_app.lead.final_report``; the next sync uploads it).
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import accuracy
from reviewer_app.lead import final_report as final_rep
from reviewer_app.lead import finalise as fin
from reviewer_app.lead import view as lead_view
from reviewer_app.lead.privacy import privacy_hits
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.lead.dialogs import author_name
from ui.lead.finalise_models import GapsModel, HitsModel, SnapshotsModel
from ui.operations import Progress, TaskOp
from ui.text_style import heading, muted, tone


def list_view(parent: QWidget, name: str, model: Any) -> QListView:
    view = QListView(parent)
    view.setAccessibleName(name)
    view.setModel(model)
    view.setWordWrap(True)
    view.setAlternatingRowColors(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setUniformItemSizes(False)
    view.setSpacing(2)
    return view


def when_signed(at: str) -> str:
    """ "23 November 2026 at 21:12 UTC" from an ISO time (as stored, in UTC)."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return at
    return f"{when.day} {when:%B %Y} at {when:%H:%M} UTC"


class FinaliseDialog(QDialog):
    go_to_standard = Signal(str, str)  # ref, component
    open_finding = Signal(str)  # finding id
    open_text = Signal(str, str, str)  # entity, entity id, field (a hit's text to edit)
    open_report = Signal(object, str)  # a PdfInMemory (reviewer_app.visit.outside), title

    def __init__(  # noqa: PLR0915 (one widget after another)
        self, bridge: SessionBridge, paths: AppPaths, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.paths = paths
        self.visit: VisitData = bridge.session.data
        self.task: TaskOp[fin.Snapshot] | None = None
        self.stale = False
        self.unchanged_since: int | None = None  # the snapshot the visit still equals
        self.last_snapshot: fin.Snapshot | None = None
        self.comments = accuracy.ProviderComments()  # read on the worker when shown
        self.final_task: TaskOp[final_rep.FinalReport] | None = None
        self.setWindowTitle(f"Finalise — {self.visit.visit.title}")
        self.setAccessibleName("Finalise the findings")
        self.resize(980, 860)
        title = QLabel("Finalise the findings", self)
        heading(title, 1.3)
        self.summary = QLabel(self)
        self.summary.setAccessibleName("What stops finalising")
        self.summary.setWordWrap(True)
        self.gaps = GapsModel(self)
        self.gaps_view = list_view(self, "Things to finish", self.gaps)
        self.hits = HitsModel(self._confirm, self)
        self.hits_view = list_view(self, "Possible personal data", self.hits)
        self.go_button = QPushButton("&Go to it", self)
        self.go_button.setAccessibleName("Go to the thing to finish")
        self.edit_hit = QPushButton("&Edit the text", self)
        self.edit_hit.setAccessibleName("Edit the text with personal data")
        self.gaps_box = self._box("To finish", self.gaps_view, self.go_button)
        self.hits_box = self._box(
            "Possible personal data: tick to confirm it is not patient-identifying, or edit it",
            self.hits_view,
            self.edit_hit,
        )
        self._build_sign_off()
        self._build_result()
        self.snapshots = SnapshotsModel(lambda m: author_name(self.visit, m), self)
        self.snapshots_view = QTableView(self)
        self.snapshots_view.setAccessibleName("Earlier snapshots")
        self.snapshots_view.setModel(self.snapshots)
        self.snapshots_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.snapshots_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.snapshots_view.verticalHeader().setVisible(False)
        self.snapshots_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.snapshots_view.horizontalHeader().setStretchLastSection(True)
        self.snapshots_view.setMaximumHeight(140)
        self.open_snapshot = QPushButton("Open &report", self)
        self.open_snapshot.setAccessibleName("Open the snapshot's report")
        self.make_final = QPushButton("Make the final re&port", self)
        self.make_final.setAccessibleName("Make the final report")
        self.make_final.setToolTip(
            "Once programme staff approve a version (seen at the last sync): the final report, "
            "with its approval and version history. The next sync uploads it."
        )
        self.snapshots_box = self._box(
            "Finalised snapshots", self.snapshots_view, self.open_snapshot, self.make_final
        )

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addWidget(self.gaps_box, 2)
        layout.addWidget(self.hits_box, 2)
        layout.addWidget(self.sign_off_box)
        layout.addWidget(self.result_label)
        layout.addWidget(self.snapshots_box, 1)
        self.gaps_view.activated.connect(self._gap_activated)
        self.go_button.clicked.connect(lambda: self._gap_activated(self.gaps_view.currentIndex()))
        self.hits_view.activated.connect(lambda _i: self._edit_hit())
        self.edit_hit.clicked.connect(self._edit_hit)
        self.open_snapshot.clicked.connect(self._open_snapshot)
        self.make_final.clicked.connect(self.make_final_report)
        self.snapshots_view.doubleClicked.connect(lambda _i: self._open_snapshot())
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self.refresh()
        TaskOp(
            self,
            lambda _progress: lead_view.load_confirmed(bridge.session),
            what="read the privacy confirmations",
        ).success(self._loaded_confirmed).untold().run()
        self.load_snapshots()
        self.load_comments()

    def _box(self, title: str, view: QWidget, *buttons: QPushButton) -> QGroupBox:
        box = QGroupBox(title, self)
        box.setAccessibleName(title)
        inner = QVBoxLayout(box)
        inner.addWidget(view, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        inner.addLayout(row)
        return box

    def _build_sign_off(self) -> None:
        data = self.visit
        me = data.visit.member(data.member_id)
        name = me.name if me is not None else data.member_id
        self.sign_off_box = QGroupBox("Sign-off", self)
        inner = QVBoxLayout(self.sign_off_box)
        self.signer = QLabel(f"Signed off by {name}, lead reviewer.", self.sign_off_box)
        self.signer.setAccessibleName("Signed off by")
        self.sign_off = QCheckBox(
            f"I, {name}, confirm that these findings and judgements are the review team's, "
            "complete, and free of patient-identifying information.",
            self.sign_off_box,
        )
        self.sign_off.setAccessibleName("Sign-off confirmation")
        self.finalise_button = QPushButton("&Finalise", self.sign_off_box)
        self.finalise_button.setAccessibleName("Finalise")
        self.finalise_button.setDefault(False)
        self.finalise_button.setAutoDefault(False)
        self.why_not = QLabel(self.sign_off_box)
        self.why_not.setAccessibleName("Why Finalise is not available")
        self.why_not.setWordWrap(True)
        muted(self.why_not)
        row = QHBoxLayout()
        row.addWidget(self.why_not, 1)
        row.addWidget(self.finalise_button)
        inner.addWidget(self.signer)
        inner.addWidget(self.sign_off)
        inner.addLayout(row)
        self.sign_off.toggled.connect(lambda _c: self._update_state())
        self.finalise_button.clicked.connect(self.finalise)

    def _build_result(self) -> None:
        self.result_label = QLabel(self)
        self.result_label.setAccessibleName("Finalised snapshot")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setStyleSheet(
            f"padding:8px; border-radius:4px; background:{tone(self, '#e6f4ea', '#1e3a26')};"
        )
        self.result_label.setVisible(False)

    # -- the lists ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Check again from the read model (quick: the visit is in memory); whether anything
        changed since the latest snapshot is asked of the worker (it builds the findings)."""
        self.gaps.set_rows(
            fin.completeness(self.visit) + fin.comment_gaps(self.visit, self.comments)
        )
        self.hits.set_rows(privacy_hits(self.visit), self.hits.confirmed)
        self._update_state()
        TaskOp(
            self,
            lambda _progress: fin.check_unchanged(self.bridge.session, self.paths),
            what="compare with the latest snapshot",
        ).success(self._unchanged_checked).untold().run()

    def load_comments(self) -> None:
        """Read the provider's comments the last sync kept (a file: on the worker)."""
        visit_id = self.visit.visit.visit_id
        TaskOp(
            self,
            lambda _progress: self.bridge.session.worker.submit(
                lambda _ws: accuracy.load_comments(self.paths, visit_id)
            ),
            what="read the provider's comments",
        ).success(self._comments_loaded).untold().run()

    def _comments_loaded(self, comments: accuracy.ProviderComments) -> None:
        self.comments = comments
        self.refresh()

    def _unchanged_checked(self, version: int | None) -> None:
        self.unchanged_since = version
        self._update_state()

    def _loaded_confirmed(self, keys: frozenset[str]) -> None:
        self.hits.set_rows(self.hits.rows, set(keys) | self.hits.confirmed)
        self._update_state()

    def _confirm(self, _key: str, _checked: bool) -> None:
        TaskOp(
            self,
            lambda _progress: lead_view.save_confirmed(self.bridge.session, self.hits.confirmed),
            what="keep the privacy confirmation",
        ).run()
        self._update_state()

    def confirmed(self) -> frozenset[str]:
        return frozenset(self.hits.confirmed)

    def blockers(self) -> str:
        """Why Finalise is not available, in a sentence ("" when it is)."""
        gaps, hits = len(self.gaps.rows), len(self.hits.unconfirmed())
        parts = []
        if gaps:
            parts.append(f"{gaps} thing{'s' if gaps != 1 else ''} to finish")
        if hits:
            parts.append(
                f"{hits} possible piece{'s' if hits != 1 else ''} of personal data "
                "to confirm or edit"
            )
        if parts:
            return "Not ready: " + " and ".join(parts) + "."
        if self.unchanged_since is not None:
            return (
                f"Not changed since version {self.unchanged_since} was finalised: edit the "
                "findings or judgements to amend it."
            )
        if not self.sign_off.isChecked():
            return "Ready: tick the sign-off to finalise."
        return ""

    def _update_state(self) -> None:
        gaps, hits = len(self.gaps.rows), len(self.hits.rows)
        self.gaps_box.setTitle(f"To finish ({gaps})")
        self.gaps_box.setVisible(gaps > 0)
        self.hits_box.setVisible(hits > 0)
        self.hits_box.setTitle(
            f"Possible personal data ({len(self.hits.unconfirmed())} of {hits} to confirm): "
            "tick to confirm it is not patient-identifying, or edit the text"
        )
        blockers = self.blockers()
        ready = not blockers and not self.finalising
        self.finalise_button.setEnabled(ready)
        self.why_not.setText(blockers or "Ready to finalise.")
        colour = tone(self, "#b3261e", "#ff8a80") if blockers.startswith("Not") else ""
        self.summary.setStyleSheet(f"color:{colour}; font-weight:bold;" if colour else "")
        self.summary.setText(
            blockers
            if blockers.startswith("Not")
            else "Everything is complete and checked for personal data."
        )
        self.go_button.setEnabled(gaps > 0)
        self.edit_hit.setEnabled(hits > 0)

    def _gap_activated(self, index: QModelIndex) -> None:
        if not index.isValid() or not 0 <= index.row() < len(self.gaps.rows):
            return
        gap = self.gaps.rows[index.row()]
        if gap.kind == "finding":
            self.open_finding.emit(gap.finding_id)
        else:
            self.go_to_standard.emit(gap.ref, gap.component)

    def _edit_hit(self) -> None:
        row = self.hits_view.currentIndex().row()
        if 0 <= row < len(self.hits.rows):
            self.open_text.emit(*self.hits.rows[row].where)

    def _on_changed(self, change: Change) -> None:
        del change  # any change may add or settle a gap or a hit
        if self.isVisible():
            self.refresh()
        else:  # closed: checked again when shown
            self.stale = True

    def showEvent(self, event: QShowEvent) -> None:
        if self.stale:
            self.stale = False
            self.refresh()
        self.load_comments()  # a sync since it was last shown may have brought some
        super().showEvent(event)

    # -- finalising -----------------------------------------------------------------------------

    @property
    def finalising(self) -> bool:
        return self.task is not None and self.task.running

    def finalise(self) -> None:
        if self.blockers() or self.finalising:
            return
        confirmed = self.confirmed()

        def start(progress: Progress) -> Future[fin.Snapshot]:
            def stage(done: int, total: int, what: str) -> None:
                progress(done, max(total, 1), f"{what}…")

            return fin.start_finalise(
                self.bridge.session, confirmed_privacy=confirmed, paths=self.paths, progress=stage
            )

        # No Cancel: a snapshot is signed and queued as one step.
        self.task = TaskOp(self, start, what="finalise").with_progress("Finalising", "Checking…")
        self.task.success(self._finalised).failure(lambda _exc: self._ended()).run()
        self._update_state()

    def _ended(self) -> None:
        self._update_state()
        self.refresh()

    def _finalised(self, snap: fin.Snapshot) -> None:
        self.last_snapshot = snap
        self.sign_off.setChecked(False)
        sent = (
            "Queued to send to the central service at the next sync."
            if snap.queued
            else "Kept on this laptop (no central service is set up here)."
        )
        superseded = f" It supersedes version {snap.version - 1}." if snap.supersedes else ""
        self.result_label.setText(
            f"✓ Version {snap.version} finalised, signed off by "
            f"{author_name(self.visit, snap.signed_off_by)} on "
            f"{when_signed(snap.signed_off_at)}.{superseded}\n"
            f"Snapshot id: {snap.snapshot_id}\n"
            f"Content SHA-256: {snap.content_sha256}\n{sent}"
        )
        self.result_label.setVisible(True)
        self.refresh()  # (now the same as the new version: nothing to finalise until an edit)
        self.load_snapshots()

    # -- snapshots ------------------------------------------------------------------------------

    def load_snapshots(self) -> None:
        TaskOp(
            self,
            lambda _progress: fin.list_snapshots(self.bridge.session),
            what="list the finalised snapshots",
        ).success(self._snapshots_loaded).run()

    def _snapshots_loaded(self, rows: list[fin.Snapshot]) -> None:
        self.snapshots.set_rows(rows)
        self.snapshots_box.setTitle(
            f"Finalised snapshots ({len(rows)})" if rows else "Finalised snapshots (none yet)"
        )
        self.open_snapshot.setEnabled(bool(rows))
        self.make_final.setEnabled(bool(rows))
        if rows:
            self.snapshots_view.selectRow(0)

    def _open_snapshot(self) -> None:
        row = self.snapshots_view.currentIndex().row()
        rows = self.snapshots.rows
        snap = rows[row] if 0 <= row < len(rows) else (rows[0] if rows else None)
        if snap is None or snap.report_sha256 is None:
            return
        title = f"Report, version {snap.version} (final)"
        report_sha = snap.report_sha256
        blobs = self.bridge.session.blobs
        TaskOp(
            self,
            lambda _progress: lead_view.snapshot_report(
                blobs, report_sha, snap.version, self.visit.visit.visit_id
            ),
            what="open the finalised report",
        ).success(lambda pdf: self.open_report.emit(pdf, title)).run()

    # -- the final report -----------------------------------------------------------------------

    def make_final_report(self) -> None:
        """Render the final report of the version the last sync saw approved, then show it."""
        if self.final_task is not None and self.final_task.running:
            return
        visit_id = self.visit.visit.visit_id
        session = self.bridge.session

        def start(progress: Progress) -> Future[final_rep.FinalReport]:
            def stage(done: int, total: int, what: str) -> None:
                progress(done, max(total, 1), f"{what}…")

            return session.worker.submit(final_rep.make_from_last_sync, visit_id, self.paths, stage)

        self.final_task = TaskOp(self, start, what="make the final report").with_progress(
            "Making the final report", "Checking…"
        )
        self.final_task.success(self._final_made).run()

    def _final_made(self, made: final_rep.FinalReport) -> None:
        self.result_label.setText(
            f"✓ The final report of version {made.version} is made. The next sync uploads it "
            "(PDF and Word) to the central service."
        )
        self.result_label.setVisible(True)
        title = f"Final report, version {made.version}"
        visit_id = self.visit.visit.visit_id
        TaskOp(
            self,
            lambda _progress: self.bridge.session.worker.submit(
                lambda _ws: final_rep.viewable(made, visit_id)
            ),
            what="open the final report",
        ).success(lambda pdf: self.open_report.emit(pdf, title)).run()
