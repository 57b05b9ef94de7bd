"""The programme overview report at 50 visits of 500 standards: the service's data, then the PDF
and the DOCX (DESIGN.md "Performance budget": <= 10 s for the report).

    .venv/bin/python bench/programme_overview.py [--visits 50] [--standards 500] [--runs 5]

A real central service (SQLite file, uvicorn on 127.0.0.1) is filled as staff and a lead would
fill it: ``--visits`` signed kits of ``--standards`` synthetic standards (the demo visit's three
components, each standard applying to most of them) uploaded and assigned, each visit's
findings submitted as a signed envelope (a team judgement for every standard and component,
mostly met; some good practice, an immediate risk and a serious concern) and accepted, one in
three approved. Then, each a median of ``--runs``:

- the overview's data computed by the service (``sync.server.programme``), with its kit cache
  cleared first (the first request after a restart) and warm (every later one);
- ``GET /v1/programme/overview`` through the client (computing, JSON, HTTP);
- the PDF and the DOCX rendered from that data;
- the report: the request plus the PDF, against the 10 s budget.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from reviewer_app.app.paths import DEMO_DIR  # noqa: E402
from reviewer_app.demo.kits import DEMO_PRIVATE_KEY, demo_visit, synthetic_standards  # noqa: E402
from reviewer_app.report.programme import (  # noqa: E402
    build_programme_overview,
    render_programme_docx,
    render_programme_pdf,
)
from sync.client import CentralClient  # noqa: E402
from sync.keys import load_signing_key  # noqa: E402
from sync.kit_builder import build_kit  # noqa: E402
from sync.kit_model import Organisation  # noqa: E402
from sync.server.accounts import add_user, issue_token  # noqa: E402
from sync.server.app import create_app  # noqa: E402
from sync.server.db import approvals, now_iso  # noqa: E402
from sync.server.overview import read_stored_kit  # noqa: E402
from sync.server.programme import programme_overview  # noqa: E402
from tests.server.central_helpers import make_envelope, serve  # noqa: E402
from tests.server.kit_envelopes import with_judgements  # noqa: E402

PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"
BUDGET = 10.0


def findings(rng: random.Random, visit_id: str) -> tuple[list[dict[str, Any]], list[Any]]:
    good = {
        "id": str(uuid.uuid4()),
        "component": "shc",
        "category": "good_practice",
        "number": 1,
        "text": "Psychology drop-in clinic co-designed with patients and carers.",
        "refs": ["SY-1001"],
        "photos": [],
    }
    risk = {**good, "id": str(uuid.uuid4()), "category": "immediate_risk"}
    risk["text"] = f"No consultant cover at night ({visit_id[:8]})."
    concern = {**good, "id": str(uuid.uuid4()), "category": "serious_concern", "component": "lht"}
    concern["text"] = "Transfusion records incomplete for a third of the patients sampled."
    escalation = {
        "finding_id": risk["id"],
        "status": rng.choice(["escalated", "confirmed", "closed"]),
        "escalated_to": "Chief Executive and ICB Chief Nurse",
        "escalated_at": "2026-11-03",
        "escalated_how": "phone",
        "confirmation_due": "2026-11-05",
        "confirmation_sent": "2026-11-05",
    }
    return [good, risk, concern], [escalation]


def fill(url: str, db: Any, root: Path, visits: int, standards: int) -> None:
    """Kits, assignments and accepted submissions of ``visits`` visits."""
    add_user(db, "staff", "staff")
    add_user(db, "lead", "reviewer")
    staff = CentralClient(url, issue_token(db, "staff"), timeout=120)
    lead = CentralClient(url, issue_token(db, "lead"), timeout=120)
    base = demo_visit()
    components = [c.id for c in base.components]
    standard_set = synthetic_standards(standards, components)
    key = load_signing_key(DEMO_PRIVATE_KEY)
    rng = random.Random(18)
    for i in range(visits):
        trust = f"Trust {i + 1:02d} University Hospitals NHS Foundation Trust"
        org = base.organisations[0]
        visit = replace(
            base,
            visit_id=str(uuid.uuid4()),
            title=f"Review of haemoglobin disorder services, {trust}",
            organisations=(Organisation(org.id, trust, org.role), *base.organisations[1:]),
            start_date=f"2026-{1 + i % 12:02d}-{1 + i % 27:02d}",
            end_date="",
        )
        kit_path = root / f"kit-{i}.rvkit"
        build_kit(
            kit_path, visit=visit, standards=standard_set, signing_key=key, created_by="bench"
        )
        kit = staff.upload_kit(kit_path)
        staff.assign(kit["kit_id"], "lead", "m-lead")
        envelope = make_envelope(visit_id=visit.visit_id, compliance=[])
        envelope["findings"]["visit"]["kit_id"] = kit["kit_id"]
        rows, risks = findings(rng, visit.visit_id)
        envelope["findings"]["findings"] = rows
        envelope["findings"]["immediate_risks"] = risks
        judgements = [
            {
                "ref": s.ref,
                "component": c,
                "value": rng.choices(
                    ["met", "not_met", "not_applicable", "not_assessed"], [75, 15, 8, 2]
                )[0],
                "rationale": "Seen in the evidence and confirmed at the meeting with staff.",
                "key": s.key,
            }
            for s in standard_set.standards
            for c in s.applies_to
        ]
        envelope = with_judgements(envelope, judgements)
        lead.submit(envelope)
        staff.set_state(envelope["snapshot_id"], "accepted")
        if i % 3 == 0:
            with db.write() as conn:  # as POST /v1/submissions/{id}/approval records it
                conn.execute(
                    insert(approvals).values(
                        snapshot_id=envelope["snapshot_id"],
                        visit_id=visit.visit_id,
                        approved_by="Quality Assurance Group",
                        approved_at="2027-01-15",
                        conditions="",
                        recorded_by="staff",
                        recorded_at=now_iso(),
                    )
                )
    staff.close()
    lead.close()


def timed(runs: int, work: Any, before: Any = None) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=50)
    parser.add_argument("--standards", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rv-programme-") as tmp:
        root = Path(tmp)
        app = create_app(
            f"sqlite:///{root / 'central.sqlite'}",
            trusted_keys=[DEMO_DIR / "demo_key.pub"],
            max_body=64 * 1024 * 1024,
        )
        db = app.state.db
        kits = app.state.files.root / "kits"
        with serve(app) as live:
            start = time.perf_counter()
            fill(live.url, db, root, args.visits, args.standards)
            print(
                f"filled: {args.visits} visits x {args.standards} standards "
                f"in {time.perf_counter() - start:.1f} s"
            )
            cold, _ = timed(
                args.runs,
                lambda: programme_overview(db, kits, PROGRAMME),
                read_stored_kit.cache_clear,
            )
            warm, data = timed(args.runs, lambda: programme_overview(db, kits, PROGRAMME))
            staff = CentralClient(live.url, issue_token(db, "staff"), timeout=300)
            request, data = timed(args.runs, lambda: staff.programme_overview(PROGRAMME))
            staff.close()
        app.state.db.dispose()
        model = build_programme_overview(data)
        cells = len(data["standards"]) * len(data["columns"])
        print(
            f"overview: {len(data['visits'])} visits, {len(data['columns'])} columns, "
            f"{len(data['standards'])} standards ({cells} cells)"
        )
        pdf_s, pdf = timed(args.runs, lambda: render_programme_pdf(model, root / "o.pdf"))
        docx_s, docx = timed(args.runs, lambda: render_programme_docx(model, root / "o.docx"))
        print(f"  data, kit cache cold: median {cold:.2f} s")
        print(f"  data, kit cache warm: median {warm:.2f} s")
        print(f"  GET /v1/programme/overview: median {request:.2f} s")
        print(f"  PDF: median {pdf_s:.2f} s ({pdf.stat().st_size / 1e6:.1f} MB)")
        print(f"  DOCX: median {docx_s:.2f} s ({docx.stat().st_size / 1e6:.1f} MB)")
        report = request + max(pdf_s, docx_s)
        verdict = "within" if report <= BUDGET else "OVER"
        print(
            f"  report (request + the slower of PDF and DOCX): {report:.2f} s, "
            f"{verdict} the {BUDGET:.0f} s budget"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
