"""A real central service on 127.0.0.1 for tests: uvicorn in a thread on a free port.

``central`` is an empty service with one staff user, on SQLite; tests/server/conftest.py runs
each of its tests on PostgreSQL too (``central`` parametrised indirectly by engine name: a
fresh database from tests/server/pg_cluster.py); ``demo_central`` adds the demo kit
(uploaded and trusted), the lead (``lead``, as m-lead), a team member (``cns``, as m-cns) and a
reviewer of no visit (``outsider``). ``make_envelope`` writes a finalised-findings envelope the
way the app does (sync/findings_format.py), signed by ``LEAD_KEY`` (the lead's laptop) unless
told another key.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from reviewer_app.app.paths import DEMO_DIR
from storage import BlobStore
from sync.authorship import public_hex, sign_findings
from sync.client import CentralClient
from sync.findings_format import FORMAT, VERSION, canonical_bytes, content_sha256
from sync.outbox import Outbox
from sync.server.accounts import add_user, issue_token
from sync.server.app import create_app
from sync.server.db import Database
from tests.server import pg_cluster

DEMO_VISIT_ID = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"


def laptop_key(name: str) -> Ed25519PrivateKey:
    """A device key that is the same in every test run (made from ``name``)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())


LEAD_KEY = laptop_key("the lead's laptop")


def sign(envelope: dict[str, Any], key: Ed25519PrivateKey = LEAD_KEY) -> dict[str, Any]:
    """The envelope with its findings signed by ``key``, as finalising signs them."""
    body = canonical_bytes(envelope["findings"])
    return {**envelope, "device_public_key": public_hex(key), "signature": sign_findings(key, body)}


@dataclass
class LiveServer:
    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread


@contextmanager
def serve(app: FastAPI) -> Iterator[LiveServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: uvicorn writes an answer's head and body separately,
    # and with Nagle's algorithm the body waited for the client's delayed ACK (40 ms a request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):
        if server.started:
            started.set()
            break
        started.wait(0.01)
    assert server.started, "the test service did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", port, server, thread)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Central:
    url: str
    db: Database
    folder: Path
    tokens: dict[str, str] = field(default_factory=dict)
    kit: dict[str, Any] = field(default_factory=dict)
    clients: list[CentralClient] = field(default_factory=list)

    def user(self, name: str, role: str = "reviewer") -> str:
        add_user(self.db, name, role)
        self.tokens[name] = issue_token(self.db, name)
        return self.tokens[name]

    def client(self, name: str, url: str | None = None, **kwargs: Any) -> CentralClient:
        kwargs.setdefault("sleep", lambda _s: None)
        kwargs.setdefault("timeout", 10.0)
        c = CentralClient(url or self.url, self.tokens[name], **kwargs)
        self.clients.append(c)
        return c


ENGINES = ("sqlite", "postgresql")


def postgres_or_skip() -> pg_cluster.Postgres:
    """The session's PostgreSQL; where none can be had, skip the test saying why, except in
    CI (CI=true), where that fails it: CI must prove both engines."""
    try:
        return pg_cluster.postgres()
    except pg_cluster.PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL for the server tests: {exc}.")
        pytest.skip(f"no PostgreSQL for this test: {exc}")


def database_for(request: pytest.FixtureRequest, engine: str, folder: Path) -> str:
    """A database URL for one test: an SQLite file in ``folder``, or a fresh PostgreSQL
    database (from the session's ``postgres_server``) dropped after the test."""
    if engine == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'central.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    url: str = server.fresh_database()
    request.addfinalizer(lambda: server.drop(url))
    return url


@pytest.fixture
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Central]:
    folder = tmp_path / "central"
    url = database_for(request, getattr(request, "param", "sqlite"), folder)
    app = create_app(
        url, blob_dir=folder / "central-blobs", max_body=2 * 1024 * 1024, max_blob=64 * 1024 * 1024
    )
    with serve(app) as live:
        c = Central(live.url, app.state.db, folder)
        c.user("staff", "staff")
        yield c
        for client in c.clients:
            client.close()
    app.state.db.dispose()


