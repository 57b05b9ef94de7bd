"""The Quality Surveillance Group summary (DOMAIN.md step 9): per provider, each immediate risk
and serious concern of an approved or published report, what was found, when, who was told and
when, when the written confirmation was due and sent, and its status since.

The data is the central service's (``GET /v1/programme/qsg``, :mod:`sync.server.programme`);
this module makes the summary's model, checks its text for anything that could identify a
patient (the lead's privacy check, :mod:`reviewer_app.lead.privacy`: NHS numbers, dates of
birth, email addresses, phone numbers), and writes it as CSV; :mod:`qsg_pdf` prints it.

The summary leaves the review service, so a hit refuses writing (:class:`PrivacyRefused`,
listing each hit) until staff confirm it is meant (its :attr:`QsgPrivacyHit.key` in
``confirmed``) or the text is corrected in the visit.

The CSV is for spreadsheets: UTF-8 with a byte order mark (Excel then reads it as UTF-8), and a
cell that starts with = + - @, a tab or a carriage return gets an apostrophe in front, so it
shows as text and never runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reviewer_app.lead.privacy import KIND_WORDS, excerpt, scan_text
from reviewer_app.report.programme import (
    CATEGORY_WORDS,
    STATE_WORDS,
    STATUS_WORDS,
    RiskLine,
    risk_line,
    sort_risks,
)
from reviewer_app.report.texts import long_date, readable_date
from storage.files import replacing
from sync.progress import Progress

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "Provider",
    "Category",
    "What was found",
    "Service",
    "Visit",
    "Visit date",
    "Report version",
    "Report approved",
    "Report published",
    "Told to",
    "Told on",
    "Told how",
    "Written confirmation due",
    "Written confirmation sent",
    "Status",
)
CHECKED_FIELDS = ("text", "escalated_to", "escalated_how")
FIELD_WORDS = {"text": "text", "escalated_to": "who was told", "escalated_how": "how told"}


@dataclass(frozen=True, slots=True)
class QsgItem:
    """One immediate risk or serious concern as the service sent it (``raw``) and as read."""

    raw: dict[str, Any]
    line: RiskLine


@dataclass(frozen=True, slots=True)
class QsgSummary:
    programme: str
    report_date: str
    visits: tuple[str, ...]  # "Review of ..., 3 December 2026 (V2, approved)"
    items: tuple[QsgItem, ...]  # by provider, immediate risks first

    @property
    def title(self) -> str:
        return "Summary for the Quality Surveillance Group"

    @property
    def providers(self) -> list[tuple[str, list[QsgItem]]]:
        out: dict[str, list[QsgItem]] = {}
        for item in self.items:
            out.setdefault(item.line.organisation, []).append(item)
        return list(out.items())


def build_qsg_summary(data: dict[str, Any], today: date | None = None) -> QsgSummary:
    """The summary's model from ``GET /v1/programme/qsg``'s JSON."""
    raws = [i for p in data.get("providers", []) for i in p.get("items", [])]
    items = tuple(QsgItem(r, risk_line(r)) for r in sort_risks(raws))
    visits = tuple(_visit_text(v) for v in data.get("visits", []))
    return QsgSummary(
        programme=data.get("programme", ""),
        report_date=long_date(today or date.today()),
        visits=visits,
        items=items,
    )


def _visit_text(v: dict[str, Any]) -> str:
    when = readable_date(v.get("end_date") or v.get("start_date", ""))
    state = STATE_WORDS.get(v.get("state", ""), str(v.get("state", ""))).lower()
    return f"{v['title']}, {when} (V{v.get('version', 1)}, {state})"


# -- the privacy check ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QsgPrivacyHit:
    label: str  # "Northgate Hospitals NHS Trust, immediate risk 1 (Review of ...), text"
    kind: str
    match: str
    text: str  # an excerpt around the hit
    key: str  # what staff confirm

    def message(self) -> str:
        return f"{self.label}: possibly {KIND_WORDS.get(self.kind, self.kind)}, “{self.match}”"


class PrivacyRefused(ValueError):
    """The summary holds text that may identify a patient; nothing was written."""

    def __init__(self, hits: list[QsgPrivacyHit]) -> None:
        lines = "\n".join(f"- {h.message()}" for h in hits)
        super().__init__(
            "The QSG summary may identify a patient; correct the text in the visit (or confirm "
            f"each is meant) before it leaves:\n{lines}"
        )
        self.hits = hits


def privacy_hits(summary: QsgSummary) -> list[QsgPrivacyHit]:
    """Everything in the summary's text that may identify a patient or a member of staff."""
    hits = []
    for item in summary.items:
        raw = item.raw
        try:
            year = date.fromisoformat(str(raw.get("visit_date", ""))[:10]).year
        except ValueError:
            year = date.today().year
        category = CATEGORY_WORDS.get(raw.get("category", ""), "finding").lower()
        label = f"{item.line.organisation}, {category} {raw.get('number') or ''}".rstrip()
        label += f" ({raw.get('visit_title', '')})"
        for name in CHECKED_FIELDS:
            text = str(raw.get(name, "") or "")
            for m in scan_text(text, year):
                key = json.dumps(
                    [raw.get("visit_id"), raw.get("category"), raw.get("number"), name, m.text],
                    ensure_ascii=False,
                )
                hits.append(
                    QsgPrivacyHit(
                        label=f"{label}, {FIELD_WORDS[name]}",
                        kind=m.kind,
                        match=m.text,
                        text=excerpt(text, m.start, m.end),
                        key=key,
                    )
                )
    return hits


