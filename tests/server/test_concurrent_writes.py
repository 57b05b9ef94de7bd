"""Twenty requests writing the same thing at the same moment: never a 500, one row, one record.

Identical writes (the same key trusted, the same kit uploaded, the same assignment, the same
blob) must all succeed and store it once; conflicting ones (another kit under the same id,
another member id for the same assignment, wrong bytes for the same blob address, the same
user added twice) are settled by the database, each request getting its own answer. On
PostgreSQL each request is its own transaction on its own connection, the way several service
processes write; SQLite serialises them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from reviewer_app.app.paths import DEMO_DIR
from reviewer_app.demo.kits import DEMO_CREATED_BY, DEMO_PRIVATE_KEY, demo_standards, demo_visit
from sync.keys import load_signing_key
from sync.kit_builder import build_kit
from sync.server.accounts import ServiceError, add_user
from sync.server.db import (
    assignments,
    audit,
    blobs,
    kits,
    submissions,
    trusted_keys,
    users,
    visits,
)
from tests.server.central_helpers import Central, make_envelope

N = 20


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in as many threads, released together; their results (or exceptions)."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        gate.wait()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the caller looks at what each one got
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(central: Central, requests: list[tuple[str, str, dict[str, Any]]]) -> Counter[int]:
    """Send each (method, path, httpx arguments) as staff, all at once; the statuses."""
    headers = {"Authorization": f"Bearer {central.tokens['staff']}"}
    with httpx.Client(base_url=central.url, headers=headers, timeout=30) as client:
        client.get("/v1/me")  # the service's own first-request work is out of the way
        answers = at_once([lambda r=r: client.request(r[0], r[1], **r[2]) for r in requests])
    return Counter(a.status_code for a in answers)


def count(central: Central, table: Any, *where: Any) -> int:
    with central.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def audited(central: Central, action: str) -> int:
    return count(central, audit, audit.c.action == action)


def pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def kit_file(folder: Path, kit_id: str, day: int) -> Path:
    """The demo visit's kit under ``kit_id``; another ``day`` gives other bytes."""
    out = folder / f"{kit_id}-{day}.rvkit"
    build_kit(
        out,
        visit=demo_visit(),
        standards=demo_standards(),
        signing_key=load_signing_key(DEMO_PRIVATE_KEY),
        created_by=DEMO_CREATED_BY,
        kit_id=kit_id,
        now=datetime(2026, 11, day, tzinfo=UTC),
    )
    return out


def kit_upload(path: Path) -> tuple[str, str, dict[str, Any]]:
    body = {"content": path.read_bytes(), "headers": {"Content-Type": "application/octet-stream"}}
    return ("POST", "/v1/kits", body)


def trust_demo_key(central: Central) -> None:
    central.client("staff").trust_key((DEMO_DIR / "demo_key.pub").read_bytes())


def test_trusting_keys_at_once(central: Central) -> None:
    key = pem(Ed25519PrivateKey.generate())
    text = {"headers": {"Content-Type": "text/plain"}}
    same = statuses(central, [("POST", "/v1/keys", {"content": key, **text})] * N)
    assert same == {201: N}
    assert count(central, trusted_keys) == 1 and audited(central, "trust_key") == 1
    others = [pem(Ed25519PrivateKey.generate()) for _ in range(N)]
    different = statuses(central, [("POST", "/v1/keys", {"content": k, **text}) for k in others])
    assert different == {201: N}
    assert count(central, trusted_keys) == N + 1 and audited(central, "trust_key") == N + 1


def test_uploading_one_kit_at_once(central: Central, tmp_path: Path) -> None:
    trust_demo_key(central)
    kit = kit_file(tmp_path, "kit-a", 1)
    assert statuses(central, [kit_upload(kit)] * N) == {201: 1, 200: N - 1}
    assert count(central, kits) == 1 and audited(central, "upload_kit") == 1
    assert count(central, visits) == 1


def test_uploading_different_kits_under_one_id_at_once(central: Central, tmp_path: Path) -> None:
    trust_demo_key(central)
    uploads = [kit_upload(kit_file(tmp_path, "kit-b", day)) for day in range(1, N + 1)]
    assert statuses(central, uploads) == {201: 1, 409: N - 1}
    assert count(central, kits) == 1 and audited(central, "upload_kit") == 1
    assert count(central, visits) == 1


