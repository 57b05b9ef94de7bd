"""A throwaway PostgreSQL for tests and benchmarks: a cluster in a temporary folder, reached
only through a Unix socket in that folder, removed when done.

``REVIEWER_CENTRAL_TEST_PG_URL`` names a server to use instead (any database on it the URL's
user may connect to; that user must be allowed to CREATE DATABASE). Otherwise Debian's
binaries (``/usr/lib/postgresql/*/bin``, scripts/system-deps.sh installs them) start a cluster;
PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres``
system user (the Debian package makes it) and its commands run through ``runuser``.

Each test gets a database of its own, copied from a template that was upgraded to the
service's schema once (``CREATE DATABASE ... TEMPLATE`` takes a few milliseconds; running the
migrations for every test would not), and dropped after it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from sync.server.db import Database

ENV_URL = "REVIEWER_CENTRAL_TEST_PG_URL"
TEMPLATE = "central_template"


class PostgresUnavailable(Exception):
    """Why no PostgreSQL could be had (one sentence)."""


class Postgres:
    """A server reached by ``admin_url`` (psycopg's form), on which databases are made."""

    def __init__(self, admin_url: str, cluster: Path | None = None) -> None:
        self.admin_url = admin_url
        self.cluster = cluster
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._template_ready = False

    def url(self, database: str) -> str:
        """A SQLAlchemy URL of ``database`` on this server."""
        url = make_url(self.admin_url).set(drivername="postgresql+psycopg", database=database)
        return url.render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def fresh_database(self) -> str:
        """The URL of a new database with the service's schema (made from the template)."""
        with self._lock:
            if not self._template_ready:
                self._admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
                self._admin(f"CREATE DATABASE {TEMPLATE}")
                db = Database(self.url(TEMPLATE))
                db.upgrade()
                db.dispose()
                self._template_ready = True
            name = f"central_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def empty_database(self) -> str:
        """The URL of a new database with no tables at all."""
        name = f"empty_{os.getpid()}_{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self.cluster is not None:
            _as_owner(_bin("pg_ctl"), "-D", str(self.cluster / "data"), "-m", "immediate", "stop")
            shutil.rmtree(self.cluster, ignore_errors=True)
            self.cluster = None


def _libpq(url: str) -> str:
    """psycopg's form of a SQLAlchemy URL (no "+psycopg")."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise PostgresUnavailable(
            f"PostgreSQL's {name} is not installed (bash scripts/system-deps.sh installs it)"
        )
    return found[-1]


def _owner() -> str | None:
    """The user the cluster runs as: None for this one, "postgres" when this one is root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable(
            "running as root and there is no 'postgres' user to own a test cluster"
        ) from exc
    return "postgres"


def _as_owner(*cmd: str) -> subprocess.CompletedProcess[str]:
    owner = _owner()
    full = ["runuser", "-u", owner, "--", *cmd] if owner else list(cmd)
    return subprocess.run(full, capture_output=True, text=True, check=False, timeout=60)


def start_cluster(*, durable: bool = False) -> Postgres:
    """A new cluster in a temporary folder; PostgresUnavailable (with why) if it cannot start.

    ``durable``: fsync on, as a real server runs (benchmarks); tests leave it off.
    """
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix="reviewer-pg-"))
    if owner:
        shutil.chown(root, owner)
    data = root / "data"
    made = _as_owner(
        initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
        "-E", "UTF8", "--locale=C",
    )  # fmt: skip
    if made.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {made.stderr.strip()[-300:]}")
    # Durability is not what the tests are about: fsync off makes a test database cheap.
    options = f"-k {root} -c listen_addresses='' -c max_connections=300"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    log_file = str(root / "log")
    started = _as_owner(pg_ctl, "-D", str(data), "-l", log_file, "-o", options, "-w", "start")
    if started.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"the test cluster did not start: {log.strip()[-300:]}")
    return Postgres(f"postgresql+psycopg://postgres@/postgres?host={root}", cluster=root)


def postgres() -> Postgres:
    """The server named by REVIEWER_CENTRAL_TEST_PG_URL, else a new throwaway cluster."""
    given = os.environ.get(ENV_URL)
    if not given:
        return start_cluster()
    server = Postgres(Database(given).url)
    try:
        server._admin("SELECT 1")
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())[:200]
        raise PostgresUnavailable(f"{ENV_URL} cannot be reached ({reason})") from exc
    return server
