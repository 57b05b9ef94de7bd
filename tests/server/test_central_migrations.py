"""The schema's history: a database from the release before Alembic upgrades with its rows
intact; migrations and db.py describe the same tables; `reviewer-central upgrade` and `check`.

Each test runs on SQLite and PostgreSQL (``engine``, tests/server/conftest.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from sync.server.accounts import hash_token, user_for_token
from sync.server.app import create_app
from sync.server.cli import main
from sync.server.db import Database, metadata, submissions
from sync.server.schema import head_revision, state
from tests.server.central_helpers import serve

# What `metadata.create_all` made in the release before Alembic (0.x, no alembic_version
# table), frozen: {serial} is INTEGER on SQLite and SERIAL on PostgreSQL, as SQLAlchemy wrote.
PREVIOUS_RELEASE_DDL = """
CREATE TABLE audit (
    id {serial} NOT NULL, at VARCHAR(40) NOT NULL, who VARCHAR(200) NOT NULL,
    action VARCHAR(60) NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (id));
CREATE TABLE blobs (
    sha256 VARCHAR(64) NOT NULL, size BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL,
    PRIMARY KEY (sha256));
CREATE TABLE trusted_keys (
    key_id VARCHAR(16) NOT NULL, pem TEXT NOT NULL, added_by VARCHAR(200) NOT NULL,
    added_at VARCHAR(40) NOT NULL, PRIMARY KEY (key_id));
CREATE TABLE users (
    id {serial} NOT NULL, name VARCHAR(200) NOT NULL, role VARCHAR(20) NOT NULL,
    created_at VARCHAR(40) NOT NULL, PRIMARY KEY (id), UNIQUE (name));
CREATE TABLE visits (
    visit_id VARCHAR(64) NOT NULL, programme TEXT NOT NULL, title TEXT NOT NULL,
    details TEXT NOT NULL, latest_kit_id VARCHAR(64) NOT NULL, updated_at VARCHAR(40) NOT NULL,
    PRIMARY KEY (visit_id));
CREATE TABLE device_keys (
    user_id INTEGER NOT NULL, public_key VARCHAR(64) NOT NULL, pinned_at VARCHAR(40) NOT NULL,
    first_snapshot_id VARCHAR(64) NOT NULL, PRIMARY KEY (user_id),
    FOREIGN KEY(user_id) REFERENCES users (id));
CREATE TABLE kits (
    kit_id VARCHAR(64) NOT NULL, visit_id VARCHAR(64) NOT NULL, sha256 VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL, uploaded_by VARCHAR(200) NOT NULL,
    uploaded_at VARCHAR(40) NOT NULL, PRIMARY KEY (kit_id),
    FOREIGN KEY(visit_id) REFERENCES visits (visit_id));
CREATE INDEX ix_kits_visit_id ON kits (visit_id);
CREATE TABLE submissions (
    snapshot_id VARCHAR(64) NOT NULL, visit_id VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
    supersedes VARCHAR(64), content_sha256 VARCHAR(64) NOT NULL,
    envelope_sha256 VARCHAR(64) NOT NULL, envelope TEXT NOT NULL, state VARCHAR(20) NOT NULL,
    receipt TEXT NOT NULL, submitted_by VARCHAR(200) NOT NULL, created_at VARCHAR(40) NOT NULL,
    updated_at VARCHAR(40) NOT NULL, has_report BOOLEAN NOT NULL, PRIMARY KEY (snapshot_id),
    FOREIGN KEY(visit_id) REFERENCES visits (visit_id));
CREATE INDEX submissions_visit ON submissions (visit_id, version);
CREATE TABLE tokens (
    id {serial} NOT NULL, user_id INTEGER NOT NULL, token_sha256 VARCHAR(64) NOT NULL,
    created_at VARCHAR(40) NOT NULL, revoked_at VARCHAR(40), PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id), UNIQUE (token_sha256));
CREATE TABLE assignments (
    kit_id VARCHAR(64) NOT NULL, user_id INTEGER NOT NULL, visit_id VARCHAR(64) NOT NULL,
    member_id VARCHAR(200) NOT NULL, assigned_by VARCHAR(200) NOT NULL,
    assigned_at VARCHAR(40) NOT NULL, PRIMARY KEY (kit_id, user_id),
    FOREIGN KEY(kit_id) REFERENCES kits (kit_id), FOREIGN KEY(user_id) REFERENCES users (id));
CREATE INDEX ix_assignments_visit_id ON assignments (visit_id);
CREATE TABLE comments (
    id {serial} NOT NULL, snapshot_id VARCHAR(64) NOT NULL, author VARCHAR(200) NOT NULL,
    text TEXT NOT NULL, created_at VARCHAR(40) NOT NULL, PRIMARY KEY (id),
    FOREIGN KEY(snapshot_id) REFERENCES submissions (snapshot_id));
CREATE INDEX comments_snapshot ON comments (snapshot_id);
CREATE TABLE submission_signatures (
    snapshot_id VARCHAR(64) NOT NULL, public_key VARCHAR(64) NOT NULL,
    signature VARCHAR(128) NOT NULL, PRIMARY KEY (snapshot_id),
    FOREIGN KEY(snapshot_id) REFERENCES submissions (snapshot_id));
