"""The central service's tables (SQLAlchemy Core) and how to open them.

One schema for SQLite (the default: a file) and PostgreSQL (by URL). JSON documents are kept as
text so that both dialects store exactly the bytes the service was given. Blob *contents* are not
in the database: they are files under a blob folder (see :mod:`sync.server.blobs`); the ``blobs``
table only says which hashes are complete, so a submission can check them in its transaction.

The tables here are always the newest schema; how a database gets there is Alembic's
(:mod:`sync.server.schema`, revisions in ``migrations/versions``): a change to a table here
needs a revision there, and tests/server/test_migrations.py checks that the two agree.

Several service processes may share one PostgreSQL database, so no write may rely on a lock
held in one process: each is made safe by a unique constraint and ``INSERT ... ON CONFLICT``
(:func:`insert_or_ignore`, :func:`upsert`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import ArgumentError

WAL_TRIES = 200  # a new SQLite file turned to WAL: tries 50 ms apart (see _wal)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # staff | reviewer
    Column("created_at", String(40), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)

trusted_keys = Table(
    "trusted_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("pem", Text, nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("added_at", String(40), nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("visit_id", String(64), primary_key=True),
    Column("programme", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("details", Text, nullable=False),  # VisitDetails JSON of the newest kit
    Column("latest_kit_id", String(64), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

kits = Table(
    "kits",
    metadata,
    Column("kit_id", String(64), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", String(40), nullable=False),  # as the kit says
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", String(40), nullable=False),
)

assignments = Table(
    "assignments",
    metadata,
    Column("kit_id", String(64), ForeignKey("kits.kit_id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("visit_id", String(64), nullable=False, index=True),
    Column("member_id", String(200), nullable=False),
    Column("assigned_by", String(200), nullable=False),
    Column("assigned_at", String(40), nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", String(40), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("snapshot_id", String(64), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("supersedes", String(64), nullable=True),
    Column("content_sha256", String(64), nullable=False),
    Column("envelope_sha256", String(64), nullable=False),  # what "same content" compares
    Column("envelope", Text, nullable=False),
    Column("state", String(20), nullable=False),
    Column("receipt", Text, nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("has_report", Boolean, nullable=False, default=False),
)
Index("submissions_visit", submissions.c.visit_id, submissions.c.version)

# The lead's device key (sync/authorship.py) and its signature over the findings' canonical
# bytes, checked before the submission was stored. Submissions from before signing have none.
submission_signatures = Table(
    "submission_signatures",
    metadata,
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)

# A user's pinned device key: the key of their first signed submission; any other is refused
# until staff reset it (the user changed laptop). One row a user: the primary key is the pin.
device_keys = Table(
    "device_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("pinned_at", String(40), nullable=False),
    Column("first_snapshot_id", String(64), nullable=False),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), nullable=False),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
Index("comments_snapshot", comments.c.snapshot_id)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("who", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON
)

# -- uploads (issue 17, blobs.py / uploads.py; migration 0002) --------------------------------
# Who has uploaded which blob: the proof they hold its bytes, so only they (and staff) are told
# it exists, and what counts against their quota. One row per user and blob: the same content
# sent by two users is stored once and counted for each.
blob_owners = Table(
    "blob_owners",
    metadata,
    Column("sha256", String(64), ForeignKey("blobs.sha256"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("uploaded_at", String(40), nullable=False),
)
Index("blob_owners_user", blob_owners.c.user_id)
# -- end of uploads ----------------------------------------------------------------------------

# -- after the visit (issue 18, migration 0003; docs/after-the-visit.md) -----------------------
# The date each step of a visit was first reached (visit_end, feedback_sheet, v1_finalised,
# pack_sent, comments_returned, v2_finalised, approved, published: STEPS). The first date is
# kept (insert_or_ignore): a step reached again does not move.
visit_steps = Table(
    "visit_steps",
    metadata,
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), primary_key=True),
    Column("step", String(30), primary_key=True),
    Column("at", String(40), nullable=False),  # ISO date or UTC time
    Column("recorded_by", String(200), nullable=False),
)

# The factual accuracy pack staff sent to the provider: which version it was made from.
accuracy_packs = Table(
    "accuracy_packs",
    metadata,
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False, index=True),
    Column("sent_at", String(40), nullable=False),
    Column("sent_by", String(200), nullable=False),
)

# The provider's comments from an imported response form, one row per commented form row.
accuracy_comments = Table(
    "accuracy_comments",
    metadata,
    Column("comment_id", String(64), primary_key=True),  # sha256(snapshot_id, item)[:32]
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), nullable=False),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False),
    Column("item_kind", String(20), nullable=False),  # "finding" | "standard"
    Column("item_id", String(400), nullable=False),  # finding id | "<component>:<ref>"
    Column("item_label", Text, nullable=False),  # what the form showed: "Finding 3 (...)"
    Column("comment_type", String(30), nullable=False),  # COMMENT_TYPES
    Column("comment", Text, nullable=False),
    Column("proposed", Text, nullable=False),  # "" when none
    Column("form_row", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("imported_by", String(200), nullable=False),
)
Index("accuracy_comments_snapshot", accuracy_comments.c.snapshot_id)

# Staff's approval of a version (for the quality assurance group).
approvals = Table(
    "approvals",
    metadata,
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False, index=True),
    Column("approved_by", String(200), nullable=False),  # who approved (the group, a person)
    Column("approved_at", String(40), nullable=False),  # ISO date of the decision
    Column("conditions", Text, nullable=False),  # "" when none
    Column("recorded_by", String(200), nullable=False),  # the staff user
    Column("recorded_at", String(40), nullable=False),
)

# The final report of an approved version, rendered by the lead's app (no DRAFT, "Final").
final_reports = Table(
    "final_reports",
    metadata,
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False, index=True),
    Column("pdf_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("pdf_size", BigInteger, nullable=False),
    Column("docx_sha256", String(64), ForeignKey("blobs.sha256"), nullable=True),
    Column("docx_size", BigInteger, nullable=True),
    Column("uploaded_by", String(200), nullable=False),
    Column("uploaded_at", String(40), nullable=False),
)

# A published final report: downloadable, with its hash.
publications = Table(
    "publications",
    metadata,
    Column("snapshot_id", String(64), ForeignKey("submissions.snapshot_id"), primary_key=True),
    Column("visit_id", String(64), ForeignKey("visits.visit_id"), nullable=False, unique=True),
    Column("pdf_sha256", String(64), nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_at", String(40), nullable=False),
)

# Per programme: the expected working days from the visit's end to each step (JSON object).
programme_settings = Table(
    "programme_settings",
    metadata,
    Column("programme", String(400), primary_key=True),
    Column("expected_days", Text, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
# -- end of after the visit --------------------------------------------------------------------

STEPS = (
    "visit_end",
    "feedback_sheet",
    "v1_finalised",
    "pack_sent",
    "comments_returned",
    "v2_finalised",
    "approved",
    "published",
)
COMMENT_TYPES = ("typographical", "factual", "omitted")
"""The provider's comment types: typographical or numerical, factually inaccurate, omitted
information (the form shows the long names, ``sync.server.accuracy``)."""

SUBMISSION_STATES = ("received", "accepted", "has_issues", "rejected")
ROLES = ("staff", "reviewer")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def database_url(db: str | Path) -> str:
    """A URL from what a person typed: a URL is kept, anything else is an SQLite file path."""
    text = str(db)
    if "://" in text:
        return engine_url(text)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def engine_url(url: str) -> str:
    """``postgresql://`` (and ``postgres://``, as Heroku-style hosts give it) means psycopg 3,
    the driver the ``[server]`` extra installs; SQLAlchemy would otherwise look for psycopg2."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


