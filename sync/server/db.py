"""The central service's tables (SQLAlchemy Core) and how to open them.

One schema for SQLite (the default: a file) and PostgreSQL (by URL). JSON documents are kept as
text so that both dialects store exactly the bytes the service was given. Blob *contents* are not
in the database: they are files under a blob folder (see :mod:`sync.server.blobs`); the ``blobs``
table only says which hashes are complete, so a submission can check them in its transaction.

Schema changes: there is no migration tool here yet (DESIGN.md names Alembic): ``create_all``
makes missing tables on every start, so a change is a **new table** (an existing database gets
it on its next start), never a new column on an old one. That is why a submission's signature
and a lead's pinned device key live in tables of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

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

SUBMISSION_STATES = ("received", "accepted", "has_issues", "rejected")
ROLES = ("staff", "reviewer")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def database_url(db: str | Path) -> str:
    """A URL from what a person typed: a URL is kept, anything else is an SQLite file path."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases (and in-memory SQLite)."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return Path(rest) if rest and rest != ":memory:" else None


class Database:
    """An engine plus the write discipline: on SQLite one writer at a time in this process.

    SQLite would otherwise answer a second concurrent writer with "database is locked" when a
    read transaction tries to upgrade; serialising writes here is simpler and as fast (SQLite
    has one writer anyway). Other processes (the CLI while the service runs) wait on
    ``busy_timeout``. PostgreSQL needs no lock.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._write_lock = threading.Lock() if self.is_sqlite else None

    def create(self) -> None:
        path = sqlite_file(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (committed on leaving, rolled back on an exception)."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
