"""Staff's work after the visit (reviewer_app/staff/programme.py) against a real central service
on 127.0.0.1: the programme's timeline, the accuracy pack saved to a folder and recorded, a bad
response form refused row by row, approval and publication; the command line; and the demo
programme, which fills a service with visits at every step."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from reviewer_app.app.cli import main
from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.central.service import NotSignedIn, sign_in
from reviewer_app.demo import programme as demo
from reviewer_app.staff import programme as ops
from reviewer_app.staff.timeline import STEPS
from sync.client import CentralClient
from sync.server.app import create_app
from sync.server.db import database_url
from tests.server import central_helpers
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope, serve

demo_central = central_helpers.demo_central
central = central_helpers.central  # the fixture demo_central stands on
PROGRAMME = "Haemoglobin Disorders Peer Review Programme 2026/27"


def submit_v1(c: Central, version: int = 1, supersedes: str | None = None) -> str:
    """The lead sends a version of the demo visit's findings, with its report PDF."""
    lead = c.client("lead")
    pdf = f"%PDF-1.4 the draft report, version {version}".encode()
    sha = hashlib.sha256(pdf).hexdigest()
    lead.push_blob(pdf, sha)
    envelope = make_envelope(version=version, supersedes=supersedes, report=(sha, len(pdf)))
    lead.submit(envelope)
    return str(envelope["snapshot_id"])


def test_the_timeline_shows_each_visit_by_state_with_days_and_overdue_steps(
    demo_central: Central,
) -> None:
    staff = demo_central.client("staff")
    assert ops.programmes(staff) == [PROGRAMME]
    before = ops.timeline(staff, PROGRAMME)
    (visit,) = before.visits
    assert visit.visit_id == DEMO_VISIT_ID and visit.state == "visit_end"
    assert visit.step("visit_end").text().startswith("3 Dec 2026 (0 d)")
    submit_v1(demo_central)
    # Nothing is expected later than the visit's end: every step not reached is overdue
    # once that day has passed (as it has, for the demo visit of 3 December 2026).
    zero = {s: 0 for s in STEPS[1:]}
    assert ops.set_expected_days(staff, PROGRAMME, zero)["pack_sent"] == 0
    after = ops.timeline(staff, PROGRAMME)
    (visit,) = after.visits
    assert (visit.state, visit.state_name) == ("v1_finalised", "V1 finalised")
    assert visit.step("v1_finalised").days == 1  # signed off the day after the visit
    assert "pack_sent" in visit.overdue
    assert visit.step("pack_sent").text().startswith("OVERDUE: due 3 Dec 2026")
    assert after.median_text("v1_finalised") == "1 d"
    assert after.counts() == {"v1_finalised": 1}
    text = "\n".join(after.lines())
    assert "V1 finalised       4 Dec 2026 (1 d)" in text and "OVERDUE" in text


def test_send_pack_saves_the_zip_in_the_folder_and_records_it(
    demo_central: Central, tmp_path: Path
) -> None:
    staff = demo_central.client("staff")
    with pytest.raises(UserError, match="has not sent this visit's findings"):
        ops.send_pack(staff, DEMO_VISIT_ID, tmp_path / "packs")
    snapshot = submit_v1(demo_central)
    moves: list[str] = []
    sent = ops.send_pack(
        staff,
        DEMO_VISIT_ID,
        tmp_path / "packs",
        title="Riverside University Hospitals",
        sent_at="2026-12-10",
        progress=lambda _d, _t, what: moves.append(what),
    )
    assert sent.path == tmp_path / "packs" / "riverside-university-hospitals-accuracy-pack-v1.zip"
    assert (sent.snapshot_id, sent.version) == (snapshot, 1)
    with zipfile.ZipFile(sent.path) as z:
        assert {"response-form.csv", "response-form.xlsx", "README.txt"} <= set(z.namelist())
    assert "Downloading the accuracy pack" in moves
    visit = ops.timeline(staff, PROGRAMME).visits[0]
    assert visit.state == "pack_sent" and visit.step("pack_sent").date == "2026-12-10"
    with pytest.raises(UserError, match="is a file, not a folder"):
        ops.send_pack(staff, DEMO_VISIT_ID, sent.path)


