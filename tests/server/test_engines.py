"""Where no PostgreSQL can be had the PostgreSQL cases skip, saying why; in CI they fail."""

from __future__ import annotations

import pytest

from tests.server.central_helpers import postgres_or_skip
from tests.server.pg_cluster import ENV_URL

NOWHERE = "postgresql://nobody@127.0.0.1:1/nothing"


def test_no_postgresql_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_URL, NOWHERE)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"{ENV_URL} cannot be reached"):
        postgres_or_skip()


def test_no_postgresql_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_URL, NOWHERE)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs PostgreSQL"):
        postgres_or_skip()


def test_no_postgresql_binaries_skips_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr("tests.server.pg_cluster.glob.glob", lambda _pattern: [])
    with pytest.raises(pytest.skip.Exception, match="initdb is not installed"):
        postgres_or_skip()
