"""The privacy check of every text that leaves the laptop: NHS numbers (Modulus 11), dates of
birth, email addresses and UK phone numbers, found where the lead can go and fix them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lead_tools import do, jpeg

from reviewer_app.lead.privacy import (
    DATE_OF_BIRTH,
    EMAIL,
    NHS_NUMBER,
    PHONE,
    nhs_number_valid,
    privacy_hits,
    scan_text,
    unconfirmed,
)
from reviewer_app.visit.model import FINDING, PHOTO, REPORT_TEXT, TEAM_JUDGEMENT
from reviewer_app.visit.session import VisitSession


@pytest.mark.parametrize(
    "number",
    ["9434765919", "943 476 5919", "943-476-5919", "4010232137", "4505577104", "6000000006"],
)
def test_valid_nhs_numbers(number: str) -> None:
    assert nhs_number_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "4010232136",
        "1234567890",  # the weighted sum leaves 1: check 10, never a valid number
        "1234567891",
        "943476591",  # nine digits
        "94347659190",  # eleven
        "943 476 591X",
    ],
)
def test_invalid_nhs_numbers(number: str) -> None:
    assert not nhs_number_valid(number)


def kinds(text: str, year: int = 2026) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in scan_text(text, year)]


def test_nhs_numbers_are_found_only_when_they_pass_the_check() -> None:
    assert kinds("Patient 943 476 5919 was seen") == [(NHS_NUMBER, "943 476 5919")]
    assert kinds("ref 9434765919.") == [(NHS_NUMBER, "9434765919")]
    assert kinds("batch 943-476-5918 of gloves") == []
    assert kinds("order 943 476-5919") == []  # mixed separators are not a written NHS number
    # A mistyped one still counts when it is called an NHS number.
    assert kinds("NHS no. 943 476 5918") == [(NHS_NUMBER, "943 476 5918")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("DOB 12/03/84, seen in clinic", "12/03/84"),
        ("D.O.B.: 12.03.1984", "12.03.1984"),
        ("date of birth 1984-03-12", "1984-03-12"),
        ("a boy born 12th March 2019 was", "12th March 2019"),
        ("born on March 12, 1984", "March 12, 1984"),
        ("the 2011 policy dated 3/11/2011 is out of date", "3/11/2011"),  # old: maybe a birthday
        ("born in 1984", "born in 1984"),
    ],
)
def test_dates_of_birth(text: str, found: str) -> None:
    assert kinds(text) == [(DATE_OF_BIRTH, found)]


@pytest.mark.parametrize(
    "text",
    [
        "the audit of 3/11/2025 showed",  # last year: a date of the service's work
        "escalated at 2026-12-03T16:40",
        "reviewed on 31/02/2019",  # no such day
        "12 March 2026",
        "ward 10 has 12 beds and 3 side rooms",
    ],
)
def test_recent_dates_and_plain_numbers_are_not_flagged(text: str) -> None:
    assert kinds(text) == []


def test_email_addresses_and_uk_phone_numbers() -> None:
    text = (
        "Contact jo.bloggs@nhs.net or the unit on 0121 496 0000, 020 7946 0958, "
        "+44 (0)121 496 0000, (0121) 496 0000 or mobile 07700 900123."
    )
    assert kinds(text) == [
        (EMAIL, "jo.bloggs@nhs.net"),
        (PHONE, "0121 496 0000"),
        (PHONE, "020 7946 0958"),
        (PHONE, "+44 (0)121 496 0000"),
        (PHONE, "(0121) 496 0000"),
        (PHONE, "07700 900123"),
    ]
    assert kinds("version 0.12.3 of the policy, 2 of 12 nurses") == []


@pytest.fixture
def lead(open_demo_session: Callable[..., VisitSession]) -> VisitSession:
    return open_demo_session("m-lead")


def test_every_outgoing_text_is_scanned_and_named(lead: VisitSession) -> None:
    do(lead, lead.add_finding("shc", "concern", "Nothing personal here"))
    photo = do(lead, lead.add_photo(jpeg(), ref="HN-101", caption="Chart of 943 476 5919"))
    do(
        lead,
        lead.add_finding(
            "shc", "serious_concern", "Call jo@example.org about it", photos=[photo.entity_id]
        ),
    )
    do(lead, lead.set_team_judgement("HN-101", "lht", "not_met", "Seen for DOB 01/02/1990"))
    do(lead, lead.set_report_text("acknowledgements", "Thanks to ward 4 (0121 496 0000)."))
    do(lead, lead.add_photo(jpeg(), caption="kept here: 943 476 5919"))  # on no finding
    do(lead, lead.set_judgement("HN-102", "shc", "not_met", "patient 943 476 5919"))  # my own
    hits = privacy_hits(lead.data)
    found = {(h.where[0], h.where[2], h.kind, h.label) for h in hits}
    assert found == {
        (
            FINDING,
            "text",
            EMAIL,
            "Finding 1 (Serious concern), Specialist Haemoglobinopathy Centre",
        ),
        (
            PHOTO,
            "caption",
            NHS_NUMBER,
            "Photo caption in Finding 1 (Serious concern), Specialist Haemoglobinopathy Centre",
        ),
        (
            TEAM_JUDGEMENT,
            "rationale",
            DATE_OF_BIRTH,
            "Team judgement of HN-101, Local Haemoglobinopathy Team",
        ),
        (REPORT_TEXT, "text", PHONE, "Report text: Acknowledgements"),
    }
    email = next(h for h in hits if h.kind == EMAIL)
    assert email.text == "Call jo@example.org about it"
    assert email.span == (5, 19) and email.match == "jo@example.org"
    assert "possibly an email address" in email.message()
    # Confirming a hit clears it; editing the text clears it too.
    assert unconfirmed(hits, {email.key}) == [h for h in hits if h is not email]
    do(lead, lead.set_report_text("acknowledgements", "Thanks to ward 4."))
    assert REPORT_TEXT not in {h.where[0] for h in privacy_hits(lead.data)}
