"""A worked demo visit: the whole team's work merged on the lead's laptop, ready for the lead.

``reviewer-app demo visit`` makes one so that the lead's screens, the report and finalisation
can be tried (and benchmarked) on something that looks like the end of a real visit day:

- the demo kit (or a synthetic one of ``--standards`` standards), signed with the demo key, under
  a fresh visit id each time, opened as the lead;
- judgements from several reviewers, each on their own device with their own clock, merged
  through the same import rules as a bundle (so some disagree, as real ones do);
- the lead's team judgements with rationales for most, leaving a few disagreements unsettled
  and one standard "not assessed, with a reason";
- findings in every category for every component, linked to standards, one promoted from a
  reviewer's observation, immediate risks escalated (one confirmed), photos (small JPEGs made
  with Pillow and stored through the normal photo path) and the report's editable passages.

The findings, escalations, photos and report texts go through the session's named operations,
exactly as the window makes them. The bulk judgements are merged as operations (as an import
does), which is quick even for hundreds of standards.
"""

from __future__ import annotations

import io
import random
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import (
    DEMO_CREATED_BY,
    DEMO_PRIVATE_KEY,
    demo_evidence,
    demo_self_assessment,
    demo_standards,
    demo_visit,
    synthetic_standards,
)
from reviewer_app.demo.texts import (
    EXTRA_NAMES,
    FINDING_TEXTS,
    MET_RATIONALES,
    NOT_APPLICABLE_REASONS,
    NOT_MET_REASONS,
    OBSERVATIONS,
    REPORT_TEXTS,
    finding_texts,
)
from reviewer_app.lead import findings as finding_rules
from reviewer_app.team.bundles import team_rules
from reviewer_app.visit.model import (
    CATEGORIES,
    JUDGEMENT,
    MET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_MET,
    OBSERVATION,
    TEAM_JUDGEMENT,
    judgement_id,
    parse_judgement_id,
    team_judgement_id,
)
from reviewer_app.visit.session import Change, VisitSession
from reviewer_app.visit.workspaces import open_kit, open_session, open_workspace, workspace_path
from storage import HybridClock, Op
from sync.kit_model import Member, StandardsSet, VisitDetails
from sync.progress import Progress, no_progress

WORRIES = ("immediate_risk", "serious_concern", "concern")  # linked to standards not met
PICTURED = ("immediate_risk", "serious_concern", "concern", "good_practice")
MAX_REVIEWERS = 40
MAX_STANDARDS = 5000
MAX_PHOTOS = 200
DEFAULT_PHOTOS = 4
UNSETTLED = 3  # disagreements left for the lead to settle


@dataclass(frozen=True, slots=True)
class DemoVisitOptions:
    reviewers: int | None = None  # default: the demo team's five reviewers
    standards: int | None = None  # default: the demo kit's 60 standards
    photos: int | None = None
    seed: int = 11


def create_demo_visit(
    paths: AppPaths, options: DemoVisitOptions | None = None, progress: Progress | None = None
) -> str:
    """Make a worked demo visit on this laptop (as its lead); return its visit id."""
    options = options or DemoVisitOptions()
    _check(options)
    say = progress or no_progress
    rng = random.Random(options.seed)
    say(0, 1, "Building the demo kit")
    visit, standards = _visit_and_standards(options)
    kit = _build_kit(paths, visit, standards, synthetic=options.standards is not None)
    lead = visit.lead
    assert lead is not None, "the demo visit has a lead"
    try:
        opened = open_kit(kit, lead.member_id, paths=paths, demo=True)
    finally:
        kit.unlink(missing_ok=True)
    say(1, 1, "Building the demo kit")
    say(0, 1, "Merging the team's judgements")
    reviewers = [m for m in visit.team if not m.lead]
    with open_workspace(paths, workspace_path(paths, opened.visit_id)) as ws:
        ops = _reviewers_work(rng, visit, standards, reviewers)
        ws.apply_ops(ops, accept=team_rules(visit))
        ws.apply_ops(
            _team_judgements(
                rng,
                visit=visit,
                standards=standards,
                reviewer_ops=ops,
                device=ws.device_id,
                lead=lead,
            ),
            accept=None,
        )
    say(1, 1, "Merging the team's judgements")
    session = open_session(paths, opened.visit_id).result(timeout=120)
    try:
        _leads_work(session, rng, options.photos, say)
    finally:
        session.close()
    return opened.visit_id


def _check(options: DemoVisitOptions) -> None:
    limits = (
        ("--reviewers", options.reviewers, 0, MAX_REVIEWERS),
        ("--standards", options.standards, 1, MAX_STANDARDS),
        ("--photos", options.photos, 0, MAX_PHOTOS),
    )
    for flag, value, low, high in limits:
        if value is not None and not low <= value <= high:
            raise UserError(f"{flag} must be between {low} and {high}, not {value}")


