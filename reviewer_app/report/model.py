"""The review report as plain data: what it says, in the order DOMAIN.md gives, with no layout.

One model, rendered twice (``pdf.py``, ``docx.py``), so the PDF and the Word file can never say
different things. The builder reads only the visit's read model (:class:`VisitData`); it decides
every word and number (headings and their numbers, findings' numbers, the compliance figures) so
the renderers only lay them out.

Privacy (DESIGN.md, DOMAIN.md "Confidentiality"): nothing here carries a member id or a device id,
and reviewers' individual judgements are not in the report: only the team's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reviewer_app.lead.compliance import ComponentCompliance, compliance
from reviewer_app.lead.findings import numbers
from reviewer_app.report.images import OpenBlob, no_blobs
from reviewer_app.report.texts import (
    approval_text,
    comment_type_label,
    escalation_text,
    fill_template,
    load_templates,
    long_date,
    paragraphs,
    placeholders,
    readable_date,
    standards_set_text,
    visit_dates,
)
from reviewer_app.visit.model import CATEGORIES, JUDGEMENT_LABELS, Finding
from reviewer_app.visit.read_model import VisitData
from storage.attachments import SHA256_PATTERN
from sync.kit_model import PROVIDER, Component, Organisation, VisitDetails

# Headings of the findings' categories (DOMAIN.md order); "None identified" is said only for
# the categories a reader looks for first.
CATEGORY_HEADINGS = {
    "general": "General comments and achievements",
    "good_practice": "Good practice",
    "immediate_risk": "Immediate risks",
    "serious_concern": "Serious concerns",
    "concern": "Concerns",
    "further_consideration": "Further consideration",
}
SAY_WHEN_NONE = {
    "immediate_risk": "No immediate risks were identified.",
    "serious_concern": "No serious concerns were identified.",
}
WHOLE_SERVICE = "All services reviewed"


@dataclass(frozen=True, slots=True)
class FinalInfo:
    """What a finalised snapshot adds to its report: no DRAFT mark, a version and a hash; and,
    once the version is approved (``approved_at``), the approval: the report is then the
    **final report** and says "Final"."""

    version: int
    snapshot_id: str
    content_sha256: str
    signed_off_by: str
    signed_off_at: str
    approved_by: str = ""
    approved_at: str = ""
    conditions: str = ""

    @property
    def approved(self) -> bool:
        return bool(self.approved_at.strip() or self.approved_by.strip())


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One finalised version as the version history needs it, from its snapshot: who signed it
    off and when, and its ``findings.json``'s ``accuracy_answers`` (docs/after-the-visit.md)."""

    version: int
    signed_off_by: str  # a member id (named from the kit's team) or a name
    signed_off_at: str
    answers: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 0: a chapter or appendix; 1: within it; 2: a sub-heading (not in the contents)
    number: str
    title: str
    key: str  # unique within the report: a bookmark name

    @property
    def text(self) -> str:
        return f"{self.number}  {self.title}" if self.number else self.title


@dataclass(frozen=True, slots=True)
class Cover:
    programme: str
    title: str
    network: str
    organisations: tuple[str, ...]  # a role other than provider said after the name
    standards: str  # the Quality Standards set: "Title, V4, October 2018" ("" if unknown)
    visit_dates: str
    report_date: str
    version: str  # "V1 draft" or "V1"
    final_line: str  # "Version 1 · snapshot 1a2b3c4d5e6f" for a final report
    signed_off: str  # "Signed off by ... on ..." for a final report
    demo: bool
    status: str = ""  # "Final" once the version is approved
    approval: str = ""  # "Approved by ... on .... No conditions." once approved


@dataclass(frozen=True, slots=True)
class Passage:
    heading: Heading
    paragraphs: tuple[str, ...]
    placeholder: bool = False  # a draft's reminder, not the lead's words


@dataclass(frozen=True, slots=True)
class ServiceRow:
    reviewed_as: str
    site: str
    organisation: str
    patients: str = ""  # as visit.json gives it ("250", "about 250 adults"); "" when not given


@dataclass(frozen=True, slots=True)
class ReportPhoto:
    caption: str
    # The photo's file, read through the model's ``open_blob``; None when the finding names
    # neither a photo record nor a stored file. A file not on this laptop (or damaged) is
    # printed as "(photo not available)".
    sha256: str | None


@dataclass(frozen=True, slots=True)
class ReportFinding:
    number: str
    text: str
    refs: tuple[str, ...]
    photos: tuple[ReportPhoto, ...]
    escalation: str = ""  # immediate risks: how it was escalated


@dataclass(frozen=True, slots=True)
class CategoryFindings:
    heading: Heading
    category: str
    findings: tuple[ReportFinding, ...]
    when_none: str = ""