def filled_form(pack: Path, rows: dict[int, tuple[str, str, str]]) -> bytes:
    """The pack's CSV form with the provider's columns filled on the ``n``-th item rows."""
    with zipfile.ZipFile(pack) as z:
        lines = list(csv.reader(io.StringIO(z.read("response-form.csv").decode("utf-8-sig"))))
    head = next(i for i, r in enumerate(lines) if r and r[0] == "Id")
    cols = {name: i for i, name in enumerate(lines[head])}
    for n, (kind, comment, proposed) in rows.items():
        row = lines[head + 1 + n]
        row += [""] * (len(lines[head]) - len(row))
        row[cols["Comment type"]] = kind
        row[cols["Provider comment"]] = comment
        row[cols["Proposed wording"]] = proposed
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue().encode("utf-8")


def test_a_bad_form_is_refused_with_each_rows_problem_and_a_good_one_imported(
    demo_central: Central, tmp_path: Path
) -> None:
    staff = demo_central.client("staff")
    submit_v1(demo_central)
    sent = ops.send_pack(staff, DEMO_VISIT_ID, tmp_path)
    bad = tmp_path / "returned.csv"
    bad.write_bytes(
        filled_form(sent.path, {0: ("spelling", "A typo.", ""), 1: ("factual", "", "")})
    )
    with pytest.raises(ops.FormRefused) as refused:
        ops.import_form(staff, DEMO_VISIT_ID, bad)
    problems = refused.value.problems
    assert len(problems) == 2 and all(p.row > 0 for p in problems)
    texts = [p.text() for p in problems]
    assert all(t.startswith("Row ") for t in texts) and "Comment type" in " ".join(texts)
    assert ops.timeline(staff, PROGRAMME).visits[0].state == "pack_sent"  # nothing imported

    good = tmp_path / "returned-good.csv"
    good.write_bytes(filled_form(sent.path, {0: ("typographical", "A typo.", "Clinic letters")}))
    done = ops.import_form(staff, DEMO_VISIT_ID, good)
    assert (done.version, done.comments, done.again) == (1, 1, False)
    assert "Imported 1 comment from the provider on V1" in done.lines()[0]
    again = ops.import_form(staff, DEMO_VISIT_ID, good)
    assert again.again and "imported before: nothing was added" in again.lines()[0]
    assert ops.timeline(staff, PROGRAMME).visits[0].state == "comments_returned"
    with pytest.raises(UserError, match="There is no file"):
        ops.import_form(staff, DEMO_VISIT_ID, tmp_path / "missing.csv")


def test_approve_then_publish_once_the_final_report_is_there(demo_central: Central) -> None:
    staff = demo_central.client("staff")
    snapshot = submit_v1(demo_central)
    with pytest.raises(UserError, match="not approved yet"):
        ops.publish(staff, DEMO_VISIT_ID)
    with pytest.raises(UserError, match="Say who approved"):
        ops.approve(staff, DEMO_VISIT_ID, "  ")
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        ops.approve(staff, DEMO_VISIT_ID, "QA group", "30/11/2026")
    approval = ops.approve(staff, DEMO_VISIT_ID, "QA group", "2026-12-20", "Fix a typo.")
    assert approval.snapshot_id == snapshot
    assert approval.lines()[:2] == [
        "V1 recorded as approved by QA group on 20 Dec 2026.",
        "Conditions: Fix a typo.",
    ]
    with pytest.raises(UserError, match="final report of V1 has not arrived"):
        ops.publish(staff, DEMO_VISIT_ID)
    lead = demo_central.client("lead")
    pdf = b"%PDF-1.4 the final report"
    sha = hashlib.sha256(pdf).hexdigest()
    lead.push_blob(pdf, sha)
    lead.put_final_report(snapshot, {"sha256": sha, "size": len(pdf)}, None)
    published = ops.publish(staff, DEMO_VISIT_ID)
    assert published.version == 1 and "published" in published.lines()[0]
    visit = ops.timeline(staff, PROGRAMME).visits[0]
    assert visit.state == "published" and visit.step("approved").date == "2026-12-20"
    assert [p["visit_id"] for p in demo_central.client("cns").published()] == [DEMO_VISIT_ID]


def test_offline_and_a_reviewers_token_are_one_sentence_each(demo_central: Central) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    gone = CentralClient(f"http://127.0.0.1:{port}", "t" * 40, max_attempts=1, timeout=2)
    with pytest.raises(ops.Offline, match="Cannot reach the central service .* Nothing was"):
        ops.timeline(gone, PROGRAMME)
    reviewer = demo_central.client("lead")
    with pytest.raises(UserError, match="only programme staff may"):
        ops.timeline(reviewer, PROGRAMME)