def _visit_and_standards(options: DemoVisitOptions) -> tuple[VisitDetails, StandardsSet]:
    visit = demo_visit()
    team = list(visit.team)
    lead = [m for m in team if m.lead]
    reviewers = [m for m in team if not m.lead]
    wanted = len(reviewers) if options.reviewers is None else options.reviewers
    for i in range(len(reviewers), wanted):
        name, role = EXTRA_NAMES[i % len(EXTRA_NAMES)]
        suffix = f" ({i // len(EXTRA_NAMES) + 1})" if i >= len(EXTRA_NAMES) else ""
        reviewers.append(
            Member(
                member_id=f"m-rev{i + 1}",
                name=name + suffix,
                role=role,
                organisation="Wealdshire Hospitals NHS Foundation Trust",
                lead=False,
            )
        )
    visit = replace(
        visit,
        visit_id=str(uuid.uuid4()),
        title=f"{visit.title} (worked demo)",
        team=tuple(lead + reviewers[:wanted]),
    )
    if options.standards is None:
        kept = {m.member_id for m in visit.team}
        timetable = tuple(
            replace(s, attendees=tuple(a for a in s.attendees if a in kept))
            for s in visit.timetable
        )
        return replace(visit, timetable=timetable), demo_standards()
    standards = synthetic_standards(options.standards, [c.id for c in visit.components])
    return replace(visit, timetable=()), standards


def _build_kit(
    paths: AppPaths, visit: VisitDetails, standards: StandardsSet, *, synthetic: bool
) -> Path:
    from sync.keys import load_signing_key  # noqa: PLC0415 - the kit machinery, only here
    from sync.kit_builder import build_kit  # noqa: PLC0415

    paths.cache.mkdir(parents=True, exist_ok=True)
    out = paths.cache / f"demo-visit-{visit.visit_id}.rvkit"
    build_kit(
        out,
        visit=visit,
        standards=standards,
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by=DEMO_CREATED_BY,
        self_assessment=() if synthetic else demo_self_assessment(),
        evidence=[] if synthetic else demo_evidence(),
    )
    return out


# -- the reviewers' work, as their bundles would bring it --------------------------------------


def _truth(rng: random.Random) -> str:
    roll = rng.random()
    return MET if roll < 0.72 else NOT_MET if roll < 0.92 else NOT_APPLICABLE


def _reviewers_work(
    rng: random.Random, visit: VisitDetails, standards: StandardsSet, reviewers: list[Member]
) -> list[Op]:
    """Each reviewer's judgements and observations, made on their own laptop (device, clock)."""
    devices = {m.member_id: (str(uuid.uuid4()), HybridClock()) for m in reviewers}
    ops: list[Op] = []

    def op(member: str, entity: str, entity_id: str, field: str, value: object) -> None:
        device, clock = devices[member]
        ops.append(
            Op(
                str(uuid.uuid4()),
                clock.tick(),
                device,
                member,
                entity,
                entity_id,
                field,
                value,
                None,
            )
        )

    if not reviewers:
        return ops
    turn = 0
    for comp in visit.components:
        for s in standards.standards:
            if comp.id not in s.applies_to:
                continue
            truth = _truth(rng)
            judges = [reviewers[(turn + k) % len(reviewers)] for k in range(min(2, len(reviewers)))]
            turn += 1
            for member in judges:
                value = truth
                if rng.random() < 0.08:  # a reviewer who saw it differently
                    value = NOT_MET if truth == MET else MET
                jid = judgement_id(s.ref, comp.id, member.member_id)
                op(member.member_id, JUDGEMENT, jid, "value", value)
                reasons = NOT_MET_REASONS if value == NOT_MET else NOT_APPLICABLE_REASONS
                if value != MET:
                    op(member.member_id, JUDGEMENT, jid, "reason", rng.choice(reasons))
    for i, (text, category) in enumerate(OBSERVATIONS):
        author = reviewers[i % len(reviewers)].member_id
        refs = [standards.standards[(7 * i) % len(standards.standards)].ref]
        oid = str(uuid.uuid4())
        fields: dict[str, object] = {
            "text": text,
            "category": category,
            "refs": refs,
            "session_id": "",
            "author": author,
        }
        for name, v in fields.items():
            op(author, OBSERVATION, oid, name, v)
    return ops