@dataclass(frozen=True, slots=True)
class ComponentFindings:
    heading: Heading
    component: str
    categories: tuple[CategoryFindings, ...]


@dataclass(frozen=True, slots=True)
class TeamRow:
    name: str
    role: str
    organisation: str


@dataclass(frozen=True, slots=True)
class StandardRow:
    ref: str
    title: str
    judgement: str
    comment: str


@dataclass(frozen=True, slots=True)
class SectionStandards:
    section: str
    rows: tuple[StandardRow, ...]


@dataclass(frozen=True, slots=True)
class ComponentStandards:
    heading: Heading
    component: str
    sections: tuple[SectionStandards, ...]


@dataclass(frozen=True, slots=True)
class AcceptedChange:
    """A provider's comment the lead accepted: the text as it was and as it is now."""

    item: str
    comment_type: str
    comment: str
    before: str
    after: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DeclinedComment:
    item: str
    comment_type: str
    comment: str
    reason: str


@dataclass(frozen=True, slots=True)
class VersionEntry:
    label: str  # "V1"
    date: str  # "4 December 2026"
    signed_off: str  # "Signed off by Dr A. Lead"
    summary: str  # what this version is, in a sentence
    accepted: tuple[AcceptedChange, ...] = ()
    declined: tuple[DeclinedComment, ...] = ()


@dataclass(frozen=True, slots=True)
class VersionHistory:
    heading: Heading
    entries: tuple[VersionEntry, ...]


@dataclass(frozen=True, slots=True)
class ReportModel:
    cover: Cover
    draft: bool
    footer_title: str
    introduction: Passage
    acknowledgements: Passage
    services_heading: Heading
    services: tuple[ServiceRow, ...]
    service_users: Passage
    findings_heading: Heading
    findings: tuple[ComponentFindings, ...]
    team_heading: Heading
    team: tuple[TeamRow, ...]
    appendix2_heading: Heading
    summary_heading: Heading
    summary: tuple[ComponentCompliance, ...]
    standards: tuple[ComponentStandards, ...]
    history: VersionHistory | None = None  # a finalised version's: V1, V2 ... and why
    # How the renderers read the photos (``BlobStore.open``: decrypted as they are read).
    open_blob: OpenBlob = field(default=no_blobs, compare=False, repr=False)

    @property
    def final(self) -> bool:
        """The final report: an approved version (says "Final" and its approval)."""
        return bool(self.cover.status)

    def headings(self) -> list[Heading]:
        """Every heading in document order (what the contents, outline and tests follow)."""
        out = [
            self.introduction.heading,
            self.acknowledgements.heading,
            self.services_heading,
            self.service_users.heading,
            self.findings_heading,
        ]
        for comp in self.findings:
            out.append(comp.heading)
            out.extend(cat.heading for cat in comp.categories)
        out += [self.team_heading, self.appendix2_heading, self.summary_heading]
        out.extend(c.heading for c in self.standards)
        if self.history is not None:
            out.append(self.history.heading)
        return out

    def contents(self) -> list[Heading]:
        return [h for h in self.headings() if h.level <= 1]

    @property
    def patients_column(self) -> bool:
        """Whether the services table shows patient numbers (only when the visit gives any)."""
        return any(r.patients for r in self.services)


# -- building ---------------------------------------------------------------------------------


def build_report_model(
    data: VisitData,
    *,
    open_blob: OpenBlob,
    final: FinalInfo | None = None,
    report_date: date | None = None,
    confirmation_due: date | None = None,
    history: Sequence[VersionRecord] = (),
) -> ReportModel:
    """The report of the visit as it stands: a draft, or the report of a finalised snapshot
    (``final``; with its approval, the final report). ``open_blob`` reads the photos when the
    model is rendered (``BlobStore.open``).

    ``confirmation_due``: when the immediate risks' written confirmations are due
    (``risks.laptop_due``), said of each escalated risk not yet confirmed. ``history``: the
    finalised versions up to this one, for the version history (an appendix; none without)."""
    visit = data.visit
    templates = load_templates()
    fill = placeholders(data)
    draft = final is None
    chapter = _Numbers()
    introduction = _passage(
        chapter.next(0, "Introduction"), data.report_texts, "introduction", templates, fill
    )
    acknowledgements = _passage(
        chapter.next(0, "Acknowledgements"), data.report_texts, "acknowledgements", templates, fill
    )
    services_heading = chapter.next(0, "The services reviewed")
    service_users = _service_users(
        chapter.next(0, "Views of service users and carers"), data, templates, draft=draft
    )
    findings_heading = chapter.next(0, "Review visit findings")
    findings = _findings(data, chapter, confirmation_due)
    team_heading = chapter.appendix("Membership of the review team")
    appendix2_heading = chapter.appendix("Compliance with the Quality Standards")
    summary_heading = chapter.next(1, "Summary of compliance")
    standards = _standards(data, chapter)
    version_history = (
        VersionHistory(chapter.appendix("Version history"), tuple(_history_entries(data, history)))
        if history
        else None
    )
    return ReportModel(
        cover=_cover(data, final, report_date or date.today()),
        draft=draft,
        footer_title=visit.title,
        introduction=introduction,
        acknowledgements=acknowledgements,
        services_heading=services_heading,
        services=_services(visit),
        service_users=service_users,
        findings_heading=findings_heading,
        findings=findings,
        team_heading=team_heading,
        team=tuple(TeamRow(m.name, _role(m.role, m.lead), m.organisation) for m in visit.team),
        appendix2_heading=appendix2_heading,
        summary_heading=summary_heading,
        summary=tuple(compliance(data)),
        standards=standards,
        history=version_history,
        open_blob=open_blob,
    )


