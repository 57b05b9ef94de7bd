"""The Programme page: a programme's visits after the visit, by state, with the date and the
days from the visit's end of each step (docs/after-the-visit.md), overdue steps marked, the
median per step in the column headers; and what staff do next for the chosen visit (send the
accuracy pack, import the provider's form, record approval, publish) or for the programme
(the overview report, the QSG summary, the expected working days).

Everything here talks to the central service, so every piece of work runs on a worker
(``reviewer_app.staff.programme``, one client per piece) with the page's own moving bar; the
window never waits. A refusal is one sentence under the buttons; a response form with problems
lists them, row by row, in a list staff can go through. Offline or not signed in, the page
says so and what to do, and keeps what it last showed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import (
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.errors import is_user_error
from reviewer_app.central.service import NotSignedIn, sign_in, signed_in_url
from reviewer_app.staff import programme as ops
from reviewer_app.staff.programme import FormRefused, Offline
from reviewer_app.staff.timeline import STEP_NAMES, Timeline, VisitLine
from ui.errors import report_error, told
from ui.operations import TaskOp
from ui.staff import shortcuts
from ui.staff.common import (
    StaffContext,
    busy_bar,
    button,
    button_row,
    choose_folder,
    choose_open_file,
    page_header,
    selected_row,
    status_label,
    table,
)
from ui.staff.confirm import ConfirmDialog
from ui.staff.programme_dialogs import ApproveDialog, OverviewDialog, SettingsDialog, SignInDialog
from ui.staff.programme_model import TimelineModel, provider
from ui.text_style import muted

READING = "read the programme"
FORM_FILTER = "Response forms (*.xlsx *.csv);;All files (*)"
Job = Callable[[Any, Callable[[int, int, str], None]], Any]


class _Progress(QObject):
    moved = Signal(int, int, str)


class ProgrammePage(QWidget):
    """A programme's visits on the central service, and the steps after the visit."""

    def __init__(self, ctx: StaffContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName("Programme")
        self.line_up: Timeline | None = None
        self.running = False
        self.shown_once = False
        self.pending_privacy: tuple[str, Any] = ("", None)
        self._relay = _Progress(self)
        self._relay.moved.connect(self._moved)
        layout = QVBoxLayout(self)
        layout.addLayout(
            page_header(
                "Programme",
                "The visits of a programme on the central service, by state: when each step "
                "after the visit was reached and how many days after the visit. Overdue steps "
                "are marked OVERDUE.",
                self,
            )
        )
        layout.addLayout(self._top_row())
        self.summary = status_label(self, "Programme summary")
        layout.addWidget(self.summary)
        self.model = TimelineModel(self)
        self.view = table(self, self.model, "Visits by state")
        self.view.setEditTriggers(self.view.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.view, 1)
        layout.addLayout(self._buttons())
        self.busy = busy_bar(self, "Working")
        layout.addWidget(self.busy)
        self.result = status_label(self, "Result")
        layout.addWidget(self.result)
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problems in the form")
        self.problems.setVisible(False)
        self.problems.setWordWrap(True)
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.problems.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)
        layout.addWidget(self.problems)
        self.view.selectionModel().currentRowChanged.connect(lambda *_a: self._enable())
        QShortcut(
            QKeySequence(shortcuts.REFRESH_PROGRAMME[0]),
            self,
            self.refresh,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self._enable()

    def _top_row(self) -> QVBoxLayout:
        """The programme's choice, Refresh, Sign in, and the connection's banner under them."""
        outer = QVBoxLayout()
        self.choice = QComboBox(self)
        self.choice.setAccessibleName("Programme")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.choice.activated.connect(lambda _i: self.refresh())
        label = QLabel("Pro&gramme", self)
        label.setBuddy(self.choice)
        self.refresh_button = button(self, "&Refresh", self.refresh, "Ask the service again (F5)")
        self.sign_in_button = button(
            self, "Sign i&n…", self.sign_in, "Sign in to the central service with a staff token"
        )
        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.choice, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.sign_in_button)
        outer.addLayout(top)
        self.banner = status_label(self, "Connection")
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner.setMargin(6)
        self.banner.setVisible(False)
        outer.addWidget(self.banner)
        return outer

    def _buttons(self) -> QVBoxLayout:
        self.pack_button = button(
            self, "Send &pack…", self.send_pack, "Save the factual accuracy pack for the provider"
        )
        self.form_button = button(
            self, "&Import form…", self.import_form, "Import the provider's returned form"
        )
        self.approve_button = button(self, "&Approve…", self.approve, "Record the approval")
        self.publish_button = button(self, "Pu&blish…", self.publish, "Publish the final report")
        self.visit_buttons = (
            self.pack_button,
            self.form_button,
            self.approve_button,
            self.publish_button,
        )
        self._tips = {b: b.toolTip() for b in self.visit_buttons}
        self.overview_button = button(
            self, "&Overview report…", self.overview, "The programme overview (PDF, Word)"
        )
        self.qsg_button = button(
            self, "&QSG summary…", self.qsg, "Immediate risks and serious concerns (PDF, CSV)"
        )
        self.settings_button = button(
            self, "Se&ttings…", self.settings, "Expected working days to each step"
        )
        self.programme_buttons = (self.overview_button, self.qsg_button, self.settings_button)
        visit_label = QLabel("For the chosen visit:", self)
        muted(visit_label)
        programme_label = QLabel("For the programme:", self)
        muted(programme_label)
        # Two rows: in one, the page was 1,000 px at least, wider than a small laptop's screen.
        rows = QVBoxLayout()
        rows.addLayout(button_row(visit_label, *self.visit_buttons))
        rows.addLayout(button_row(programme_label, *self.programme_buttons))
        return rows

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self.shown_once:
            self.shown_once = True
            self.refresh()

    # -- the chosen visit ---------------------------------------------------------------------

    def chosen(self) -> VisitLine | None:
        row = selected_row(self.view)
        return self.model.rows[row] if 0 <= row < len(self.model.rows) else None

    def _enable(self) -> None:
        v = self.chosen()
        idle = not self.running
        self.refresh_button.setEnabled(idle)
        self.choice.setEnabled(idle)
        self.sign_in_button.setEnabled(idle)
        have = self.line_up is not None and idle
        for b in self.programme_buttons:
            b.setEnabled(have)

        def reached(step: str) -> bool:
            return v is not None and v.step(step).reached

        can = {
            self.pack_button: (reached("v1_finalised"), "The lead has not sent version 1 yet."),
            self.form_button: (reached("pack_sent"), "Send the accuracy pack first."),
            self.approve_button: (
                reached("v1_finalised") and not reached("approved"),
                "Approval is recorded once, for a version the lead has sent.",
            ),
            self.publish_button: (
                reached("approved") and not reached("published"),
                "Only an approved, unpublished report can be published.",
            ),
        }
        for b, (ok, why) in can.items():
            b.setEnabled(idle and ok)
            if v is None:
                b.setToolTip("Choose a visit in the table first.")
            elif not ok:
                b.setToolTip(why)
            else:
                b.setToolTip(self._tips[b])

    # -- work on a worker ---------------------------------------------------------------------

    def _run(self, what: str, job: Job, done: Callable[[Any], None], *, busy: str = "") -> bool:
        """``job(client, progress)`` on a worker with the staff sign-in; ``done(result)`` back
        here. One piece of work at a time."""
        if self.running:
            return False
        self.running = True
        self._enable()
        self.busy.setRange(0, 0)
        self.busy.setVisible(True)
        if busy:
            self.result.setText(busy)
            self.problems.setVisible(False)
        paths, emit = self.ctx.paths, self._relay.moved.emit

        def work() -> Any:
            return ops.using_staff_client(paths, lambda client: job(client, emit))

        def ok(result: Any) -> None:
            self._finish()
            done(result)

        TaskOp(self, lambda _p: self.ctx.work(work), what=what).success(ok).failure(
            lambda exc: self._failed(exc, what), tell=False
        ).run()
        return True

    def _moved(self, done: int, total: int, stage: str) -> None:
        if not self.running:
            return
        if total:
            self.busy.setRange(0, total)
            self.busy.setValue(done)
        if stage:
            self.result.setText(f"{stage}…")

    def _finish(self) -> None:
        self.running = False
        self.busy.setVisible(False)
        self._enable()

    def _failed(self, exc: BaseException, what: str) -> None:
        self._finish()
        if isinstance(exc, FormRefused):
            self._list_problems(str(exc), [p.text() for p in exc.problems])
            return
        if isinstance(exc, ops.PrivacyHits):
            self._privacy(exc)
            return
        if isinstance(exc, Offline | NotSignedIn):
            self._offline(exc)
            if what == READING:
                return  # the banner says it all
        if is_user_error(exc):
            text, _fault = told(exc)
            self.result.setText(text)
        else:
            report_error(self, exc, what)
            self.result.setText(f"Could not {what}; nothing was changed.")

    def _list_problems(self, sentence: str, lines: list[str]) -> None:
        self.result.setText(sentence)
        self.problems.clear()
        self.problems.addItems(lines)
        self.problems.setVisible(True)
        self.problems.setCurrentRow(0)

    def _offline(self, exc: BaseException) -> None:
        kept = " The table shows what the service said last." if self.line_up else ""
        if isinstance(exc, NotSignedIn):
            self.banner.setText(
                "<b>Not signed in</b> to the central service as staff. Press Sign in… and give "
                f"the service's address and a staff token.{kept}"
            )
        else:
            at = datetime.now().strftime("%H:%M")
            self.banner.setText(
                f"<b>Offline:</b> the central service does not answer ({at}). Check the "
                f"network, or that the service is running, then press Refresh.{kept}"
            )
        self.banner.setVisible(True)

    # -- reading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        wanted = self.choice.currentText()

        def job(client: Any, _progress: Any) -> tuple[list[str], Timeline | None]:
            names = ops.programmes(client)
            name = wanted if wanted in names else (names[0] if names else "")
            return names, (ops.timeline(client, name) if name else None)

        self._run(READING, job, self._listed)

    def _listed(self, answer: tuple[list[str], Timeline | None]) -> None:
        names, line_up = answer
        self.banner.setVisible(False)
        self.choice.clear()
        self.choice.addItems(names)
        keep = self.chosen()
        self.line_up = line_up
        if line_up is None:
            self.model.set_rows([])
            self.summary.setText(
                "The central service has no visits yet: publish a visit's kit from Visit plans."
            )
            self._enable()
            return
        self.choice.setCurrentText(line_up.programme)
        self.model.show(line_up)
        self.view.resizeColumnsToContents()
        em = self.fontMetrics().horizontalAdvance("M")
        for column, most in ((0, 13 * em), (1, 8 * em)):  # long names wrap
            self.view.setColumnWidth(column, min(self.view.columnWidth(column), most))
        self.view.resizeRowsToContents()
        self.summary.setText(_summary(line_up))
        rows = [v.visit_id for v in self.model.rows]
        if keep is not None and keep.visit_id in rows:
            self.view.selectRow(rows.index(keep.visit_id))
        self._enable()

    # -- the chosen visit's steps ---------------------------------------------------------------

    def send_pack(self) -> None:
        v = self.chosen()
        if v is None:
            return
        folder = choose_folder(self, "Save the factual accuracy pack in")
        if folder is None:
            return
        self._run(
            "send the accuracy pack",
            lambda c, p: ops.send_pack(c, v.visit_id, folder, title=provider(v), progress=p),
            self._done,
            busy=f"Making the accuracy pack of {provider(v)}…",
        )

    def import_form(self) -> None:
        v = self.chosen()
        if v is None:
            return
        path = choose_open_file(self, "Import the provider's response form", FORM_FILTER)
        if path is None:
            return
        self._run(
            "import the response form",
            lambda c, _p: ops.import_form(c, v.visit_id, path),
            self._done,
            busy=f"Importing {path.name}…",
        )

    def approve(self) -> None:
        v = self.chosen()
        if v is None:
            return
        answer = ApproveDialog.ask(self, provider(v))
        if answer is None:
            return
        self._run(
            "record the approval",
            lambda c, _p: ops.approve(
                c, v.visit_id, answer.approved_by, answer.approved_at, answer.conditions
            ),
            self._done,
            busy="Recording the approval…",
        )

    def publish(self) -> None:
        v = self.chosen()
        if v is None:
            return
        if not ConfirmDialog.ask(
            self,
            f"Publish the final report of {provider(v)}?",
            "Anyone signed in to the service can then download it.",
            "Publish",
        ):
            return
        self._run(
            "publish the report",
            lambda c, _p: ops.publish(c, v.visit_id),
            self._done,
            busy="Publishing…",
        )

    def _done(self, result: Any) -> None:
        self.result.setText("\n".join(result.lines()))
        self.refresh()

    # -- the programme ----------------------------------------------------------------------------

    def overview(self) -> None:
        line_up = self.line_up
        if line_up is None:
            return
        self._run(
            "find the visits for the overview",
            lambda c, p: ops.overview_candidates(c, line_up, p),
            lambda found: self._overview_chosen(line_up, found),
            busy="Finding the accepted and published visits…",
        )

    def _overview_chosen(self, line_up: Timeline, found: list[ops.Candidate]) -> None:
        self.result.setText("")
        choice = OverviewDialog.ask(self, line_up.programme, found)
        if choice is None:
            return
        folder = choose_folder(self, "Save the programme overview in")
        if folder is None:
            return
        self._run(
            "write the programme overview",
            lambda c, p: ops.overview_report(
                c,
                line_up.programme,
                folder,
                visits=choice.visits,
                formats=choice.formats,
                progress=p,
            ),
            self._written,
            busy="Writing the programme overview…",
        )

    def qsg(self) -> None:
        line_up = self.line_up
        if line_up is None:
            return
        folder = choose_folder(self, "Save the QSG summary in")
        if folder is None:
            return
        self._write_qsg(line_up.programme, folder, [])

    def _write_qsg(self, programme: str, folder: Any, confirmed: list[str]) -> None:
        self.pending_privacy = (programme, folder)
        self._run(
            "write the QSG summary",
            lambda c, p: ops.qsg_summary(c, programme, folder, confirmed=confirmed, progress=p),
            self._written,
            busy="Writing the QSG summary…",
        )

    def _privacy(self, hits: ops.PrivacyHits) -> None:
        """Text that may identify a patient: listed, then written only if staff confirm."""
        self._list_problems(str(hits), hits.lines)
        programme, folder = self.pending_privacy
        if ConfirmDialog.ask(
            self,
            "Write the QSG summary with these passages?",
            "Each passage listed below may identify a patient. Write it only if each is meant "
            "(a service's own phone number, say); otherwise correct the text in the visit.",
            "Write anyway",
        ):
            self._write_qsg(programme, folder, hits.keys)

    def _written(self, written: ops.Written) -> None:
        self.result.setText("\n".join(written.lines()))

    def settings(self) -> None:
        line_up = self.line_up
        if line_up is None:
            return
        days = SettingsDialog.ask(self, line_up.programme, line_up.expected_days)
        if days is None:
            return
        self._run(
            "change the expected working days",
            lambda c, _p: ops.set_expected_days(c, line_up.programme, days),
            lambda _d: self._settings_saved(),
            busy="Saving the settings…",
        )

    def _settings_saved(self) -> None:
        self.result.setText("The expected working days are saved; overdue steps are redrawn.")
        self.refresh()

    # -- signing in --------------------------------------------------------------------------------

    def sign_in(self) -> None:
        if self.running:
            return
        answer = SignInDialog.ask(self, signed_in_url(self.ctx.paths))
        if answer is None:
            return
        url, token = answer
        paths = self.ctx.paths
        self.running = True
        self._enable()
        self.busy.setVisible(True)
        self.result.setText("Signing in…")

        def signed(result: Any) -> None:
            self._finish()
            if result.role != "staff":
                self.result.setText(
                    f"Signed in as {result.user}, a reviewer: the Programme page needs a staff "
                    "token. Ask the service's administrator for one."
                )
                return
            self.result.setText(f"Signed in to {result.url} as {result.user}.")
            self.banner.setVisible(False)
            self.refresh()

        TaskOp(self, lambda _p: self.ctx.work(sign_in, paths, url, token), what="sign in").success(
            signed
        ).failure(lambda exc: self._failed(exc, "sign in"), tell=False).run()


def _summary(line_up: Timeline) -> str:
    counts = " · ".join(f"{STEP_NAMES.get(s, s)} {n}" for s, n in line_up.counts().items())
    overdue = sum(len(v.overdue) for v in line_up.visits)
    late_visits = sum(bool(v.overdue) for v in line_up.visits)
    late = (
        f"; {overdue} step{'s' if overdue != 1 else ''} OVERDUE in {late_visits} "
        f"visit{'s' if late_visits != 1 else ''}"
        if overdue
        else "; nothing overdue"
    )
    n = len(line_up.visits)
    return f"{n} visit{'s' if n != 1 else ''}: {counts}{late}."
