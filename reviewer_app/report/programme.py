"""The programme overview report (DOMAIN.md step 9): the model, built from the service's data.

The central service computes the overview (``GET /v1/programme/overview``,
:mod:`sync.server.programme`, docs/after-the-visit.md): this module only arranges that data for a
reader, and :mod:`reviewer_app.report.programme_pdf` and :mod:`~reviewer_app.report.programme_docx`
render it, with the visit report's fonts, styles, "Page X of Y" and repeated table headers.

The compliance table reads like a heat map: standards as rows grouped by section, one column per
organisation and component reviewed, each cell a colour **and** a symbol (so it reads in grey
and to a colour-blind reader): ✓ met, ✗ not met, – not applicable, ? not yet assessed, blank
where the standard does not apply. Columns are split into groups that fit the page, an
organisation's columns kept together; with many columns the document is landscape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reviewer_app.report.texts import long_date, readable_date
from reviewer_app.visit.model import RISK_STATUSES
from sync.compliance import percent_text
from sync.progress import Progress

MET, NOT_MET, NOT_APPLICABLE, NOT_ASSESSED = "met", "not_met", "not_applicable", "not_assessed"
SYMBOLS = {MET: "✓", NOT_MET: "✗", NOT_APPLICABLE: "–", NOT_ASSESSED: "?"}
WORDS = {
    MET: "Met",
    NOT_MET: "Not met",
    NOT_APPLICABLE: "Not applicable",
    NOT_ASSESSED: "Not yet assessed",
}
# Light fills that stay apart in grey and for red-green colour blindness (blue against orange);
# the symbol carries the meaning either way.
FILLS = {MET: "#CFE3F3", NOT_MET: "#F9C78E", NOT_APPLICABLE: "#E8EDEE", NOT_ASSESSED: "#FFFFFF"}
CATEGORY_WORDS = {"immediate_risk": "Immediate risk", "serious_concern": "Serious concern"}
STATUS_WORDS = {**RISK_STATUSES, "": "No escalation recorded"}  # serious concerns keep none
STATE_WORDS = {
    "accepted": "Accepted",
    "approved": "Approved",
    "published": "Published",
    "received": "Received",
    "has_issues": "Has issues",
}
PORTRAIT_COLUMNS = 10  # more columns than this and the document is landscape
MOST_NOT_MET_SHOWN = 15
# The heat map's geometry in cm, the same in the PDF and the DOCX: ref, % met, one judgement
# cell, the least room for a standard's title, and the height of the columns' turned labels.
REF_CM, PCT_CM, CELL_CM, TITLE_MIN_CM, LABEL_CM = 1.9, 1.3, 0.72, 6.2, 4.4
A4_CM = (21.0, 29.7)
MARGIN_CM = 2.0


def heat_map_layout(frame_cm: float, columns: int) -> tuple[float, int]:
    """(the standard title's width in cm, how many columns a group holds) at ``frame_cm``."""
    per_group = max(1, int((frame_cm - REF_CM - PCT_CM - TITLE_MIN_CM) // CELL_CM))
    shown = min(per_group, max(1, columns))
    return frame_cm - REF_CM - PCT_CM - shown * CELL_CM, per_group


@dataclass(frozen=True, slots=True)
class VisitLine:
    visit_id: str
    title: str
    organisations: str
    dates: str
    version: str
    state: str
    letter: str  # A, B, ... the column codes' first part


@dataclass(frozen=True, slots=True)
class Column:
    code: str  # "B2": the visit's letter, the component's number
    visit_id: str
    organisation: str
    component: str
    applicable: int
    met: int
    percent: str


@dataclass(frozen=True, slots=True)
class StandardRow:
    ref: str
    title: str
    cells: tuple[str | None, ...]
    applicable: int
    met: int
    not_met: int
    percent: str


@dataclass(frozen=True, slots=True)
class SectionRows:
    section: str
    rows: tuple[StandardRow, ...]


@dataclass(frozen=True, slots=True)
class OrganisationLine:
    organisation: str
    visits: int
    applicable: int
    met: int
    not_met: int
    percent: str


@dataclass(frozen=True, slots=True)
class NotMetLine:
    ref: str
    title: str
    section: str
    not_met: int
    applicable: int
    organisations: str


@dataclass(frozen=True, slots=True)
class PracticeLine:
    organisation: str
    text: str
    where: str  # "Specialist Haemoglobinopathy Centre, review of ... (finding 2)"
    refs: str


@dataclass(frozen=True, slots=True)
class RiskLine:
    organisation: str
    category: str  # "Immediate risk" | "Serious concern"
    text: str
    where: str  # component, visit
    found: str  # the visit's date, readable
    told: str  # "Chief Executive, 3 December 2026, by phone" or ""
    confirmation: str  # "due 7 December 2026; sent 5 December 2026"
    status: str
    refs: str


@dataclass(frozen=True, slots=True)
class ColumnGroup:
    """Columns shown side by side on one page width (an organisation's kept together)."""

    indices: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ProgrammeOverview:
    programme: str
    report_date: str
    visits: tuple[VisitLine, ...]
    columns: tuple[Column, ...]
    sections: tuple[SectionRows, ...]
    organisations: tuple[OrganisationLine, ...]
    most_not_met: tuple[NotMetLine, ...]
    good_practice: tuple[PracticeLine, ...]
    risks: tuple[RiskLine, ...]

    @property
    def title(self) -> str:
        return "Programme overview"

    @property
    def landscape(self) -> bool:
        return len(self.columns) > PORTRAIT_COLUMNS

    @property
    def page_cm(self) -> tuple[float, float]:
        """The page's (width, height) in cm."""
        return (A4_CM[1], A4_CM[0]) if self.landscape else A4_CM

    @property
    def frame_cm(self) -> float:
        return self.page_cm[0] - 2 * MARGIN_CM

    @property
    def totals(self) -> tuple[int, int, str]:
        applicable = sum(c.applicable for c in self.columns)
        met = sum(c.met for c in self.columns)
        return applicable, met, percent_text(met, applicable)

    def column_groups(self, per_group: int) -> list[ColumnGroup]:
        """The columns in as few groups of at most ``per_group`` as can be, of sizes as even as
        can be, each visit's columns kept together (unless one visit alone has more than a
        group holds)."""
        runs: list[list[int]] = []
        for i, column in enumerate(self.columns):
            if runs and self.columns[runs[-1][0]].visit_id == column.visit_id:
                runs[-1].append(i)
            else:
                runs.append([i])
        pieces = [run[k : k + per_group] for run in runs for k in range(0, len(run), per_group)]
        fewest = _pack(pieces, per_group)
        target = -(-len(self.columns) // max(1, len(fewest)))
        while target < per_group:  # the smallest size that needs no more groups
            packed = _pack(pieces, target)
            if len(packed) <= len(fewest):
                return [ColumnGroup(tuple(g)) for g in packed]
            target += 1
        return [ColumnGroup(tuple(g)) for g in fewest]


def _pack(pieces: Sequence[list[int]], size: int) -> list[list[int]]:
    """The pieces in order, in groups of at most ``size`` (a larger piece alone)."""
    groups: list[list[int]] = []
    for piece in pieces:
        if groups and len(groups[-1]) + len(piece) <= size:
            groups[-1].extend(piece)
        else:
            groups.append(list(piece))
    return groups


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value}%"


def _letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("A") + r) + out
    return out


def _dates(start: str, end: str) -> str:
    if not end or end == start:
        return readable_date(start)
    return f"{readable_date(start)} to {readable_date(end)}"


def build_programme_overview(data: dict[str, Any], today: date | None = None) -> ProgrammeOverview:
    """The report's model from ``GET /v1/programme/overview``'s JSON."""
    visits = []
    letter_of: dict[str, str] = {}
    title_of: dict[str, str] = {}
    for i, v in enumerate(data.get("visits", [])):
        letter_of[v["visit_id"]] = _letters(i)
        title_of[v["visit_id"]] = v["title"]
        visits.append(
            VisitLine(
                visit_id=v["visit_id"],
                title=v["title"],
                organisations="; ".join(v.get("organisations", [])),
                dates=_dates(v.get("start_date", ""), v.get("end_date", "")),
                version=f"V{v.get('version', 1)}",
                state=STATE_WORDS.get(v.get("state", ""), str(v.get("state", ""))),
                letter=_letters(i),
            )
        )
    numbers: dict[str, int] = {}
    columns = []
    for c in data.get("columns", []):
        numbers[c["visit_id"]] = numbers.get(c["visit_id"], 0) + 1
        columns.append(
            Column(
                code=f"{letter_of.get(c['visit_id'], '?')}{numbers[c['visit_id']]}",
                visit_id=c["visit_id"],
                organisation=c["organisation"],
                component=c.get("component_name") or c["component"],
                applicable=c["applicable"],
                met=c["met"],
                percent=_pct(c.get("percent_met")),
            )
        )
    return ProgrammeOverview(
        programme=data.get("programme", ""),
        report_date=long_date(today or date.today()),
        visits=tuple(visits),
        columns=tuple(columns),
        sections=_sections(data),
        organisations=tuple(
            OrganisationLine(
                o["organisation"],
                o["visits"],
                o["applicable"],
                o["met"],
                o["not_met"],
                _pct(o.get("percent_met")),
            )
            for o in data.get("organisations", [])
        ),
        most_not_met=tuple(
            NotMetLine(
                m["ref"],
                m["title"],
                m["section"],
                m["not_met"],
                m["applicable"],
                "; ".join(m.get("organisations", [])),
            )
            for m in data.get("most_not_met", [])[:MOST_NOT_MET_SHOWN]
        ),
        good_practice=tuple(
            PracticeLine(
                organisation=g["organisation"],
                text=g["text"],
                where=_where(g, title_of.get(g["visit_id"], "")),
                refs=", ".join(g.get("refs", [])),
            )
            for g in sorted(
                data.get("good_practice", []), key=lambda g: str(g["organisation"]).casefold()
            )
        ),
        risks=tuple(risk_lines(data.get("risks", []))),
    )


def _sections(data: dict[str, Any]) -> tuple[SectionRows, ...]:
    rows: dict[str, list[StandardRow]] = {s: [] for s in data.get("sections", [])}
    for s in data.get("standards", []):
        rows.setdefault(s["section"], []).append(
            StandardRow(
                ref=s["ref"],
                title=s["title"],
                cells=tuple(s["cells"]),
                applicable=s["applicable"],
                met=s["met"],
                not_met=s["not_met"],
                percent=_pct(s.get("percent_met")),
            )
        )
    return tuple(SectionRows(name, tuple(r)) for name, r in rows.items() if r)


def _where(item: dict[str, Any], visit_title: str) -> str:
    number = f" (finding {item['number']})" if item.get("number") else ""
    component = item.get("component_name") or "The whole service"
    return f"{component}{number}; {visit_title or item.get('visit_title', '')}"


def sort_risks(risks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """By organisation, immediate risks before serious concerns, then by the visit's date."""
    order = {c: i for i, c in enumerate(CATEGORY_WORDS)}
    return sorted(
        risks,
        key=lambda r: (
            str(r["organisation"]).casefold(),
            order.get(r["category"], len(order)),
            r.get("visit_date", ""),
        ),
    )


def risk_line(r: dict[str, Any]) -> RiskLine:
    """An immediate risk or serious concern as the documents print it."""
    return RiskLine(
        organisation=r["organisation"],
        category=CATEGORY_WORDS.get(r["category"], r["category"]),
        text=r["text"],
        where=_where(r, r.get("visit_title", "")),
        found=readable_date(r.get("visit_date", "")),
        told=told_text(r),
        confirmation=confirmation_text(r),
        status=STATUS_WORDS.get(r.get("status", ""), str(r.get("status", ""))),
        refs=", ".join(r.get("refs", [])),
    )


def risk_lines(risks: Sequence[dict[str, Any]]) -> list[RiskLine]:
    return [risk_line(r) for r in sort_risks(risks)]


def told_text(r: dict[str, Any]) -> str:
    """Who was told, when and how: "ICB Chief Nurse, 3 December 2026, by phone"."""
    if not str(r.get("escalated_to", "")).strip():
        return ""
    parts = [r["escalated_to"].strip()]
    if str(r.get("escalated_at", "")).strip():
        parts.append(readable_date(r["escalated_at"]))
    if str(r.get("escalated_how", "")).strip():
        parts.append(f"by {r['escalated_how'].strip()}")
    return ", ".join(parts)


def confirmation_text(r: dict[str, Any]) -> str:
    due, sent = str(r.get("confirmation_due", "")), str(r.get("confirmation_sent", ""))
    parts = []
    if due.strip():
        parts.append(f"due {readable_date(due)}")
    if sent.strip():
        parts.append(f"sent {readable_date(sent)}")
    elif due.strip():
        parts.append("not yet sent")
    return "; ".join(parts)


def render_programme_pdf(
    model: ProgrammeOverview, out: Path, progress: Progress | None = None
) -> Path:
    """Write the programme overview as a PDF and return ``out``."""
    from reviewer_app.report.programme_pdf import render  # noqa: PLC0415 - reportlab on demand

    return render(model, out, progress)


def render_programme_docx(
    model: ProgrammeOverview, out: Path, progress: Progress | None = None
) -> Path:
    """Write the programme overview as a Word document and return ``out``."""
    from reviewer_app.report.programme_docx import render  # noqa: PLC0415 - python-docx on demand

    return render(model, out, progress)