class _Numbers:
    """Numbers headings as it goes: 1, 1.1, ...; appendices "Appendix 1", "A1.1", ..."""

    def __init__(self) -> None:
        self.chapter = 0
        self.appendix_no = 0
        self.sub = 0
        self.keys = 0

    def _key(self) -> str:
        self.keys += 1
        return f"h{self.keys}"

    def next(self, level: int, title: str) -> Heading:
        if level == 0:
            self.chapter += 1
            self.sub = 0
            return Heading(0, str(self.chapter), title, self._key())
        if level == 1:
            self.sub += 1
            prefix = f"A{self.appendix_no}" if self.appendix_no else str(self.chapter)
            return Heading(1, f"{prefix}.{self.sub}", title, self._key())
        return Heading(level, "", title, self._key())

    def appendix(self, title: str) -> Heading:
        self.appendix_no += 1
        self.sub = 0
        return Heading(0, f"Appendix {self.appendix_no}", title, self._key())


def _passage(
    heading: Heading,
    texts: Mapping[str, str],
    name: str,
    templates: Mapping[str, str],
    fill: Mapping[str, str],
) -> Passage:
    """The lead's edited text wins; else the template filled with the visit's details."""
    own = texts.get(name, "")
    if own.strip():
        return Passage(heading, paragraphs(own))
    return Passage(heading, paragraphs(fill_template(templates.get(name, ""), fill)))


def _service_users(
    heading: Heading, data: VisitData, templates: Mapping[str, str], *, draft: bool
) -> Passage:
    own = data.report_texts.get("service_users", "")
    if own.strip():
        return Passage(heading, paragraphs(own))
    if draft:
        return Passage(heading, (templates["service_users_placeholder"],), placeholder=True)
    return Passage(heading, (templates["service_users_none"],))


def _role(role: str, lead: bool) -> str:
    return f"{role} (lead reviewer)" if lead else role


def _cover(data: VisitData, final: FinalInfo | None, report_date: date) -> Cover:
    visit = data.visit
    status = approval = ""
    if final is None:
        version, final_line, signed_off = "V1 draft", "", ""
    else:
        version = f"V{final.version}"
        final_line = f"Version {final.version} · snapshot {final.content_sha256[:12]}"
        member = visit.member(final.signed_off_by)
        who = member.name if member else final.signed_off_by
        signed_off = f"Signed off by {who} on {readable_date(final.signed_off_at)}"
        if final.approved:
            status = "Final"
            approval = approval_text(final.approved_by, final.approved_at, final.conditions)
    return Cover(
        programme=visit.programme,
        title=visit.title,
        network=visit.network,
        organisations=tuple(_organisation(o) for o in visit.organisations),
        standards=standards_set_text(data.standards_set),
        visit_dates=visit_dates(visit),
        report_date=long_date(report_date),
        version=version,
        final_line=final_line,
        signed_off=signed_off,
        demo=data.demo,
        status=status,
        approval=approval,
    )


def _member_name(data: VisitData, who: str) -> str:
    member = data.visit.member(who)
    return member.name if member else who


def _history_entries(data: VisitData, history: Sequence[VersionRecord]) -> list[VersionEntry]:
    """V1: its date and who signed it off; each later version the same, then what changed
    since the one before and why: each accepted provider comment (the item, its type, the text
    before and after), each declined one (the reason)."""
    out = []
    for record in sorted(history, key=lambda r: r.version):
        accepted, declined = [], []
        for a in record.answers:
            item = str(a.get("item_label") or a.get("item_id") or "")
            kind = comment_type_label(str(a.get("comment_type", "")))
            comment = str(a.get("comment", ""))
            reason = str(a.get("reason", "") or "")
            if a.get("decision") == "accepted":
                before, after = str(a.get("before", "")), str(a.get("after", ""))
                accepted.append(AcceptedChange(item, kind, comment, before, after, reason))
            else:
                declined.append(DeclinedComment(item, kind, comment, reason))
        out.append(
            VersionEntry(
                label=f"V{record.version}",
                date=readable_date(record.signed_off_at),
                signed_off=f"Signed off by {_member_name(data, record.signed_off_by)}",
                summary=_version_summary(record.version, len(accepted), len(declined)),
                accepted=tuple(accepted),
                declined=tuple(declined),
            )
        )
    return out


