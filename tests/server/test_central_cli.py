"""`reviewer-central`: init, users, tokens (hashed, printed last), serve."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

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
