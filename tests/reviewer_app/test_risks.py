"""The lead's list of immediate risks: the written confirmation's due date (the visit's last day
plus the configured working days, skipping weekends and bank holidays), overdue ones, and risks
with no escalation recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from lead_tools import do

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.lead.risks import risk_states, risks_for_laptop
from reviewer_app.lead.working_days import load_holidays
from reviewer_app.visit.session import VisitSession

# The demo visit is on Thursday 3 December 2026: two working days later is Monday 7 December.
DUE = date(2026, 12, 7)


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> VisitSession:
    return open_demo_session("m-lead")


def states(lead: VisitSession, today: date, days: int = 2) -> list[tuple[str, date, bool, bool]]:
    found = risk_states(lead.data, working_days=days, holidays=load_holidays(), today=today)
    return [(s.finding.text, s.due, s.overdue, s.escalation_missing) for s in found]


def test_due_dates_overdue_and_missing_escalations(lead: VisitSession) -> None:
    fridge = do(lead, lead.add_finding("shc", "immediate_risk", "Blood fridge unlocked")).entity_id
    do(lead, lead.add_finding("lht", "immediate_risk", "No resuscitation trolley check"))
    do(lead, lead.add_finding("shc", "concern", "Not a risk"))
    assert states(lead, date(2026, 12, 3)) == [
        ("Blood fridge unlocked", DUE, False, True),
        ("No resuscitation trolley check", DUE, False, True),
    ]
    do(lead, lead.record_escalation(fridge, "Chief Executive", "2026-12-03T17:00", "in person"))
    assert states(lead, DUE) == [
        ("Blood fridge unlocked", DUE, False, False),  # due today: not yet late
        ("No resuscitation trolley check", DUE, False, True),
    ]
    late = risk_states(lead.data, working_days=2, holidays=load_holidays(), today=date(2026, 12, 8))
    assert [s.overdue for s in late] == [True, True]
    assert "was due on Monday 07 December 2026" in late[0].warning
    assert late[1].warning.startswith("Record to whom and when")
    do(lead, lead.set_risk_status(fridge, "confirmed", "2026-12-07"))
    assert states(lead, date(2026, 12, 8))[0] == ("Blood fridge unlocked", DUE, False, False)
    assert risk_states(lead.data, working_days=2, holidays=load_holidays(), today=DUE)[0].confirmed


def test_the_number_of_working_days_is_a_setting(lead: VisitSession) -> None:
    do(lead, lead.add_finding("shc", "immediate_risk", "Blood fridge unlocked"))
    paths = AppPaths.from_environment()
    assert risks_for_laptop(lead.data, paths, today=DUE)[0].due == DUE
    settings = Settings.load(paths)
    settings.set("risk_confirmation_working_days", 5)
    settings.save()
    # Thursday 3rd + 5 working days = Thursday 10th.
    assert risks_for_laptop(lead.data, paths, today=DUE)[0].due == date(2026, 12, 10)
