"""The lead reviewer's side of the reviewer's window (issue 5): findings, immediate risks, the
feedback sheet, the draft report and its preview, the report's own passages, finalisation.

``install(window)`` adds the Lead menu (before Help) and, for the lead, an OVERDUE badge in the
status bar when a risk's written confirmation is late. Anyone else gets a Report menu with the
same findings and risks read-only, and the draft report and preview: they write nothing.
Each window is made on first use and reused (one of each).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMenu, QPushButton

from reviewer_app.lead import view as lead_view
from reviewer_app.visit.model import (
    FINDING,
    OBSERVATION,
    PHOTO,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    parse_team_judgement_id,
)
from reviewer_app.visit.session import Change
from ui import shortcuts
from ui.actions import make_action
from ui.lead.reports import ReportPrinter
from ui.operations import ChangeOp, TaskOp
from ui.windows import AFTER_FIRST_PAINT_MS, show_once

TEXT_NOTES = {
    "introduction": "Leave it empty to use the standard introduction, filled with this "
    "visit's details (shown below when you have not written your own).",
    "acknowledgements": "Leave it empty to use the standard acknowledgements (shown below "
    "when you have not written your own).",
    "service_users": "What service users and carers told the team, in their own words where "
    "possible. No names. Until written, the draft shows a reminder in its place.",
}


class LeadActions(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.bridge = window.bridge
        self.session = window.session
        self.paths = window.paths
        self.lead = self.session.is_lead
        self.views: dict[str, Any] = {}
        self.calendar: lead_view.RiskCalendar | None = None
        self.printer = ReportPrinter(window, self.paths)
        self.menu: QMenu | None = None
        self.badge = QPushButton(window)
        self.badge.setFlat(True)
        self.badge.setAccessibleName("Overdue immediate risks")
        self.badge.setToolTip("An immediate risk's written confirmation is late: open the list")
        self.badge.setStyleSheet("color:#b3261e; font-weight:bold; padding:0 8px;")
        self.badge.clicked.connect(self.show_risks)
        self.badge.setVisible(False)
        window.statusBar().addPermanentWidget(self.badge)
        self.bridge.changed.connect(self._on_changed)
        self.bridge.reloaded.connect(self.refresh_badge)
        if self.lead:  # the provider's factual accuracy comments (issue 18)
            from ui.lead import accuracy  # noqa: PLC0415

            accuracy.install(window, self.show_accuracy)
        # The bank holidays are read, and the badge worked out, once the window has painted.
        QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, self._load_calendar)

    def _load_calendar(self) -> None:
        TaskOp(
            self.window,
            lambda _progress: lead_view.risk_calendar(self.paths),
            what="read the risk calendar",
        ).success(self._calendar_loaded).untold().run()

    # -- the menu --------------------------------------------------------------------------------

    def build_menu(self, menu: QMenu) -> None:
        w, p = self.window, self.printer
        suffix = "" if self.lead else " (read-only)"
        menu.addAction(
            make_action(
                w,
                f"&Findings{suffix}…",
                self.show_findings,
                shortcuts.FINDINGS,
                tip="The report's findings per component, by category",
            )
        )
        menu.addAction(
            make_action(
                w,
                f"&Immediate risks{suffix}…",
                self.show_risks,
                shortcuts.IMMEDIATE_RISKS,
                tip="Each immediate risk's escalation and written confirmation",
            )
        )
        menu.addAction(
            make_action(
                w,
                "&Compliance so far…",
                self.show_compliance,
                shortcuts.COMPLIANCE,
                tip="Applicable, met and % met per component, as the report will print them",
            )
        )
        menu.addSeparator()
        if self.lead:
            menu.addAction(
                make_action(
                    w,
                    "Feedback &sheet (PDF)…",
                    p.feedback_sheet,
                    shortcuts.FEEDBACK_SHEET,
                    tip="Print the end-of-visit feedback sheet",
                )
            )
        menu.addAction(
            make_action(
                w,
                "&Draft report (PDF / DOCX)…",
                p.draft_report,
                shortcuts.DRAFT_REPORT,
                tip="Save the draft report as a PDF or a Word document",
            )
        )
        menu.addAction(
            make_action(
                w,
                "Report &preview",
                p.show_preview,
                shortcuts.REPORT_PREVIEW,
                tip="Read the draft report inside the app",
            )
        )
        if not self.lead:
            return
        menu.addSeparator()
        texts = menu.addMenu("Report &texts")
        for name, label in lead_view.REPORT_TEXT_NAMES.items():
            texts.addAction(make_action(w, f"{label}…", lambda n=name: self.edit_report_text(n)))
        menu.addAction(
            make_action(
                w,
                "Provider's &comments…",
                self.show_accuracy,
                tip="The provider's factual accuracy comments: accept or decline each",
            )
        )
        menu.addSeparator()
        menu.addAction(
            make_action(
                w,
                "Fi&nalise…",
                self.show_finalise,
                tip="Check, sign off and freeze the findings as a snapshot",
            )
        )

    # -- windows ---------------------------------------------------------------------------------

    def _view(self, name: str, make: Any) -> Any:
        return show_once(self.views, name, make)

    def show_findings(self) -> Any:
        from ui.lead.findings import FindingsWindow  # noqa: PLC0415 - made on first use

        return self._view("findings", lambda: FindingsWindow(self.bridge, self.window))

    def show_risks(self) -> Any:
        from ui.lead.risks import RisksWindow  # noqa: PLC0415

        if self.calendar is None:  # read at start-up; only a very quick click beats it
            self.window.statusBar().showMessage("Reading the bank holidays… try again.", 5000)
            return None
        calendar = self.calendar
        return self._view("risks", lambda: RisksWindow(self.bridge, calendar, self.window))

    def show_compliance(self) -> Any:
        from ui.lead.compliance import ComplianceWindow  # noqa: PLC0415

        return self._view("compliance", lambda: ComplianceWindow(self.bridge, self.window))

    def show_finalise(self) -> Any:
        from ui.lead.finalise import FinaliseDialog  # noqa: PLC0415

        def make() -> FinaliseDialog:
            dialog = FinaliseDialog(self.bridge, self.paths, self.window)
            dialog.go_to_standard.connect(self.go_to_standard)
            dialog.open_finding.connect(self.open_finding)
            dialog.open_text.connect(self.open_text)
            dialog.open_report.connect(self.printer.show_pdf)
            return dialog

        return self._view("finalise", make)

    def show_accuracy(self) -> Any:
        from ui.lead.accuracy import AccuracyWindow  # noqa: PLC0415

        def make() -> AccuracyWindow:
            window = AccuracyWindow(self.bridge, self.paths, self.window)
            window.open_finding.connect(self.open_finding)
            window.go_to_standard.connect(self.go_to_standard)
            return window

        return self._view("accuracy", make)

    def open_finding(self, finding_id: str) -> None:
        self.show_findings().show_finding(finding_id)

    def go_to_standard(self, ref: str, component: str) -> None:
        self.window.show_standard(ref, component)

    def open_text(self, entity: str, entity_id: str, _field: str) -> None:
        """Where to edit a text the privacy check flagged."""
        data = self.session.data
        if entity == TEAM_JUDGEMENT:
            self.go_to_standard(*parse_team_judgement_id(entity_id))
        elif entity == REPORT_TEXT:
            self.edit_report_text(entity_id)
        elif entity == FINDING:
            self.open_finding(entity_id)
        elif entity in (PHOTO, OBSERVATION):
            owner = next(
                (
                    f.id
                    for f in data.findings.values()
                    if entity_id in f.photos or f.observation_id == entity_id
                ),
                "",
            )
            if owner:
                self.open_finding(owner)

    def edit_report_text(self, name: str) -> None:
        data = self.session.data
        TaskOp(
            self.window,
            lambda _progress: lead_view.report_text_defaults(data),
            what="read the report's templates",
        ).success(lambda defaults: self._ask_text(name, defaults)).run()

    def _ask_text(self, name: str, defaults: dict[str, str]) -> None:
        from ui.lead.dialogs import ReportTextDialog  # noqa: PLC0415

        own = self.session.data.report_texts.get(name, "")
        title = lead_view.REPORT_TEXT_NAMES.get(name, name)
        text = ReportTextDialog.ask(
            self.window, title, own or defaults.get(name, ""), TEXT_NOTES.get(name, "")
        )
        if text is None or text == (own or defaults.get(name, "")).strip():
            return
        if text == defaults.get(name, "").strip() and not own:
            return  # the template as it was: nothing to store
        ChangeOp(self.window, self.bridge, lambda s: s.set_report_text(name, text)).run()

    # -- the overdue badge -----------------------------------------------------------------------

    def _calendar_loaded(self, calendar: lead_view.RiskCalendar) -> None:
        self.calendar = calendar
        self.refresh_badge()

    def overdue_count(self) -> int:
        if self.calendar is None or not self.lead:
            return 0
        return sum(1 for r in self.calendar.states(self.session.data) if r.overdue)

    def refresh_badge(self) -> None:
        count = self.overdue_count()
        self.badge.setText(
            f"⚠ OVERDUE: {count} immediate risk{'s' if count != 1 else ''} not confirmed in writing"
        )
        self.badge.setVisible(count > 0)

    def _on_changed(self, change: Change) -> None:
        if change.entity == FINDING:
            self.refresh_badge()


def install(window: Any) -> LeadActions:
    """Give the window its Lead menu (a Report menu for everyone else) and the overdue badge."""
    lead = LeadActions(window)
    bar = window.menuBar()
    menu = QMenu("&Lead" if lead.lead else "Re&port", bar)
    lead.build_menu(menu)
    help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
    bar.insertMenu(help_action, menu) if help_action else bar.addMenu(menu)
    lead.menu = menu
    return lead
