"""Publishing a kit to a real central service (uvicorn on 127.0.0.1): staff sign in, upload the
demo kit, assign it; the reviewer's own client then lists it. And every way it can fail says,
in one sentence, what to do."""

# ruff: noqa: F811  (pytest fixtures imported from tests/server/central_helpers.py)
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import DEMO_DIR, AppPaths
from reviewer_app.central.service import NotSignedIn, sign_in
from reviewer_app.staff.publish import STAGE_ASSIGN, STAGE_UPLOAD, publish_kit
from sync.client import CentralClient
from tests.server.central_helpers import Central, central  # noqa: F401 (fixture)

TEAM = ["m-lead", "m-cns", "m-paed", "m-mgr", "m-comm", "m-pat"]
DEMO_PUB = (DEMO_DIR / "demo_key.pub").read_bytes()


def signed_in_staff(central: Central) -> AppPaths:
    paths = AppPaths.from_environment()
    sign_in(paths, central.url, central.tokens["staff"])
    return paths


def test_staff_publish_and_the_reviewer_lists_the_kit(central: Central, demo_kit_file: Path):
    paths = signed_in_staff(central)
    central.user("asha")
    stages: list[str] = []
    result = publish_kit(
        demo_kit_file,
        {"m-lead": "asha", "m-cns": " "},
        paths=paths,
        team=TEAM,
        public_key_pem=DEMO_PUB,
        progress=lambda _d, _t, stage: stages.append(stage),
    )
    assert result.assigned == [("m-lead", "asha")]
    assert result.skipped == [m for m in TEAM if m != "m-lead"]
    assert STAGE_UPLOAD in stages and STAGE_ASSIGN in stages
    assert "Assigned to 1: Dr Lead as asha." in result.lines({"m-lead": "Dr Lead"})
    kits = central.client("asha").list_kits()
    assert [(k["kit_id"], k["member_id"]) for k in kits] == [(result.kit_id, "m-lead")]
    # Publishing again is harmless: the same kit, assigned again.
    again = publish_kit(demo_kit_file, {"m-lead": "asha"}, paths=paths, public_key_pem=DEMO_PUB)
    assert again.kit_id == result.kit_id
    assert len(central.client("asha").list_kits()) == 1


def test_an_unknown_user_is_listed_and_the_others_are_assigned(
    central: Central, demo_kit_file: Path
):
    paths = signed_in_staff(central)
    central.user("asha")
    result = publish_kit(
        demo_kit_file,
        {"m-lead": "asha", "m-cns": "nobody"},
        paths=paths,
        public_key_pem=DEMO_PUB,
    )
    assert result.assigned == [("m-lead", "asha")]
    assert [(m, u) for m, u, _why in result.failed] == [("m-cns", "nobody")]
    assert "no user named 'nobody'" in result.failed[0][2]


def test_not_signed_in(demo_kit_file: Path):
    with pytest.raises(NotSignedIn, match="Not signed in"):
        publish_kit(demo_kit_file, {}, paths=AppPaths.from_environment())


def test_a_reviewer_cannot_publish(central: Central, demo_kit_file: Path):
    central.user("asha")
    paths = AppPaths.from_environment()
    sign_in(paths, central.url, central.tokens["asha"])
    with pytest.raises(UserError, match="only programme staff can publish"):
        publish_kit(demo_kit_file, {}, paths=paths, public_key_pem=DEMO_PUB)


def test_a_token_the_service_no_longer_takes(central: Central, demo_kit_file: Path):
    client = CentralClient(central.url, "not-a-token", sleep=lambda _s: None)
    with client, pytest.raises(NotSignedIn, match="no longer accepts your token"):
        publish_kit(demo_kit_file, {}, client=client)


def test_offline(demo_kit_file: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    client = CentralClient(f"http://127.0.0.1:{port}", "t", max_attempts=1)
    with client, pytest.raises(UserError, match="Cannot reach the central service") as info:
        publish_kit(demo_kit_file, {}, client=client)
    assert str(demo_kit_file) in str(info.value)  # where the kit is kept meanwhile


def test_a_kit_signed_with_an_untrusted_key(central: Central, demo_kit_file: Path):
    paths = signed_in_staff(central)
    with pytest.raises(UserError, match="refused the kit"):
        publish_kit(demo_kit_file, {}, paths=paths)  # no public key sent: not trusted


def test_a_kit_file_that_is_gone(tmp_path: Path):
    with pytest.raises(UserError, match="build the kit again"):
        publish_kit(tmp_path / "gone.rvkit", {}, paths=AppPaths.from_environment())