def check_privacy(summary: QsgSummary, confirmed: Iterable[str] = ()) -> None:
    """Refuse (:class:`PrivacyRefused`) while any hit is not confirmed."""
    allowed = set(confirmed)
    left = [h for h in privacy_hits(summary) if h.key not in allowed]
    if left:
        raise PrivacyRefused(left)


# -- CSV ----------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: one that starts like a formula gets an apostrophe
    ("-" alone, an empty figure, is no formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and value != "-":
        return "'" + value
    return value


def csv_rows(summary: QsgSummary) -> list[list[str]]:
    rows = []
    for item in summary.items:
        r = item.raw
        rows.append(
            [
                item.line.organisation,
                item.line.category,
                item.line.text,
                r.get("component_name") or "The whole service",
                r.get("visit_title", ""),
                r.get("visit_date", ""),
                f"V{r.get('version', 1)}",
                (r.get("approved_at") or "")[:10],
                (r.get("published_at") or "")[:10],
                r.get("escalated_to", ""),
                r.get("escalated_at", ""),
                r.get("escalated_how", ""),
                r.get("confirmation_due", ""),
                r.get("confirmation_sent", ""),
                STATUS_WORDS.get(r.get("status", ""), str(r.get("status", ""))),
            ]
        )
    return rows


def qsg_csv(summary: QsgSummary) -> str:
    """The summary as CSV text (no byte order mark; :func:`write_qsg_csv` adds it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([csv_cell(v) for v in row] for row in csv_rows(summary))
    return buf.getvalue()


def write_qsg_csv(summary: QsgSummary, out: Path, *, confirmed: Iterable[str] = ()) -> Path:
    """Write the CSV (UTF-8 with BOM) after the privacy check; PrivacyRefused on a hit."""
    check_privacy(summary, confirmed)
    out = Path(out)
    with replacing(out, temp=out.with_name(f".{out.name}.part")) as tmp:
        tmp.write_bytes(qsg_csv(summary).encode("utf-8-sig"))
    return out


def render_qsg_pdf(
    summary: QsgSummary,
    out: Path,
    progress: Progress | None = None,
    *,
    confirmed: Iterable[str] = (),
) -> Path:
    """Write the summary as a PDF after the privacy check; PrivacyRefused on a hit."""
    check_privacy(summary, confirmed)
    from reviewer_app.report.qsg_pdf import render  # noqa: PLC0415 - reportlab on demand

    return render(summary, out, progress)