@pytest.fixture
def demo_central(central: Central, demo_kit_file: Path) -> Central:
    staff = central.client("staff")
    staff.trust_key((DEMO_DIR / "demo_key.pub").read_bytes())
    central.kit = staff.upload_kit(demo_kit_file)
    for name, member in (("lead", "m-lead"), ("cns", "m-cns")):
        central.user(name)
        staff.assign(central.kit["kit_id"], name, member)
    central.user("outsider")
    return central


def make_envelope(
    *,
    visit_id: str = DEMO_VISIT_ID,
    version: int = 1,
    supersedes: str | None = None,
    compliance: list[dict[str, Any]] | None = None,
    attachments: list[tuple[str, int]] = (),  # type: ignore[assignment]
    report: tuple[str, int] | None = None,
    note: str = "",
    key: Ed25519PrivateKey = LEAD_KEY,
) -> dict[str, Any]:
    """An envelope as finalisation writes it (the figures are the test's to choose), signed
    with ``key``.

    The team judgements are made to give ``compliance`` (the service recomputes its figures
    from them): ``met`` standards met, the rest of ``applicable`` not met.
    """
    compliance = (
        compliance if compliance is not None else [{"component": "shc", "applicable": 10, "met": 7}]
    )
    findings = {
        "format": FORMAT,
        "version": VERSION,
        "visit": {
            "visit_id": visit_id,
            "kit_id": "kit",
            "programme": "Haemoglobin Disorders Peer Review Programme 2026/27",
            "title": "Review",
            "network": "",
            "organisations": ["Riverside University Hospitals NHS Trust"],
            "start_date": "2026-12-03",
            "end_date": "2026-12-03",
            "components": [
                {"id": "shc", "name": "Specialist Haemoglobinopathy Centre"},
                {"id": "lht", "name": "Local Haemoglobinopathy Team"},
                {"id": "comm", "name": "Commissioning"},
            ],
        },
        "team": [],
        "team_judgements": [
            {
                "ref": f"HN-{100 + i}",
                "component": row["component"],
                "value": "met" if i < row["met"] else "not_met",
                "rationale": "",
                "key": False,
            }
            for row in compliance
            for i in range(row["applicable"])
        ],
        "compliance": compliance,
        "findings": [
            {
                "id": str(uuid.uuid4()),
                "component": "shc",
                "category": "concern",
                "number": 1,
                "text": note or "Clinic letters are slow.",
                "refs": [],
                "photos": [],
            }
        ],
        "immediate_risks": [],
        "attachments": [
            {"sha256": sha, "size": size, "kind": "photo", "caption": ""}
            for sha, size in attachments
        ],
    }
    envelope = {
        "snapshot_id": str(uuid.uuid4()),
        "visit_id": visit_id,
        "version": version,
        "supersedes": supersedes,
        "content_sha256": content_sha256(findings),
        "signed_off_by": "m-lead",
        "signed_off_at": "2026-12-04T17:00:00Z",
        "findings": findings,
        "report": {"sha256": report[0], "size": report[1], "format": "pdf"} if report else None,
    }
    return sign(envelope, key)


def queue_findings(outbox: Outbox, photos: BlobStore, count: int) -> None:
    """``count`` versions of the demo visit's findings in ``outbox``, each superseding the one
    before, one in ten with a photo (sealed in ``photos``, the store the outbox sends from)."""
    previous = None
    for i in range(count):
        blob_files: dict[str, Path] = {}
        attachments = []
        if i % 10 == 0:
            data = f"photo {i}".encode() * 500
            sha = photos.put_bytes(data)
            blob_files[sha] = photos.path(sha)
            attachments.append((sha, len(data)))
        envelope = make_envelope(
            version=i + 1, supersedes=previous, attachments=attachments, note=f"finding {i}"
        )
        outbox.enqueue(envelope, blob_files)
        previous = envelope["snapshot_id"]