def shown_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # shown as typed, less anything before an @
        return url.rsplit("@", maxsplit=1)[-1]


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases (and in-memory SQLite)."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return Path(rest) if rest and rest != ":memory:" else None


class Database:
    """An engine plus the write discipline, the same for one process or several.

    PostgreSQL: each write is one READ COMMITTED transaction; concurrent writes of the same row
    meet at a unique constraint and ``ON CONFLICT`` decides, in the database. SQLite: a write
    transaction starts with ``BEGIN IMMEDIATE``, which takes SQLite's write lock at once (a
    deferred transaction that reads and then writes can be refused "database is locked" when
    another writer got in between); other writers, in this process or another, wait for it
    on ``busy_timeout``.
    """

    def __init__(self, url: str) -> None:
        self.url = engine_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            # A restarted database server leaves dead connections in the pool: test each one
            # before use. Requests run in a thread pool of 40 but hold a connection only while
            # their SQL runs: at most 20 a process (docs/central-service.md: max_connections).
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=15)
        try:
            self.engine: Engine = create_engine(self.url, **kwargs)
        except ValueError as exc:  # a URL that parses but says nonsense (a port that is text)
            raise ArgumentError(f"{shown_url(self.url)} is not a database URL: {exc}") from exc
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)

    def upgrade(self) -> None:
        """Bring the schema to this release's (see :mod:`sync.server.schema`)."""
        from sync.server.schema import upgrade  # noqa: PLC0415 - Alembic, only when needed

        path = sqlite_file(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        upgrade(self)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (committed on leaving, rolled back on an exception)."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def insert_or_ignore(conn: Connection, table: Table, **values: Any) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING``: its rowcount is 1 when this call made the row, 0
    when the row was there (or another transaction made it first, which this one waited for).

    ``preserve_rowcount``: SQLAlchemy closes the cursor of a statement that returns no rows at
    once, and psycopg then reports a rowcount of -1 (true, so "added" every time).
    """
    statement: Insert = (
        _dialect_insert(conn, table)
        .values(**values)
        .on_conflict_do_nothing()
        .execution_options(preserve_rowcount=True)
    )
    return statement


def upsert(conn: Connection, table: Table, key: Sequence[str], **values: Any) -> Insert:
    """``INSERT ... ON CONFLICT (key) DO UPDATE``: the row ends with ``values`` either way."""
    statement = _dialect_insert(conn, table).values(**values)
    changed = {k: v for k, v in values.items() if k not in key}
    result: Insert = statement.on_conflict_do_update(index_elements=list(key), set_=changed)
    return result


def _dialect_insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite_dialect.insert(table)
    raise NotImplementedError(f"the service runs on SQLite or PostgreSQL, not {conn.dialect.name}")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _wal(cur)
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
    # Transactions are begun by _sqlite_begin, not by the sqlite3 module (which would start a
    # deferred one only at the first write, too late to choose IMMEDIATE).
    dbapi_connection.isolation_level = None


def _wal(cur: Any) -> None:
    """Put the file in WAL mode. Turning a new file to WAL needs it to itself, and SQLite then
    answers "database is locked" at once, without its busy wait, to a process starting at the
    same moment as another (tests/server/test_central_migrations.py, four at once): wait here."""
    for _ in range(WAL_TRIES - 1):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
        else:
            return
    cur.execute("PRAGMA journal_mode=WAL")


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))
