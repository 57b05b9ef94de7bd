"""Immediate risks after the visit: when each written confirmation is due, and which are late.

DOMAIN.md: immediate risks are raised at the end-of-visit feedback and confirmed in writing to
the provider's chief executive and the commissioners within a few working days. The number is
the setting ``risk_confirmation_working_days`` (default 2); the count starts the day after the
visit's last day and skips weekends and England and Wales bank holidays (``working_days``).

A risk counts as confirmed when the date its confirmation was sent is recorded, or its status
is Confirmed or Closed (a risk closed some other way needs no letter chasing). It is overdue
when today is past its due date and it is not confirmed. A risk with no escalation recorded
(to whom and when) is flagged too: finalisation refuses until it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import findings
from reviewer_app.lead.working_days import add_working_days, load_holidays
from reviewer_app.visit.model import RISK_STATUSES, Finding
from reviewer_app.visit.read_model import VisitData

CONFIRMED_STATUSES = frozenset({"confirmed", "closed"})


@dataclass(frozen=True, slots=True)
class RiskState:
    """One immediate risk as the lead's list shows it."""

    finding: Finding
    number: int
    label: str  # "Finding 1 (Immediate risk), Specialist Haemoglobinopathy Centre"
    due: date
    status: str  # a RISK_STATUSES key
    status_text: str
    confirmed: bool
    overdue: bool
    escalation_missing: bool

    @property
    def warning(self) -> str:
        """What needs doing, in a sentence, or "" when nothing does."""
        if self.escalation_missing:
            return "Record to whom and when this risk was escalated."
        if self.overdue:
            return (
                f"The written confirmation was due on {self.due:%A %d %B %Y}; send it and "
                "record the date."
            )
        return ""


def confirmation_due(visit_end: date, working_days: int, holidays: frozenset[date]) -> date:
    return add_working_days(visit_end, working_days, holidays)


def visit_end_date(data: VisitData) -> date:
    return date.fromisoformat(data.visit.end_date or data.visit.start_date)


def risk_states(
    data: VisitData, *, working_days: int, holidays: frozenset[date], today: date
) -> list[RiskState]:
    """Every immediate risk of the visit with its due date and what is late or missing."""
    due = confirmation_due(visit_end_date(data), working_days, holidays)
    out = []
    for number, f in findings.immediate_risks(data):
        confirmed = bool(f.confirmation_sent.strip()) or f.risk_status in CONFIRMED_STATUSES
        out.append(
            RiskState(
                finding=f,
                number=number,
                label=findings.finding_label(data, f, number),
                due=due,
                status=f.risk_status,
                status_text=RISK_STATUSES.get(f.risk_status, f.risk_status),
                confirmed=confirmed,
                overdue=today > due and not confirmed,
                escalation_missing=not f.escalated,
            )
        )
    return out


def laptop_rules(paths: AppPaths) -> tuple[int, frozenset[date]]:
    """This laptop's working days for a written confirmation (the setting) and its bank
    holidays (reads small files: call it off the UI thread, or once and keep the result)."""
    # Imported here: settings reads a file and the window imports this module early.
    from reviewer_app.app.settings import Settings  # noqa: PLC0415

    days = int(Settings.shared(paths).get("risk_confirmation_working_days"))
    return max(0, days), load_holidays(paths)


def laptop_due(data: VisitData, paths: AppPaths) -> date:
    """When the visit's immediate risks' written confirmations are due, by this laptop's rules."""
    days, holidays = laptop_rules(paths)
    return confirmation_due(visit_end_date(data), days, holidays)


def risks_for_laptop(
    data: VisitData, paths: AppPaths, today: date | None = None
) -> list[RiskState]:
    """:func:`risk_states` with this laptop's setting and bank holidays (reads small files)."""
    days, holidays = laptop_rules(paths)
    return risk_states(data, working_days=days, holidays=holidays, today=today or date.today())
