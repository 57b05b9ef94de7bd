"""`reviewer-central`: init, users, tokens (hashed, printed last), serve."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sync.server.accounts import hash_token
from sync.server.cli import main
from sync.server.db import Database, database_url, tokens


def test_users_and_tokens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.sqlite")
    assert main(["init", "--db", db]) == 0
    assert main(["add-user", "alice", "--role", "staff", "--db", db]) == 0
    assert main(["add-user", "alice", "--role", "staff", "--db", db]) == 2
    assert "already a user" in capsys.readouterr().err
    assert main(["issue-token", "alice", "--db", db]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 40
    stored = Database(database_url(db))
    with stored.read() as conn:
        hashes = list(conn.execute(select(tokens.c.token_sha256)).scalars())
    assert hashes == [hash_token(token)]  # only the hash is kept
    assert token.encode() not in (tmp_path / "c.sqlite").read_bytes()
    assert main(["revoke-token", "alice", "--db", db]) == 0
    assert main(["issue-token", "bob", "--db", db]) == 2
    assert "no user named 'bob'" in capsys.readouterr().err
    stored.dispose()


def test_serve_answers_with_its_openapi_document(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "c.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.server", "serve", "--db", str(db), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "Uvicorn running" in line:
                break
        doc = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert "/v1/submissions/{snapshot_id}" in doc["paths"]
        assert httpx.get(f"http://127.0.0.1:{port}/v1/kits").status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
    assert (tmp_path / "c-blobs").is_dir()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("command", "db", "says"),
    [
        ("check", "postgresql://reviewer:secret@127.0.0.1:{port}/central", "cannot be used"),
        ("serve", "postgresql://reviewer:secret@127.0.0.1:{port}/central", "cannot be used"),
        ("add-user", "postgresql://reviewer@/central?host=/nowhere", "cannot be used"),
        ("upgrade", "mysql+nodriver://localhost/central", "not a database URL"),
        ("upgrade", "postgresql://reviewer@127.0.0.1:notaport/central", "not a database URL"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_sentence_and_exit_2(
    command: str, db: str, says: str, tmp_path: Path
) -> None:
    """Not a traceback (it was 124 lines and exit 1); the password is never shown."""
    args = [command, "--db", db.format(port=free_port()), "--blobs", str(tmp_path)]
    if command == "add-user":
        args += ["nurse", "--role", "reviewer"]
    done = subprocess.run(
        [sys.executable, "-m", "sync.server", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("reviewer-central: ") and says in done.stderr
    assert "secret" not in done.stderr


def test_a_plain_postgresql_url_upgrades_checks_and_serves(
    postgres_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """postgresql://... (no driver named) is psycopg 3, the driver the [server] extra brings."""
    url = postgres_server.empty_database()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    assert main(["check", "--db", plain]) == 1
    assert main(["upgrade", "--db", plain]) == 0
    assert main(["check", "--db", plain]) == 0
    assert main(["add-user", "alice", "--role", "staff", "--db", plain]) == 0
    assert "added alice (staff)" in capsys.readouterr().out
    postgres_server.drop(url)


def test_check_on_a_missing_sqlite_file_makes_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_postgresql_without_a_blob_folder_says_to_name_one(
    postgres_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = postgres_server.empty_database()
    assert main(["init", "--db", url]) == 2
    assert "--blobs FOLDER" in capsys.readouterr().err
    postgres_server.drop(url)