"""

TOKEN = "a-token-issued-by-the-previous-release"
VISIT = "7c1e5a52-9a57-4f0e-8f0b-3d5e2b1c9a01"
# One row in every table, written as the previous release wrote them.
PREVIOUS_RELEASE_ROWS = [
    "INSERT INTO users (name, role, created_at) VALUES ('staff', 'staff', '2026-11-01T09:00Z')",
    "INSERT INTO users (name, role, created_at) VALUES ('lead', 'reviewer', '2026-11-01T09:00Z')",
    f"INSERT INTO tokens (user_id, token_sha256, created_at) VALUES "
    f"(1, '{hash_token(TOKEN)}', '2026-11-01T09:00Z')",
    "INSERT INTO trusted_keys VALUES ('0123456789abcdef', 'PEM', 'config', '2026-11-01T09:00Z')",
    f"INSERT INTO visits VALUES ('{VISIT}', 'Programme', 'Review', '{{}}', 'kit-1', 'now')",
    f"INSERT INTO kits VALUES ('kit-1', '{VISIT}', '{'ab' * 32}', 10, 'then', 'staff', 'now')",
    f"INSERT INTO assignments VALUES ('kit-1', 2, '{VISIT}', 'm-lead', 'staff', 'now')",
    f"INSERT INTO blobs VALUES ('{'cd' * 32}', 5, 'now')",
    f"INSERT INTO submissions VALUES ('snap-1', '{VISIT}', 1, NULL, '{'ef' * 32}', "
    f"'{'12' * 32}', '{{\"snapshot_id\": \"snap-1\"}}', 'has_issues', '{{\"receipt_id\": \"r1\"}}',"
    " 'lead', 'now', 'now', FALSE)",
    "INSERT INTO submission_signatures VALUES ('snap-1', 'pub', 'sig')",
    "INSERT INTO device_keys VALUES (2, 'pub', 'now', 'snap-1')",
    "INSERT INTO comments (snapshot_id, author, text, created_at) VALUES "
    "('snap-1', 'staff', 'Section 3 is missing.', 'now')",
    "INSERT INTO audit (at, who, action, target, detail) VALUES ('now', 'staff', 'x', 'y', '{}')",
]
TABLES = [
    "users", "tokens", "trusted_keys", "visits", "kits", "assignments", "blobs", "submissions",
    "submission_signatures", "device_keys", "comments", "audit",
]  # fmt: skip


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, engine: str, tmp_path: Path) -> str:
    """A database with no tables at all, on ``engine``."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'central.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    url: str = server.empty_database()
    request.addfinalizer(lambda: server.drop(url))
    return url


def previous_release_database(url: str) -> None:
    """The database the release before Alembic made and used: its tables, one row in each."""
    db = Database(url)
    serial = "INTEGER" if db.is_sqlite else "SERIAL"
    with db.write() as conn:
        for statement in PREVIOUS_RELEASE_DDL.format(serial=serial).split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
        for statement in PREVIOUS_RELEASE_ROWS:
            conn.exec_driver_sql(statement)
    db.dispose()


def rows_of(db: Database) -> dict[str, list[tuple[object, ...]]]:
    with db.read() as conn:
        return {
            t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))) for t in TABLES
        }


def test_a_database_of_the_previous_release_upgrades_with_its_rows(
    empty_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous_release_database(empty_url)
    before = rows_of(Database(empty_url))
    assert main(["check", "--db", empty_url]) == 1
    assert "run: reviewer-central upgrade" in capsys.readouterr().err
    assert main(["upgrade", "--db", empty_url]) == 0
    assert f"schema upgraded from none to {head_revision()}" in capsys.readouterr().out
    assert main(["check", "--db", empty_url]) == 0
    assert "schema current" in capsys.readouterr().out

    db = Database(empty_url)
    assert rows_of(db) == before
    assert state(db).is_current
    # The upgraded database serves: the old token signs in, the lead sees the staff comment.
    lead = user_for_token(db, TOKEN)
    assert lead is not None and lead.name == "staff"
    app = create_app(empty_url, blob_dir=tmp_path / "blobs")
    with serve(app) as live:
        me = httpx.get(f"{live.url}/v1/me", headers={"Authorization": f"Bearer {TOKEN}"})
        assert me.json() == {"name": "staff", "role": "staff"}
        listed = httpx.get(
            f"{live.url}/v1/visits/{VISIT}/submissions",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
    assert [c["text"] for c in listed[0]["comments"]] == ["Section 3 is missing."]
    app.state.db.dispose()
    with db.write() as conn:  # new rows still get new ids after the copied ones
        conn.exec_driver_sql(
            "INSERT INTO users (name, role, created_at) VALUES ('cns', 'reviewer', 'now')"
        )
        assert conn.execute(text("SELECT max(id) FROM users")).scalar() == 3
    db.dispose()


def test_the_migrations_make_the_tables_db_py_describes(empty_url: str) -> None:
    db = Database(empty_url)
    db.upgrade()
    with db.read() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        tables = set(inspect(conn).get_table_names())
    db.dispose()
    assert differences == []
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_processes_starting_together_upgrade_once(empty_url: str) -> None:
    """Four processes' worth of engines upgrading one empty database at the same moment."""
    engines = [Database(empty_url) for _ in range(4)]
    gate = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(db: Database) -> Callable[[], None]:
        def run() -> None:
            gate.wait()
            try:
                db.upgrade()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        return run

    threads = [threading.Thread(target=start(db)) for db in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert all(state(db).is_current for db in engines)
    with engines[0].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(select(func.count()).select_from(submissions)).scalar() == 0
    for db in engines:
        db.dispose()


def test_check_says_when_the_database_is_newer_than_this_release(
    empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(empty_url)
    db.upgrade()
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    assert main(["check", "--db", empty_url]) == 1
    err = capsys.readouterr().err
    assert "newer than this release knows" in err and err.count("\n") == 1
    # Nor does it upgrade, or serve, it: one sentence, exit 2.
    for command in (["upgrade"], ["add-user", "nurse", "--role", "reviewer"]):
        assert main([*command, "--db", empty_url]) == 2
        err = capsys.readouterr().err
        assert "newer than this release knows" in err and err.count("\n") == 1