def _version_summary(version: int, accepted: int, declined: int) -> str:
    if version == 1:
        return "The first version, sent to the organisations reviewed for factual accuracy."
    if not accepted and not declined:
        return f"Amended by the review team since V{version - 1}; no provider comments answered."
    return (
        f"After the factual accuracy check of V{version - 1}: "
        f"{_count(accepted, 'comment')} accepted, {declined} declined."
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _organisation(org: Organisation) -> str:
    """An organisation as the cover lists it: its name, and its role unless it provides."""
    role = org.role.strip()
    return org.name if role.casefold() == PROVIDER else f"{org.name} ({role})"


def patients_text(comp: Component) -> str:
    """A component's patient numbers as the services table shows them: "1,250" or the
    visit's own words; "" when not given."""
    if isinstance(comp.patients, int):
        return f"{comp.patients:,}"
    return comp.patients.strip()


def _services(visit: VisitDetails) -> tuple[ServiceRow, ...]:
    """One row per component (what was reviewed), with its site and that site's organisation;
    then any site no component names, as the kit says it was reviewed."""
    sites = {s.id: s for s in visit.sites}
    orgs = {o.id: o.name for o in visit.organisations}
    rows = []
    for comp in visit.components:
        site = sites.get(comp.site)
        rows.append(
            ServiceRow(
                reviewed_as=comp.name,
                site=site.name if site else "Not site-based",
                organisation=orgs.get(site.organisation, site.organisation) if site else "",
                patients=patients_text(comp),
            )
        )
    named = {c.site for c in visit.components}
    for site in visit.sites:
        if site.id not in named:
            org = orgs.get(site.organisation, site.organisation)
            rows.append(ServiceRow(site.reviewed_as or "-", site.name, org))
    return tuple(rows)


def _findings(
    data: VisitData, chapter: _Numbers, due: date | None
) -> tuple[ComponentFindings, ...]:
    groups: list[tuple[str, str]] = []
    if any(f.component == "" for f in data.findings.values()):
        groups.append(("", WHOLE_SERVICE))
    groups += [(c.id, c.name) for c in data.visit.components]
    numbered = numbers(data)  # the numbers the window, the sheet and the privacy check use
    out = []
    for comp_id, name in groups:
        heading = chapter.next(1, name)
        found = data.findings_for(comp_id)
        categories = []
        for cat in CATEGORIES:
            items = [f for f in found if f.category == cat]
            # "None identified" is said per component, not for the whole-service group.
            if not items and (cat not in SAY_WHEN_NONE or comp_id == ""):
                continue
            categories.append(
                CategoryFindings(
                    heading=chapter.next(2, CATEGORY_HEADINGS[cat]),
                    category=cat,
                    findings=tuple(_finding(data, f, str(numbered[f.id]), due) for f in items),
                    when_none=SAY_WHEN_NONE.get(cat, ""),
                )
            )
        out.append(ComponentFindings(heading, comp_id, tuple(categories)))
    return tuple(out)


def _finding(data: VisitData, f: Finding, number: str, due: date | None) -> ReportFinding:
    photos = []
    for photo_id in f.photos:
        photo = data.photos.get(photo_id)
        sha = photo.sha256 if photo else photo_id
        caption = (photo.caption if photo else "") or "Photograph"
        photos.append(ReportPhoto(caption, sha if sha and SHA256_PATTERN.match(sha) else None))
    escalation = escalation_text(f, due) if f.immediate_risk else ""
    return ReportFinding(number, f.text, tuple(f.refs), tuple(photos), escalation)


def _standards(data: VisitData, chapter: _Numbers) -> tuple[ComponentStandards, ...]:
    out = []
    for comp in data.visit.components:
        heading = chapter.next(1, comp.name)
        by_section: dict[str, list[StandardRow]] = {}
        for s in data.standards_for(comp.id):
            team = data.team_judgement(s.ref, comp.id)
            by_section.setdefault(s.section, []).append(
                StandardRow(s.ref, s.title, JUDGEMENT_LABELS[team.value], team.rationale)
            )
        order = {name: i for i, name in enumerate(data.sections)}
        sections = sorted(by_section, key=lambda name: order.get(name, len(order)))
        out.append(
            ComponentStandards(
                heading,
                comp.id,
                tuple(SectionStandards(name, tuple(by_section[name])) for name in sections),
            )
        )
    return tuple(out)