def _team_judgements(
    rng: random.Random,
    *,
    visit: VisitDetails,
    standards: StandardsSet,
    reviewer_ops: list[Op],
    device: str,
    lead: Member,
) -> list[Op]:
    """The lead settles most standards: the reviewers' judgement (or a settled disagreement),
    a rationale for every Not met and N/A and most Mets; a few disagreements left open."""
    seen: dict[tuple[str, str], list[str]] = {}
    for o in reviewer_ops:
        if o.entity == JUDGEMENT and o.field == "value":
            ref, comp_id, _member = parse_judgement_id(o.entity_id)
            seen.setdefault((ref, comp_id), []).append(str(o.value))
    clock = HybridClock()
    ops: list[Op] = []
    unsettled = 0
    not_assessed_done = False
    for comp in visit.components:
        for s in standards.standards:
            if comp.id not in s.applies_to:
                continue
            values = seen.get((s.ref, comp.id), [])
            if len(set(values)) > 1 and unsettled < UNSETTLED:
                unsettled += 1
                continue
            if not not_assessed_done and comp.id == visit.components[-1].id:
                value, why = NOT_ASSESSED, "Evidence not provided before the visit; to follow up"
                not_assessed_done = True
            else:
                value = NOT_MET if NOT_MET in values else (values[0] if values else _truth(rng))
                why = _rationale(rng, value)
            tid = team_judgement_id(s.ref, comp.id)
            for field, v in (("value", value), ("rationale", why)):
                ops.append(
                    Op(
                        str(uuid.uuid4()),
                        clock.tick(),
                        device,
                        lead.member_id,
                        TEAM_JUDGEMENT,
                        tid,
                        field,
                        v,
                        None,
                    )
                )
    return ops


def _rationale(rng: random.Random, value: str) -> str:
    if value == NOT_MET:
        return rng.choice(NOT_MET_REASONS)
    if value == NOT_APPLICABLE:
        return rng.choice(NOT_APPLICABLE_REASONS)
    return rng.choice(MET_RATIONALES) if rng.random() < 0.7 else ""


# -- the lead's work, through the session's named operations ------------------------------------


def _leads_work(
    session: VisitSession, rng: random.Random, photos: int | None, say: Progress
) -> None:
    data = session.data
    count = DEFAULT_PHOTOS if photos is None else photos
    say(0, 1, "Writing the lead's findings")
    with_photos: list[
        tuple[str, str]
    ] = []  # findings a photo may illustrate, component by component
    for index, comp in enumerate(data.visit.components):
        refs = [s.ref for s in data.standards_for(comp.id)]
        not_met = [r for r in refs if data.team_judgement(r, comp.id).value == NOT_MET] or refs
        commissioning = "commission" in comp.name.lower()
        for category in FINDING_TEXTS:
            for text in finding_texts(category, index, commissioning):
                pool = not_met if category in WORRIES else refs
                chosen = sorted(rng.sample(pool, min(len(pool), rng.randint(1, 2))))
                made = session.add_finding(
                    comp.id, category, text.format(component=comp.name), refs=chosen
                )
                fid = _done(session, made).entity_id
                if category in PICTURED and not commissioning:
                    caption = f"Seen on the tour: {CATEGORIES[category].lower()}, {comp.name}"
                    with_photos.append((fid, caption))
    for i in range(count if with_photos else 0):  # spread evenly over the findings they show
        fid, caption = with_photos[i * len(with_photos) // count]
        photo = _done(session, session.add_photo(_jpeg(i, rng), caption=caption))
        current = list(session.data.findings[fid].photos)
        _done(session, session.edit_finding(fid, photos=[*current, photo.entity_id]))
    observation = next(iter(sorted(data.observations.values(), key=lambda o: o.id)), None)
    if observation is not None:
        _done(session, session.promote_observation(observation.id, data.visit.components[0].id))
    risks = finding_rules.immediate_risks(session.data)
    for i, (_n, f) in enumerate(risks):
        to = "Chief Executive and Director of Nursing, Riverside University Hospitals NHS Trust"
        how = "verbally at the feedback meeting, followed by a phone call to the ICB"
        _done(
            session,
            session.record_escalation(f.id, to, f"{_visit_day(session)}T16:{30 + i:02d}", how),
        )
    if risks:
        _done(session, session.set_risk_status(risks[0][1].id, "confirmed", _visit_day(session)))
    for name, text in REPORT_TEXTS.items():
        _done(session, session.set_report_text(name, text))
    say(1, 1, "Writing the lead's findings")


def _visit_day(session: VisitSession) -> str:
    return session.data.visit.end_date or session.data.visit.start_date


def _done(session: VisitSession, future: Future[Change]) -> Change:
    change = future.result(timeout=60)
    session.absorb(change)
    return change


def _jpeg(i: int, rng: random.Random) -> bytes:
    """A small photo-like picture: a sky, a floor, a door and a label."""
    from PIL import Image, ImageDraw  # noqa: PLC0415 - Pillow only when a demo is made

    img = Image.new("RGB", (480, 360), (200, 214, 226))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 230, 480, 360), fill=(150 + i * 7 % 60, 140, 120))
    x = rng.randint(40, 300)
    draw.rectangle((x, 80, x + 110, 250), fill=(90, 110 + i * 13 % 100, 150), outline=(40, 40, 40))
    draw.text((16, 16), f"Demo photo {i + 1}", fill=(20, 20, 20))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()
