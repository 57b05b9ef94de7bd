"""The privacy check before finalising: anything in the text leaving the laptop that could
identify a patient or a member of staff (DOMAIN.md "Confidentiality").

What is scanned is what leaves the laptop in the report or the finalised findings: findings'
texts and their escalation details, the team judgements' rationales (the report's comments),
the report's own passages, the captions of photos attached to findings, and the observations
that findings were made from. Reviewers' own reasons are not scanned: neither the report nor the
findings carry them (only the team's rationale).

What counts as a hit:

- **NHS number**: ten digits, written together or 3-3-4 with spaces or dashes, whose last digit
  is the Modulus 11 check digit (weights 10 down to 2; 11 gives 0; 10 means not a valid number).
  Ten digits that fail the check are still flagged when "NHS" is written just before them: a
  mistyped NHS number is still somebody's.
- **Date of birth**: a full date (``12/03/1984``, ``12-3-84``, ``1984-03-12``, ``12 March 1984``,
  ``March 12, 1984``) near "DOB", "date of birth", "birth date" or "born"; or, with no such word,
  any full date in a year before the year before the visit (a visit in 2026 flags 2024 and
  earlier). Recent dates are the stuff of findings ("the audit of 3/11/2025"); older ones are
  more often birthdays, and the lead confirms the rest in a click. "born in 1984" is flagged too.
- **Email address**, and **UK phone number** (0 or +44, then 9 or 10 digits in the usual
  groupings, brackets allowed around the area code).

A hit is confirmed (it is meant: a switchboard number, a policy's date) or the text is edited.
Finalising refuses while any hit is unconfirmed; ``PrivacyHit.key`` is what the lead confirms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from reviewer_app.lead import findings
from reviewer_app.visit.model import (
    FINDING,
    OBSERVATION,
    PHOTO,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData

NHS_NUMBER = "nhs_number"
DATE_OF_BIRTH = "date_of_birth"
EMAIL = "email"
PHONE = "phone"
KIND_WORDS = {
    NHS_NUMBER: "an NHS number",
    DATE_OF_BIRTH: "a date of birth",
    EMAIL: "an email address",
    PHONE: "a phone number",
}
REPORT_TEXT_NAMES = {
    "introduction": "Introduction",
    "acknowledgements": "Acknowledgements",
    "service_users": "Views of service users and carers",
}
EXCERPT_SIDE = 30

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"

_NHS = re.compile(r"(?<!\d)(\d{3})([ -]?)(\d{3})\2(\d{4})(?!\d)")
_NHS_WORD = re.compile(r"\bNHS\b[^\d]{0,20}$", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-])")
_ISO_DATE = re.compile(r"(?<![\d/.-])(\d{4})-(\d{2})-(\d{2})(?![\d/-])")
_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})(?!\d)", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})(?!\d)", re.I)
_BORN_YEAR = re.compile(r"\bborn\s+(?:in\s+)?((?:19|20)\d{2})(?!\d)", re.I)
_DOB_WORD = re.compile(r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|born)", re.I)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_NATIONAL = (
    r"(?:\d{2}[\s-]?\d{4}[\s-]?\d{4}"  # 020 7946 0958
    r"|\d{3}[\s-]?\d{3}[\s-]?\d{4}"  # 0121 496 0000
    r"|\d{4}[\s-]?\d{5,6}"  # 01632 960123, 07700 900123
    r"|\d{4}[\s-]?\d{3}[\s-]?\d{3,4}"  # 07700 900 123
    r"|\d{9,10})"
)
_PHONE = re.compile(
    r"(?<![\d+\w])(?:\+44\s?(?:\(0\)\s?)?|0)" + _NATIONAL + r"(?!\d)"
    r"|(?<![\d\w])\(0\d{2,4}\)\s?\d{3,4}[\s-]?\d{3,4}(?!\d)"
)


def nhs_number_valid(digits: str) -> bool:
    """The Modulus 11 check of a ten-digit NHS number (spaces and dashes ignored)."""
    digits = re.sub(r"[ -]", "", digits)
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    start: int
    end: int
    text: str


def scan_text(text: str, visit_year: int) -> list[Match]:
    """Everything in ``text`` that looks like personal data, in order of position."""
    found = [*_nhs_numbers(text), *_dates(text, visit_year), *_emails(text)]
    taken = [(m.start, m.end) for m in found]
    for m in _phones(text):
        if not any(m.start < end and start < m.end for start, end in taken):
            found.append(m)
    return sorted(found, key=lambda m: (m.start, m.end))


def _nhs_numbers(text: str) -> Iterator[Match]:
    for m in _NHS.finditer(text):
        if nhs_number_valid(m.group(0)) or _NHS_WORD.search(
            text[max(0, m.start() - 30) : m.start()]
        ):
            yield Match(NHS_NUMBER, m.start(), m.end(), m.group(0))


def _near_dob_word(text: str, start: int, end: int) -> bool:
    return bool(_DOB_WORD.search(text[max(0, start - 40) : start] + " " + text[end : end + 25]))


def _full_year(year: str) -> int:
    y = int(year)
    if len(year) == 4:
        return y
    return 1900 + y if y > 30 else 2000 + y


def _dates(text: str, visit_year: int) -> Iterator[Match]:
    def candidates() -> Iterator[tuple[re.Match[str], int, int, int, bool]]:
        for m in _NUMERIC_DATE.finditer(text):  # day/month/year, the UK way
            yield m, _full_year(m.group(4)), int(m.group(3)), int(m.group(1)), len(m.group(4)) == 4
        for m in _ISO_DATE.finditer(text):
            yield m, int(m.group(1)), int(m.group(2)), int(m.group(3)), True
        for m in _DAY_MONTH.finditer(text):
            month = _MONTHS[m.group(2).lower().rstrip(".")]
            yield m, int(m.group(3)), month, int(m.group(1)), True
        for m in _MONTH_DAY.finditer(text):
            month = _MONTHS[m.group(1).lower().rstrip(".")]
            yield m, int(m.group(3)), month, int(m.group(2)), True

    seen: list[tuple[int, int]] = []
    for m, year, month, day, four_digit_year in candidates():
        try:
            date(year, month, day)
        except ValueError:
            continue
        near = _near_dob_word(text, m.start(), m.end())
        old = four_digit_year and year < visit_year - 1
        if (near or old) and not any(m.start() < e and s < m.end() for s, e in seen):
            seen.append((m.start(), m.end()))
            yield Match(DATE_OF_BIRTH, m.start(), m.end(), m.group(0))
    for m in _BORN_YEAR.finditer(text):
        if not any(m.start() < e and s < m.end() for s, e in seen):
            yield Match(DATE_OF_BIRTH, m.start(), m.end(), m.group(0))


def _emails(text: str) -> Iterator[Match]:
    for m in _EMAIL.finditer(text):
        yield Match(EMAIL, m.start(), m.end(), m.group(0))


def _phones(text: str) -> Iterator[Match]:
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        national = digits[2:] if m.group(0).startswith("+") else digits[1:]
        national = national.removeprefix("0") if m.group(0).startswith("+") else national
        if len(national) in (9, 10) and national[0] in "1235789":
            yield Match(PHONE, m.start(), m.end(), m.group(0).strip())


# -- what leaves the laptop ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivacyHit:
    """One thing in an outgoing text that may identify someone.

    ``where`` is (entity, entity id, field) of the text, for the window to open it; ``label`` is
    that place in a person's words; ``text`` is an excerpt around the hit and ``span`` the hit's
    place in the whole field's text.
    """

    where: tuple[str, str, str]
    label: str
    kind: str
    text: str
    span: tuple[int, int]
    match: str

    @property
    def key(self) -> str:
        """What the lead confirms: the same as long as this text still holds this hit."""
        return json.dumps([*self.where, self.kind, self.match], ensure_ascii=False)

    @property
    def kind_text(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)

    def message(self) -> str:
        """ "Finding 1 (Concern), Local team: possibly an NHS number, “943 476 5919”"."""
        return f"{self.label}: possibly {self.kind_text}, “{self.match}”"


@dataclass(frozen=True, slots=True)
class OutgoingText:
    where: tuple[str, str, str]
    label: str
    text: str


def outgoing_texts(data: VisitData) -> list[OutgoingText]:
    """Every text the report or the finalised findings carry, with where it is and its name."""
    out: list[OutgoingText] = []
    numbers = findings.numbers(data)
    for f in data.findings_for(None):
        label = findings.finding_label(data, f, numbers.get(f.id, 0))
        out.append(OutgoingText((FINDING, f.id, "text"), label, f.text))
        if f.immediate_risk:
            out.append(
                OutgoingText(
                    (FINDING, f.id, "escalated_to"), f"{label}, escalated to", f.escalated_to
                )
            )
            out.append(
                OutgoingText(
                    (FINDING, f.id, "escalated_how"), f"{label}, escalated how", f.escalated_how
                )
            )
        for photo_id in f.photos:
            photo = data.photos.get(photo_id)
            if photo is not None:
                where = (PHOTO, photo_id, "caption")
                out.append(OutgoingText(where, f"Photo caption in {label}", photo.caption))
        if f.observation_id and f.observation_id in data.observations:
            obs = data.observations[f.observation_id]
            where = (OBSERVATION, obs.id, "text")
            out.append(OutgoingText(where, f"Observation made into {label}", obs.text))
    components = {c.id: c.name for c in data.visit.components}
    for s in data.standards:
        for comp in s.applies_to:
            team = data.team_judgements.get(team_judgement_id(s.ref, comp))
            if team is not None and team.rationale:
                where = (TEAM_JUDGEMENT, team_judgement_id(s.ref, comp), "rationale")
                label = f"Team judgement of {s.ref}, {components.get(comp, comp)}"
                out.append(OutgoingText(where, label, team.rationale))
    for name, text in sorted(data.report_texts.items()):
        label = f"Report text: {REPORT_TEXT_NAMES.get(name, name.replace('_', ' '))}"
        out.append(OutgoingText((REPORT_TEXT, name, "text"), label, text))
    return [t for t in out if t.text.strip()]


def visit_year(data: VisitData) -> int:
    try:
        return date.fromisoformat(data.visit.start_date).year
    except ValueError:
        return date.today().year


def privacy_hits(data: VisitData) -> list[PrivacyHit]:
    """Every possible piece of personal data in what leaves the laptop, place by place."""
    year = visit_year(data)
    hits = []
    for item in outgoing_texts(data):
        for m in scan_text(item.text, year):
            hits.append(
                PrivacyHit(
                    where=item.where,
                    label=item.label,
                    kind=m.kind,
                    text=excerpt(item.text, m.start, m.end),
                    span=(m.start, m.end),
                    match=m.text,
                )
            )
    return hits


def unconfirmed(hits: list[PrivacyHit], confirmed: set[str] | frozenset[str]) -> list[PrivacyHit]:
    return [h for h in hits if h.key not in confirmed]


def excerpt(text: str, start: int, end: int, side: int = EXCERPT_SIDE) -> str:
    """The hit with a little text either side, on one line."""
    left, right = max(0, start - side), min(len(text), end + side)
    middle = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + middle + ("…" if right < len(text) else "")
