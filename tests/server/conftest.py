"""The live central service fixtures (see central_helpers.py), on both database engines.

Every test here that uses ``central`` (or ``demo_central``) runs twice: ``[sqlite]`` and
``[postgresql]``; so does every test taking an ``engine`` argument. PostgreSQL is the one in
REVIEWER_CENTRAL_TEST_PG_URL or a throwaway cluster started once a session
(tests/server/pg_cluster.py). Where none can be had the PostgreSQL cases are skipped with the
reason, except in CI (CI=true), where they fail: CI must prove both engines.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server import pg_cluster
from tests.server.central_helpers import ENGINES, central, demo_central, postgres_or_skip

__all__ = ["central", "demo_central", "postgres_server"]


# These drive the laptop's command line against the service; the database behind it is not
# what they test, and each takes seconds: SQLite is enough.
LAPTOP_SIDE = ("test_token_cli.py", "test_keyring_cli.py")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    one = metafunc.definition.path.name in LAPTOP_SIDE or metafunc.definition.get_closest_marker(
        "sqlite_only"
    )
    engines = ENGINES[:1] if one else ENGINES
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", engines)
    elif "central" in metafunc.fixturenames:
        metafunc.parametrize("central", engines, indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg_cluster.Postgres]:
    server = postgres_or_skip()
    yield server
    server.stop()
