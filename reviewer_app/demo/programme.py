"""A demo programme on a central service: invented visits at every step after the visit.

``reviewer-app staff demo-central --db central.sqlite`` fills a service's database with the
programme of :data:`VISITS`: nine invented providers of haemoglobin disorder services, each
with a real signed kit (the demo key's, trusted by the service) and, for the visits that got
that far, real signed findings (version 1 and 2), the factual accuracy pack recorded as sent,
a provider's response form imported, approval, a final report and publication. The findings
are written from the demo's words (``reviewer_app.demo.texts``): good practice, immediate risks
with their escalations, serious concerns and concerns, each linked to standards not met.

Everything goes through the service's own endpoints, as staff and a lead would use them: the
service is started in this process on a free port of 127.0.0.1 for the moment it takes, so the
database may be the one ``make central`` serves. Two dates cannot be given to the service
(it records the time it is told of them): when the provider's comments came back and when a
report was published; the demo moves those to invented dates afterwards, so the timeline reads
like a year's work and not like one afternoon.

It makes a staff user (``demo-staff``) with a new token, printed once, and a lead reviewer per
visit. Run again on the same database it adds nothing and issues a new staff token.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import socket
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.app.paths import DEMO_DIR
from reviewer_app.demo.kits import DEMO_CREATED_BY, DEMO_PRIVATE_KEY, demo_standards, demo_visit
from reviewer_app.demo.texts import MET_RATIONALES, NOT_APPLICABLE_REASONS, NOT_MET_REASONS
from reviewer_app.demo.texts import finding_texts as demo_finding_texts
from reviewer_app.lead.findings_document import visit_and_team
from sync.client import CentralClient
from sync.compliance import figures_by_component
from sync.progress import Progress, no_progress

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"
STAFF_USER = "demo-staff"
APPROVER = "Haemoglobin Disorders Quality Assurance Group"
NAMESPACE = uuid.UUID("4b0d3c52-0f7e-4d8e-9b0a-5c2a8f6e1d11")
STAGES = ("planned", "visit", "v1", "pack", "comments", "v2", "approved", "published")


@dataclass(frozen=True, slots=True)
class DemoVisit:
    """One invented provider and how far its visit has got (a stage of :data:`STAGES`)."""

    key: str
    trust: str
    site: str
    local_site: str
    end: str  # the visit's (last) day
    stage: str
    lead_user: str
    risks: bool = True  # an immediate risk was raised


VISITS = (
    DemoVisit(
        "riverside",
        "Riverside University Hospitals NHS Trust",
        "Riverside General Hospital",
        "Hilltop Community Hospital",
        "2026-02-12",
        "published",
        "z.hartley",
    ),
    DemoVisit(
        "northgate",
        "Northgate Teaching Hospitals NHS Foundation Trust",
        "Northgate Royal Infirmary",
        "Elmfield Hospital",
        "2026-03-19",
        "published",
        "a.okafor",
        risks=False,
    ),
    DemoVisit(
        "eastbrook",
        "Eastbrook and Marsh Hospitals NHS Trust",
        "Eastbrook General Hospital",
        "Marsh Lane Hospital",
        "2026-04-23",
        "approved",
        "p.sharma",
    ),
    DemoVisit(
        "wealdshire",
        "Wealdshire Acute Hospitals NHS Trust",
        "Wealdshire County Hospital",
        "Oakridge Hospital",
        "2026-05-21",
        "v2",
        "m.fraser",
        risks=False,
    ),
    DemoVisit(
        "harbourside",
        "Harbourside Children's and Adults' Hospitals NHS Trust",
        "Harbourside Hospital",
        "Quayside Health Centre",
        "2026-06-25",
        "comments",
        "k.adeyemi",
    ),
    DemoVisit(
        "millbrook",
        "Millbrook Valley NHS Foundation Trust",
        "Millbrook General Hospital",
        "Stonebridge Community Hospital",
        "2026-09-10",
        "pack",
        "r.lindqvist",
    ),
    DemoVisit(
        "kingsmere",
        "Kingsmere Hospitals NHS Trust",
        "Kingsmere Royal Hospital",
        "Ashcombe Hospital",
        "2026-10-15",
        "v1",
        "s.mbeki",
        risks=False,
    ),
    DemoVisit(
        "staldric",
        "St Aldric's Healthcare NHS Trust",
        "St Aldric's Hospital",
        "Fordham Community Hospital",
        "2026-11-19",
        "visit",
        "j.whitfield",
    ),
    DemoVisit(
        "fenwick",
        "Fenwick Valley University Hospitals NHS Trust",
        "Fenwick Valley Hospital",
        "Brookside Hospital",
        "2027-02-04",
        "planned",
        "h.osei",
    ),
)


@dataclass(slots=True)
class DemoCentral:
    url: str
    db: str
    programme: str = PROGRAMME
    staff_user: str = STAFF_USER
    staff_token: str = ""
    visits: dict[str, str] = field(default_factory=dict)  # visit id -> stage
    leads: dict[str, str] = field(default_factory=dict)  # user -> token
    already: bool = False

    def lines(self) -> list[str]:
        out = []
        if self.already:
            out.append(f"The demo programme was already in {self.db}: nothing was added.")
        else:
            out.append(
                f"Made the demo programme {self.programme!r} in {self.db}: "
                f"{len(self.visits)} visits."
            )
        out += [
            f"Serve it: reviewer-central serve --db {self.db}"
            f" (or: make central CENTRAL_DB={self.db}).",
            f"Staff user {self.staff_user}; sign in as staff with:",
            f"  echo TOKEN | reviewer-app central sign-in --url {self.url} --token-stdin",
            "then open the staff window (reviewer-app staff) and its Programme page.",
            "The token is the last line below (shown once; it is not kept anywhere).",
        ]
        return out


def visit_id_of(demo: DemoVisit) -> str:
    return str(uuid.uuid5(NAMESPACE, demo.key))


def lead_key(user: str) -> Ed25519PrivateKey:
    """The lead's laptop key: the same in every run (made from the user's name)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"demo {user}".encode()).digest())