def test_the_command_line_shows_the_status_and_refuses_a_bad_form_row_by_row(
    demo_central: Central,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["staff", "programme", "status"]) == 2
    assert "Not signed in" in capsys.readouterr().err
    sign_in(AppPaths.from_environment(), demo_central.url, demo_central.tokens["staff"])
    submit_v1(demo_central)
    assert main(["staff", "programme", "status"]) == 0
    out = capsys.readouterr().out
    assert "by state: V1 finalised 1" in out and DEMO_VISIT_ID in out
    assert main(["staff", "programme", "pack", DEMO_VISIT_ID, "-o", str(tmp_path)]) == 0
    pack = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert pack.is_file() and pack.parent == tmp_path
    bad = tmp_path / "bad.csv"
    bad.write_bytes(filled_form(pack, {0: ("spelling", "A typo.", "")}))
    assert main(["staff", "programme", "import-form", DEMO_VISIT_ID, str(bad)]) == 2
    printed = capsys.readouterr()
    assert printed.out.startswith("Row ") and "nothing was imported" in printed.err.lower()
    assert main(["staff", "programme", "settings", "pack_sent=12"]) == 0
    assert "pack_sent          12" in capsys.readouterr().out
    assert main(["staff", "programme", "settings", "pack_sent=soon"]) == 2
    # A token the service no longer takes says so, and how to put it right.
    monkeypatch.setenv("REVIEWER_APP_TOKEN", "x" * 43)
    assert main(["staff", "programme", "status"]) == 2
    assert "sign in again" in capsys.readouterr().err


# -- the demo programme ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoCentral]:
    """A service's database filled with the demo programme, once for this module."""
    folder = tmp_path_factory.mktemp("demo-central")
    made = demo.fill_demo_central(str(folder / "central.sqlite"))
    return folder, made


@pytest.fixture
def demo_service(
    filled_demo: tuple[Path, demo.DemoCentral], tmp_path: Path
) -> Iterator[tuple[str, demo.DemoCentral]]:
    """The filled demo served from this test's own copy."""
    source, made = filled_demo
    folder = tmp_path / "central"
    shutil.copytree(source, folder)
    app = create_app(database_url(str(folder / "central.sqlite")))
    with serve(app) as live:
        yield live.url, made
    app.state.db.dispose()


def test_the_demo_fills_a_programme_of_visits_at_every_step(
    demo_service: tuple[str, demo.DemoCentral],
    filled_demo: tuple[Path, demo.DemoCentral],
    tmp_path: Path,
) -> None:
    url, made = demo_service
    assert len(made.visits) >= 8 and made.staff_token
    with CentralClient(url, made.staff_token, max_attempts=1) as staff:
        line_up = ops.timeline(staff, demo.PROGRAMME)
        states = {v.state for v in line_up.visits}
        assert len(line_up.visits) == len(made.visits) >= 8
        assert {"v1_finalised", "pack_sent", "comments_returned", "v2_finalised"} <= states
        assert {"approved", "published", "visit_end"} <= states
        assert any(v.overdue for v in line_up.visits)
        assert all(line_up.median_days[s] is not None for s in STEPS[1:])
        qsg = staff.qsg(demo.PROGRAMME)
        items = [i for p in qsg["providers"] for i in p["items"]]
        assert {i["category"] for i in items} == {"immediate_risk", "serious_concern"}
        risk = next(i for i in items if i["category"] == "immediate_risk")
        assert risk["escalated_to"].startswith("Chief Executive") and risk["confirmation_sent"]
        overview = staff.programme_overview(demo.PROGRAMME)
        assert overview["good_practice"] and len(overview["visits"]) >= 5
        published = staff.published(demo.PROGRAMME)
        assert len(published) == 2
        assert all(p["published_at"] < "2026-12" for p in published)  # as if a year had passed
        # The reports staff make from it.
        qsg_files = ops.qsg_summary(staff, demo.PROGRAMME, tmp_path / "qsg").files
        assert [p.suffix for p in qsg_files] == [".pdf", ".csv"]
        assert qsg_files[0].read_bytes().startswith(b"%PDF")
        rows = qsg_files[1].read_text("utf-8-sig")
        assert "Immediate risk" in rows and "Confirmed in writing" in rows
        overview_files = ops.overview_report(
            staff, demo.PROGRAMME, tmp_path / "overview", formats=["docx"]
        ).files
        assert [p.name for p in overview_files] == [
            "haemoglobin-disorders-peer-review-programme-2026-27-overview.docx"
        ]
        with pytest.raises(UserError, match="written as PDF or DOCX"):
            ops.overview_report(staff, demo.PROGRAMME, tmp_path, formats=["csv"])
        riverside = demo.visit_id_of(demo.VISITS[0])
        comments = staff.accuracy_comments(riverside)
        assert comments["version"] == 1 and comments["comments"]
    # Run again, it adds nothing and gives a new staff token.
    shutil.copytree(filled_demo[0], tmp_path / "again")
    again = demo.fill_demo_central(str(tmp_path / "again" / "central.sqlite"))
    assert again.already and again.staff_token != made.staff_token and not again.visits