def test_uploading_kits_of_one_visit_at_once(central: Central, tmp_path: Path) -> None:
    """Different kits of one (new) visit: the visit row is made once, every kit is kept."""
    trust_demo_key(central)
    uploads = [kit_upload(kit_file(tmp_path, f"kit-{i}", 1)) for i in range(N)]
    assert statuses(central, uploads) == {201: N}
    assert count(central, kits) == N and count(central, visits) == 1
    with central.db.read() as conn:
        latest = conn.execute(select(visits.c.latest_kit_id)).scalar()
    assert latest in {f"kit-{i}" for i in range(N)}


def test_assigning_at_once(central: Central, demo_kit_file: Path) -> None:
    trust_demo_key(central)
    kit_id = central.client("staff").upload_kit(demo_kit_file)["kit_id"]
    central.user("cns")
    path = f"/v1/kits/{kit_id}/assignments/cns"
    same = statuses(central, [("PUT", path, {"json": {"member_id": "m-cns"}})] * N)
    assert same == {200: N}
    assert count(central, assignments) == 1
    members = ["m-cns", "m-lead"] * (N // 2)
    different = statuses(central, [("PUT", path, {"json": {"member_id": m}}) for m in members])
    assert different == {200: N}
    assert count(central, assignments) == 1  # one row a (kit, user): the last one wins, whole
    with central.db.read() as conn:
        row = conn.execute(select(assignments)).one()
    assert row.member_id in members and row.visit_id == demo_visit().visit_id


def test_storing_one_blob_at_once(central: Central) -> None:
    """The same content from twenty requests; then twenty more, half with the wrong bytes."""
    data = b"a photo of the clinic " * 4000
    sha = hashlib.sha256(data).hexdigest()
    put = ("PUT", f"/v1/blobs/{sha}", {"content": data})
    first = statuses(central, [put] * N)
    assert set(first) <= {200, 201} and first[201] >= 1, first
    assert count(central, blobs, blobs.c.sha256 == sha) == 1
    assert audited(central, "store_blob") == 1

    other = b"not that photo " * 4000
    other_sha = hashlib.sha256(other).hexdigest()
    wrong = ("PUT", f"/v1/blobs/{other_sha}", {"content": data})
    right = ("PUT", f"/v1/blobs/{other_sha}", {"content": other})
    mixed = statuses(central, [wrong, right] * (N // 2))
    assert 500 not in mixed and set(mixed) <= {200, 201, 409, 422}, mixed
    assert count(central, blobs) <= 2 and audited(central, "store_blob") <= 2
    staff = central.client("staff")
    staff.push_blob(other, other_sha)  # whatever the race left, the right bytes get in
    assert count(central, blobs, blobs.c.sha256 == other_sha) == 1
    assert (central.folder / "central-blobs" / other_sha[:2] / other_sha).read_bytes() == other


def test_adding_one_user_at_once(central: Central) -> None:
    results = at_once([lambda: add_user(central.db, "nurse", "reviewer")] * N)
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(refused) == N - 1 and {r.status for r in refused} == {409}
    assert count(central, users, users.c.name == "nurse") == 1
    assert audited(central, "add_user") == 2  # staff (by the fixture) and the nurse, once


def test_submitting_at_once(demo_central: Central) -> None:
    """One snapshot sent twenty times at once (an outbox and its retries on two processes):
    stored once, every sender the same receipt; twenty different envelopes under one id: one
    stored, the rest 409."""
    envelope = make_envelope()
    path = f"/v1/submissions/{envelope['snapshot_id']}"
    headers = {"Authorization": f"Bearer {demo_central.tokens['lead']}"}
    with httpx.Client(base_url=demo_central.url, headers=headers, timeout=30) as client:
        answers = at_once([lambda: client.put(path, json=envelope)] * N)
        assert Counter(a.status_code for a in answers) == {201: 1, 200: N - 1}
        assert len({a.json()["receipt_id"] for a in answers}) == 1

        others = [make_envelope(note=f"version {i}") for i in range(N)]
        for other in others:
            other["snapshot_id"] = others[0]["snapshot_id"]
        other_path = f"/v1/submissions/{others[0]['snapshot_id']}"
        answers = at_once([lambda e=e: client.put(other_path, json=e) for e in others])
        assert Counter(a.status_code for a in answers) == {201: 1, 409: N - 1}
    assert count(demo_central, submissions) == 2 and audited(demo_central, "submit") == 2