# -- the service, for a moment -----------------------------------------------------------------


@contextmanager
def _served(db: str, blob_dir: Path | None) -> Iterator[tuple[str, Any]]:
    """The service over ``db`` on a free port of 127.0.0.1: (its URL, its Database)."""
    import uvicorn  # noqa: PLC0415 (the service's own: only for the demo)

    from sync.server.app import create_app  # noqa: PLC0415
    from sync.server.db import database_url  # noqa: PLC0415

    app = create_app(database_url(db), blob_dir=blob_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(1000):
        if server.started:
            break
        started.wait(0.01)
    try:
        if not server.started:
            raise RuntimeError("the demo's service did not start")
        yield f"http://127.0.0.1:{port}", app.state.db
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.db.dispose()


def fill_demo_central(
    db: str,
    *,
    blob_dir: Path | None = None,
    url: str = "http://127.0.0.1:8765",
    progress: Progress | None = None,
) -> DemoCentral:
    """Fill the service's database ``db`` (an SQLite file or a URL) with the demo programme;
    ``url`` is where it will be served (for the sign-in line printed)."""
    from sync.server.accounts import ServiceError, add_user, issue_token  # noqa: PLC0415

    step = progress or no_progress
    made = DemoCentral(url=url, db=db)
    with _served(db, blob_dir) as (local, database):
        try:
            add_user(database, STAFF_USER, "staff", by="demo")
        except ServiceError:
            made.already = True
        made.staff_token = issue_token(database, STAFF_USER, by="demo")
        staff = CentralClient(local, made.staff_token, max_attempts=2)
        try:
            if made.already and _has_programme(staff):
                return made
            made.already = False
            staff.trust_key((DEMO_DIR / "demo_key.pub").read_bytes())
            with tempfile.TemporaryDirectory(prefix="rv-demo-central-") as tmp:
                for i, demo in enumerate(VISITS):
                    step(i, len(VISITS), "Making the demo programme's visits")
                    try:
                        add_user(database, demo.lead_user, "reviewer", by="demo")
                    except ServiceError:
                        pass
                    token = issue_token(database, demo.lead_user, by="demo")
                    made.leads[demo.lead_user] = token
                    with CentralClient(local, token, max_attempts=2) as lead:
                        _make_visit(demo, i, staff, lead, Path(tmp))
                    made.visits[visit_id_of(demo)] = demo.stage
                _backdate(database)
            step(len(VISITS), len(VISITS), "Making the demo programme's visits")
        finally:
            staff.close()
    return made


def _has_programme(staff: CentralClient) -> bool:
    listed: list[dict[str, Any]] = staff.list_visits()
    return any(v.get("programme") == PROGRAMME for v in listed)


# -- one visit -------------------------------------------------------------------------------


def visit_details(demo: DemoVisit) -> Any:
    """The demo visit's details, moved to this provider, its sites and its day."""
    from sync.kit_model import Component, Organisation, Site  # noqa: PLC0415

    base = demo_visit()
    day = demo.end
    orgs = (
        Organisation(id="org-trust", name=demo.trust),
        replace(base.organisations[1]) if len(base.organisations) > 1 else None,
    )
    sites = (
        Site("site-main", demo.site, "org-trust", "Specialist Haemoglobinopathy Centre"),
        Site("site-local", demo.local_site, "org-trust", "Local Haemoglobinopathy Team"),
    )
    components = tuple(
        Component(
            id=c.id,
            name=c.name,
            site={"shc": "site-main", "lht": "site-local"}.get(c.id, ""),
            patients=c.patients,
        )
        for c in base.components
    )
    lead = demo.lead_user
    team = tuple(replace(m, name=_lead_name(lead)) if m.lead else m for m in base.team)
    return replace(
        base,
        visit_id=visit_id_of(demo),
        programme=PROGRAMME,
        title=f"Review of haemoglobin disorder services, {demo.trust}",
        organisations=tuple(o for o in orgs if o is not None),
        sites=sites,
        components=components,
        start_date=day,
        end_date=day,
        venue=f"Education Centre, {demo.site}",
        timetable=tuple(replace(s, date=day, location=demo.site) for s in base.timetable),
        team=team,
    )


def _lead_name(user: str) -> str:
    initial, _, surname = user.partition(".")
    return f"Dr {initial.upper()} {surname.capitalize()}"


def _make_visit(
    demo: DemoVisit, index: int, staff: CentralClient, lead: CentralClient, tmp: Path
) -> None:
    from sync.keys import load_signing_key  # noqa: PLC0415
    from sync.kit_builder import build_kit  # noqa: PLC0415

    visit = visit_details(demo)
    kit = tmp / f"{demo.key}.rvkit"
    build_kit(
        kit,
        visit=visit,
        standards=demo_standards(),
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by=DEMO_CREATED_BY,
        kit_id=str(uuid.uuid5(NAMESPACE, f"kit {demo.key}")),
    )
    listing = staff.upload_kit(kit)
    staff.assign(listing["kit_id"], demo.lead_user, "m-lead")
    stage = STAGES.index(demo.stage)
    if stage < STAGES.index("v1"):
        return
    end = date.fromisoformat(demo.end)
    rng = random.Random(index * 7919 + 11)
    findings = _findings(visit, listing["kit_id"], demo, rng)
    v1 = _submit(lead, demo, findings, 1, None, _day(end, 9 + index % 5), "Draft report")
    staff.set_state(v1, "accepted")
    if stage < STAGES.index("pack"):
        return
    pack = staff.accuracy_pack(visit.visit_id, tmp / f"{demo.key}-pack.zip")
    staff.pack_sent(visit.visit_id, v1, _day(end, 16 + index % 4))
    if stage < STAGES.index("comments"):
        return
    form, chosen = _filled_form(pack, findings, rng)
    staff.import_accuracy_form(visit.visit_id, form)
    if stage < STAGES.index("v2"):
        return
    answered = _answered(
        findings, chosen, staff.accuracy_comments(visit.visit_id), _day(end, 50 + index)
    )
    v2 = _submit(lead, demo, answered, 2, v1, _day(end, 52 + index), "Draft report")
    staff.set_state(v2, "accepted")
    if stage < STAGES.index("approved"):
        return
    approved_at = _day(end, 70 + 3 * index)
    conditions = (
        "" if index % 2 else "Correct the spelling of the network's name before publication."
    )
    staff.approve(v2, APPROVER, approved_at, conditions)
    pdf = _pdf(visit.title, "Final report, version 2", approved_at)
    sha = hashlib.sha256(pdf).hexdigest()
    lead.push_blob(pdf, sha)
    lead.put_final_report(v2, {"sha256": sha, "size": len(pdf)}, None)
    if stage < STAGES.index("published"):
        return
    staff.publish(v2)


def _day(start: date, days: int) -> str:
    return (start + timedelta(days=days)).isoformat()


def _submit(  # noqa: PLR0913, PLR0917
    lead: CentralClient,
    demo: DemoVisit,
    findings: dict[str, Any],
    version: int,
    supersedes: str | None,
    signed_off: str,
    kind: str,
) -> str:
    from sync.authorship import public_hex, sign_findings  # noqa: PLC0415
    from sync.findings_format import canonical_bytes, content_sha256  # noqa: PLC0415

    pdf = _pdf(findings["visit"]["title"], f"{kind}, version {version}", signed_off)
    sha = hashlib.sha256(pdf).hexdigest()
    lead.push_blob(pdf, sha)
    key = lead_key(demo.lead_user)
    snapshot_id = str(uuid.uuid5(NAMESPACE, f"{demo.key} v{version}"))
    envelope = {
        "snapshot_id": snapshot_id,
        "visit_id": findings["visit"]["visit_id"],
        "version": version,
        "supersedes": supersedes,
        "content_sha256": content_sha256(findings),
        "signed_off_by": "m-lead",
        "signed_off_at": f"{signed_off}T16:30:00Z",
        "findings": findings,
        "report": {"sha256": sha, "size": len(pdf), "format": "pdf"},
        "feedback_sheet_at": demo.end,
        "device_public_key": public_hex(key),
        "signature": sign_findings(key, canonical_bytes(findings)),
    }
    lead.submit(envelope)
    return snapshot_id


def _findings(visit: Any, kit_id: str, demo: DemoVisit, rng: random.Random) -> dict[str, Any]:
    """The team's judgements and findings, as finalisation writes them."""
    from sync.findings_format import FORMAT, VERSION  # noqa: PLC0415

    standards = demo_standards().standards
    comps = [c.id for c in visit.components]
    judgements = []
    judged: list[tuple[str, str]] = []  # (component, value): what the compliance counts
    not_met: dict[str, list[str]] = {c: [] for c in comps}
    for s in standards:
        for comp in s.applies_to or tuple(comps):
            roll = rng.random()
            if roll < 0.08:
                value, why = "not_applicable", rng.choice(NOT_APPLICABLE_REASONS)
            elif roll < 0.30:
                value, why = "not_met", rng.choice(NOT_MET_REASONS)
                not_met[comp].append(s.ref)
            else:
                value, why = "met", rng.choice(MET_RATIONALES)
            judgements.append(
                {"ref": s.ref, "component": comp, "value": value, "rationale": why, "key": s.key}
            )
            judged.append((comp, value))
    compliance = [
        {"component": c.component, "applicable": c.applicable, "met": c.met}
        for c in figures_by_component([(c, c) for c in comps], judged)
    ]
    names = {c.id: c.name for c in visit.components}
    findings: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    categories = ["general", "good_practice", "serious_concern", "concern", "further_consideration"]
    if demo.risks:
        categories.insert(2, "immediate_risk")
    for index, comp in enumerate(comps):
        numbers: dict[str, int] = {}
        for category in categories:
            if category == "immediate_risk" and index > 0:
                continue  # one immediate risk a visit, at the specialist centre
            texts = demo_finding_texts(category, index, comp == "comm")
            for text in texts:
                numbers[category] = numbers.get(category, 0) + 1
                fid = str(uuid.uuid5(NAMESPACE, f"{demo.key} {comp} {category} {len(findings)}"))
                worry = category in ("immediate_risk", "serious_concern", "concern")
                refs = rng.sample(not_met[comp], min(2, len(not_met[comp]))) if worry else []
                findings.append(
                    {
                        "id": fid,
                        "component": comp,
                        "category": category,
                        "number": numbers[category],
                        "text": text.replace("{component}", names[comp].lower()),
                        "refs": sorted(refs),
                        "photos": [],
                    }
                )
                if category == "immediate_risk":
                    risks.append(_escalation(fid, demo))
    return {
        "format": FORMAT,
        "version": VERSION,
        **visit_and_team(visit, kit_id),
        "team_judgements": judgements,
        "compliance": compliance,
        "findings": findings,
        "immediate_risks": risks,
        "attachments": [],
    }


def _escalation(finding_id: str, demo: DemoVisit) -> dict[str, Any]:
    """An immediate risk told at the feedback, confirmed in writing within two working days."""
    end = date.fromisoformat(demo.end)
    due = end + timedelta(days=4 if end.weekday() >= 3 else 2)
    return {
        "finding_id": finding_id,
        "status": "confirmed",
        "escalated_to": f"Chief Executive, {demo.trust}; Director of Nursing, the commissioners",
        "escalated_at": demo.end,
        "escalated_how": "Verbal feedback at the end of the visit, then a letter by e-mail",
        "confirmation_due": due.isoformat(),
        "confirmation_sent": (end + timedelta(days=1)).isoformat(),
    }


# -- the accuracy round ------------------------------------------------------------------------

COMMENTS = (
    (
        "factual",
        "The unit opened a second day-case bay in January; the text says there is one.",
        "The day unit has two bays and a stable team.",
    ),
    (
        "typographical",
        "The trust's name is misspelt in this paragraph.",
        "",
    ),
    (
        "omitted",
        "An action plan was agreed at the trust board on the day after the visit; "
        "it is not mentioned.",
        "An action plan was agreed by the trust board after the visit.",
    ),
)


def _filled_form(
    pack: Path, findings: dict[str, Any], rng: random.Random
) -> tuple[bytes, list[str]]:
    """The pack's CSV response form with the provider's comments on two or three findings:
    (the form's bytes, the finding ids commented on)."""
    with zipfile.ZipFile(pack) as z:
        raw = z.read("response-form.csv")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    head = next(i for i, r in enumerate(rows) if r and r[0].strip() == "Id")
    cols = {name.strip(): i for i, name in enumerate(rows[head])}
    wanted = {f["id"] for f in findings["findings"] if f["category"] in ("general", "concern")}
    items = [i for i in range(head + 1, len(rows)) if rows[i] and rows[i][0] in wanted]
    chosen_rows = sorted(rng.sample(items, min(len(COMMENTS), len(items))))
    chosen = []
    for (kind, comment, proposed), i in zip(COMMENTS, chosen_rows, strict=False):
        row = rows[i] + [""] * (len(rows[head]) - len(rows[i]))
        row[cols["Comment type"]] = kind
        row[cols["Provider comment"]] = comment
        row[cols["Proposed wording"]] = proposed
        rows[i] = row
        chosen.append(row[0])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8"), chosen


def _answered(
    findings: dict[str, Any], chosen: list[str], comments: dict[str, Any], on: str
) -> dict[str, Any]:
    """Version 2: the lead accepts the proposed wording where there is one and declines the
    others with a reason."""
    by_id = {f["id"]: f for f in findings["findings"]}
    answers = []
    new_findings = [dict(f) for f in findings["findings"]]
    changed = {f["id"]: f for f in new_findings}
    for c in comments.get("comments", []):
        if c.get("item_kind") != "finding" or c.get("item_id") not in chosen:
            continue
        before = by_id[c["item_id"]]["text"]
        accepted = bool(c.get("proposed"))
        after = c["proposed"] if accepted else before
        changed[c["item_id"]]["text"] = after
        answers.append(
            {
                "comment_id": c["comment_id"],
                "item_kind": c["item_kind"],
                "item_id": c["item_id"],
                "item_label": c.get("item_label", ""),
                "comment_type": c.get("comment_type", ""),
                "comment": c.get("comment", ""),
                "proposed": c.get("proposed", ""),
                "decision": "accepted" if accepted else "declined",
                "reason": ""
                if accepted
                else "The name is spelt as the trust's own letters spell it.",
                "before": before,
                "after": after,
                "answered_by": "m-lead",
                "answered_at": f"{on}T11:00:00Z",
            }
        )
    return {**findings, "findings": new_findings, "accuracy_answers": answers}


def _backdate(database: Any) -> None:
    """Give the two steps the service dates itself (comments back, published) invented dates
    a plausible time after the visit, as if the year had passed."""
    from sqlalchemy import update  # noqa: PLC0415

    from sync.server.db import accuracy_comments, publications, visit_steps  # noqa: PLC0415

    for i, demo in enumerate(VISITS):
        end = date.fromisoformat(demo.end)
        visit_id = visit_id_of(demo)
        when = {"comments_returned": _day(end, 33 + i), "published": _day(end, 96 + 4 * i)}
        with database.write() as conn:
            for step, at in when.items():
                conn.execute(
                    update(visit_steps)
                    .where(visit_steps.c.visit_id == visit_id)
                    .where(visit_steps.c.step == step)
                    .values(at=at)
                )
            conn.execute(
                update(publications)
                .where(publications.c.visit_id == visit_id)
                .values(published_at=f"{when['published']}T10:00:00Z")
            )
            conn.execute(
                update(accuracy_comments)
                .where(accuracy_comments.c.visit_id == visit_id)
                .values(imported_at=f"{when['comments_returned']}T09:00:00Z")
            )


# -- a report to send ------------------------------------------------------------------------


def _pdf(title: str, what: str, on: str) -> bytes:
    """A short PDF standing for the rendered report (the demo has no workspace to render)."""
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415
    from reportlab.pdfgen import canvas  # noqa: PLC0415

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setTitle(f"{title}: {what}")
    page.setFont("Helvetica-Bold", 16)
    page.drawString(60, 770, "DEMO")
    page.setFont("Helvetica", 12)
    page.drawString(60, 740, title[:90])
    page.drawString(60, 720, f"{what}, {on}")
    page.drawString(60, 690, "An invented report for the demo programme.")
    page.showPage()
    page.save()
    return out.getvalue()