def test_a_signed_out_laptop_is_told_to_sign_in() -> None:
    with pytest.raises(NotSignedIn, match="sign-in"):
        ops.staff_client(AppPaths.from_environment())


def test_demo_programme_overview_has_each_visits_own_figures_and_qsg_its_approved_risks(
    demo_service: tuple[str, demo.DemoCentral], tmp_path: Path
) -> None:
    """Issue 18: the overview's figures are the per-visit figures (each visit's findings say
    what its own report showed: met and applicable per component), and the QSG summary lists
    exactly the immediate risks and serious concerns of the approved or published versions."""
    url, made = demo_service
    with CentralClient(url, made.staff_token, max_attempts=1) as staff:
        visits = [v for v in staff.list_visits() if v["programme"] == demo.PROGRAMME]
        latest: dict[str, dict] = {}  # visit -> its latest version that is not rejected
        for v in visits:
            subs = [s for s in staff.visit_status(v["visit_id"]) if s["state"] != "rejected"]
            if subs:
                latest[v["visit_id"]] = max(subs, key=lambda s: s["version"])
        envelopes = {vid: staff.submission(s["snapshot_id"]) for vid, s in latest.items()}

        overview = staff.programme_overview(demo.PROGRAMME)
        included = {v["visit_id"] for v in overview["visits"]}
        assert included == {
            vid for vid, s in latest.items() if s["state"] == "accepted" or s["approval"]
        }
        assert len(included) >= 4
        for column in overview["columns"]:
            own = {
                c["component"]: c for c in envelopes[column["visit_id"]]["findings"]["compliance"]
            }[column["component"]]
            assert (column["applicable"], column["met"]) == (own["applicable"], own["met"])
            assert column["percent_met"] == round_half_up(own["met"], own["applicable"])
        # A standard's row adds up its cells; an organisation's adds up its columns.
        for row in overview["standards"]:
            cells = [c for c in row["cells"] if c not in (None, "not_applicable")]
            assert (row["applicable"], row["met"]) == (len(cells), cells.count("met"))
        for org in overview["organisations"]:
            mine = [c for c in overview["columns"] if c["organisation"] == org["organisation"]]
            assert org["applicable"] == sum(c["applicable"] for c in mine)
            assert org["met"] == sum(c["met"] for c in mine)

        qsg = staff.qsg(demo.PROGRAMME)
        listed = {
            (i["visit_id"], i["category"], i["text"]) for p in qsg["providers"] for i in p["items"]
        }
        approved = {vid for vid, s in latest.items() if s["approval"] or s["publication"]}
        expected = {
            (vid, f["category"], f["text"])
            for vid in approved
            for f in envelopes[vid]["findings"]["findings"]
            if f["category"] in ("immediate_risk", "serious_concern")
        }
        assert listed == expected and expected
        assert approved < set(latest)  # visits not yet approved have risks too, left out
        assert any(
            f["category"] == "immediate_risk"
            for vid in set(latest) - approved
            for f in envelopes[vid]["findings"]["findings"]
        )

        # The documents say the same: each organisation's % met is in the overview PDF.
        [pdf] = ops.overview_report(staff, demo.PROGRAMME, tmp_path, formats=["pdf"]).files
        text = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(str(pdf)).pages
        )
        for org in overview["organisations"]:
            assert f"{org['percent_met']}%" in text


def round_half_up(met: int, applicable: int) -> int | None:
    return None if not applicable else (200 * met + applicable) // (2 * applicable)
