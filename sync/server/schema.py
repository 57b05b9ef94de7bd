"""Bringing a database to the schema this release expects (Alembic, configured in code).

``upgrade`` is what ``reviewer-central upgrade`` and every start of the service run: it applies
the revisions in ``sync/server/migrations/versions`` that the database lacks, in one transaction
that holds the database's own migration lock (a PostgreSQL advisory lock; on SQLite the write
lock of ``BEGIN IMMEDIATE``), so several processes starting at once apply each revision once.
A database made before Alembic (tables, no ``alembic_version``) needs nothing special: the
first revision makes only the tables that are missing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from sync.server.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed number: the key of the PostgreSQL advisory lock every migrating process takes.
MIGRATION_LOCK = 0x52564354  # "RVCT"


@dataclass(frozen=True, slots=True)
class SchemaState:
    current: str | None  # None: an empty database (or one made before Alembic)
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    @property
    def is_known(self) -> bool:
        """False when the database was upgraded by a newer release than this one."""
        return self.current is None or self.current in _known_revisions()


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in _script().walk_revisions())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "sync/server/migrations/versions has no revision"
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def state(db: Database) -> SchemaState:
    """Where the database is against this release (raises SQLAlchemyError when unreachable)."""
    with db.read() as conn:
        return SchemaState(current_revision(conn), head_revision())


class SchemaTooNew(ValueError):
    """The database was upgraded by a newer release: this one must not write to it."""


def upgrade(db: Database) -> SchemaState:
    """Apply the missing revisions; the state before. Cheap when there is nothing to do.

    SchemaTooNew when the database is at a revision this release does not know.
    """
    with db.read() as conn:
        before = SchemaState(current_revision(conn), head_revision())
    if before.is_current:
        return before
    if not before.is_known:
        raise SchemaTooNew(
            f"the database's schema is at revision {before.current}, newer than this release "
            f"knows ({before.head}); run the newer release of reviewer-central."
        )
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        # Another process may have upgraded while this one waited for the lock: Alembic reads
        # the version again inside the lock, so it then finds nothing to do.
        command.upgrade(_config(conn), "head")
    return before
