"""The lead's findings are signed by their laptop's device key: the service pins the key of the
first submission to the lead's account, refuses findings signed by another laptop (one sentence,
nothing stored) until staff reset the pin, and refuses a signature that does not verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.authorship import fingerprint_words, public_hex
from sync.client import CentralRefused
from sync.findings_format import content_sha256
from sync.server.accounts import pin_device_key
from sync.server.cli import main
from sync.server.db import (
    Database,
    audit,
    database_url,
    device_keys,
    submission_signatures,
    submissions,
)
from tests.server.central_helpers import LEAD_KEY, Central, laptop_key, make_envelope

NEW_LAPTOP = laptop_key("the lead's new laptop")


def stored(central: Central) -> dict[str, Any]:
    """What the service holds: submissions, their signatures, the pins, the audit's actions."""
    with central.db.read() as conn:
        return {
            "submissions": conn.execute(select(func.count()).select_from(submissions)).scalar(),
            "signatures": dict(
                conn.execute(
                    select(submission_signatures.c.snapshot_id, submission_signatures.c.public_key)
                ).all()
            ),
            "pins": list(conn.execute(select(device_keys.c.public_key)).scalars()),
            "actions": list(conn.execute(select(audit.c.action).order_by(audit.c.id)).scalars()),
        }


def test_another_laptop_is_refused_until_staff_reset_the_pin(demo_central: Central) -> None:
    lead, staff = demo_central.client("lead"), demo_central.client("staff")
    first = make_envelope()
    receipt = lead.submit(first)
    before = stored(demo_central)
    assert before["pins"] == [public_hex(LEAD_KEY)]
    assert before["signatures"] == {first["snapshot_id"]: public_hex(LEAD_KEY)}
    assert before["actions"][-2:] == ["pin_device_key", "submit"]

    moved = make_envelope(version=2, supersedes=first["snapshot_id"], key=NEW_LAPTOP)
    with pytest.raises(CentralRefused) as refused:
        lead.submit(moved)
    words = fingerprint_words(public_hex(NEW_LAPTOP))
    assert refused.value.status == 403
    assert refused.value.message == (
        f"These findings are signed by a device this service does not know for lead: "
        f"fingerprint {words}; if lead changed laptop, ask programme staff to reset the device "
        "key."
    )
    assert stored(demo_central) == before  # nothing stored, not even an audit row
    assert lead.submit(first) == receipt  # a repeat still gets its receipt

    with pytest.raises(CentralRefused) as not_staff:
        lead.reset_device_key("lead")
    assert not_staff.value.status == 403
    removed = staff.reset_device_key("lead")
    assert removed is not None
    assert removed["fingerprint"] == fingerprint_words(public_hex(LEAD_KEY))
    assert staff.reset_device_key("lead") is None  # nothing pinned now
    with demo_central.db.read() as conn:
        resets = conn.execute(
            select(audit.c.who, audit.c.target, audit.c.detail).where(
                audit.c.action == "reset_device_key"
            )
        ).all()
    assert [(r.who, r.target) for r in resets] == [("staff", "lead"), ("staff", "lead")]
    assert json.loads(resets[0].detail)["removed"]["public_key"] == public_hex(LEAD_KEY)

    assert lead.submit(moved).version == 2  # the new laptop's key is pinned now
    after = stored(demo_central)
    assert after["pins"] == [public_hex(NEW_LAPTOP)]
    assert after["signatures"][moved["snapshot_id"]] == public_hex(NEW_LAPTOP)
    # Exactly once is unchanged: the first version, sent again from the old laptop, gets its
    # receipt, and nothing more is stored.
    assert lead.submit(first) == receipt
    assert stored(demo_central)["submissions"] == 2


def test_a_signature_that_does_not_verify_is_refused(demo_central: Central) -> None:
    lead = demo_central.client("lead")
    envelope = make_envelope()
    # The last byte changed (to 00, or 01 where it was 00: 1 signature in 256 ends in 00).
    last = "01" if envelope["signature"].endswith("00") else "00"
    forged = {**envelope, "signature": envelope["signature"][:-2] + last}
    # Findings altered after they were signed: the content hash follows, the signature cannot.
    altered = make_envelope()
    altered["findings"]["findings"][0]["text"] = "Clinic letters are prompt."
    altered["content_sha256"] = content_sha256(altered["findings"])
    not_a_key = {**envelope, "device_public_key": "zz" * 32}
    for bad in (forged, altered, not_a_key):
        with pytest.raises(CentralRefused) as refused:
            lead.submit(bad)
        assert refused.value.status == 422
        assert refused.value.message.startswith("the submission's device key is not") or (
            refused.value.message.startswith("the findings' signature does not verify")
        )
    assert stored(demo_central)["submissions"] == 0
    assert stored(demo_central)["pins"] == []  # a refused submission pins nothing
    unsigned = {k: v for k, v in envelope.items() if k not in ("device_public_key", "signature")}
    with pytest.raises(CentralRefused, match="lacks device_public_key, signature"):
        lead.submit(unsigned)
    assert lead.submit(envelope).version == 1


def test_reset_device_key_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_file = str(tmp_path / "c.sqlite")
    assert main(["init", "--db", db_file]) == 0
    assert main(["add-user", "lead", "--role", "reviewer", "--db", db_file]) == 0
    db = Database(database_url(db_file))
    with db.write() as conn:
        from sync.server.accounts import find_user

        user = find_user(conn, "lead")
        assert user is not None
        pin_device_key(conn, user, public_hex(LEAD_KEY), "s1")
    capsys.readouterr()
    assert main(["reset-device-key", "lead", "--db", db_file]) == 0
    words = fingerprint_words(public_hex(LEAD_KEY))
    assert f"forgot the device key of lead (fingerprint {words})" in capsys.readouterr().out
    assert main(["reset-device-key", "lead", "--db", db_file]) == 0
    assert "had no device key pinned" in capsys.readouterr().out
    assert main(["reset-device-key", "nobody", "--db", db_file]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    with db.read() as conn:
        assert conn.execute(select(device_keys)).all() == []
    db.dispose()
