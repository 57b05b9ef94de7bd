"""Ordered schema migrations, keyed on ``PRAGMA user_version``.

``MIGRATIONS`` is a list of ``(version, sql)``; a workspace at version *n* gets every step with a
larger version, each in its own transaction together with the new ``user_version``, so a crash
leaves the file at one version or the next, never in between; a new file gets them all in one
transaction (a crash leaves it empty, created from scratch at the next open). The runner is
``storage.sqlite.migrate``. Add steps; never edit a released one.
"""

from __future__ import annotations

import sqlite3

from storage import sqlite
from storage.snapshots import OUTBOX_SCHEMA
from storage.sqlite import SchemaTooNew, user_version

__all__ = ["LATEST_VERSION", "MIGRATIONS", "SchemaTooNew", "migrate", "user_version"]

_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT                      -- JSON
);

-- This laptop's own settings for the visit (who I am, where I was). Never replicated.
CREATE TABLE local (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT                      -- JSON
);

-- The kit the workspace was opened from; replaced as a whole by a re-issued kit.
CREATE TABLE kit_info (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    kit_id        TEXT NOT NULL,
    visit_id      TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    loaded_at     TEXT NOT NULL
);

CREATE TABLE kit_sections (
    position INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE
);

CREATE TABLE kit_standards (
    ref               TEXT PRIMARY KEY NOT NULL,
    position          INTEGER NOT NULL UNIQUE,
    section           TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL DEFAULT '',
    requirement       TEXT NOT NULL DEFAULT '',
    parts_json        TEXT NOT NULL DEFAULT '[]',
    evidence_expected TEXT NOT NULL DEFAULT '',
    key_standard      INTEGER NOT NULL DEFAULT 0,
    applies_to_json   TEXT NOT NULL DEFAULT '[]',
    notes_json        TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE kit_self_assessment (
    ref           TEXT NOT NULL REFERENCES kit_standards(ref) ON DELETE CASCADE,
    component     TEXT NOT NULL,
    claim         TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL DEFAULT '',
    evidence_json TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (ref, component)
);

CREATE TABLE kit_evidence (
    id             TEXT PRIMARY KEY NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    file           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    size           INTEGER NOT NULL,
    standards_json TEXT NOT NULL DEFAULT '[]'
);

-- Full-text index over the standards, kept in step with kit_standards by triggers.
CREATE VIRTUAL TABLE kit_standards_fts USING fts5(
    ref, title, requirement, evidence_expected,
    content='kit_standards', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER kit_standards_fts_ai AFTER INSERT ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(rowid, ref, title, requirement, evidence_expected)
    VALUES (new.rowid, new.ref, new.title, new.requirement, new.evidence_expected);
END;
CREATE TRIGGER kit_standards_fts_ad AFTER DELETE ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(kit_standards_fts, rowid, ref, title, requirement,
                                  evidence_expected)
    VALUES ('delete', old.rowid, old.ref, old.title, old.requirement, old.evidence_expected);
END;
CREATE TRIGGER kit_standards_fts_au AFTER UPDATE ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(kit_standards_fts, rowid, ref, title, requirement,
                                  evidence_expected)
    VALUES ('delete', old.rowid, old.ref, old.title, old.requirement, old.evidence_expected);
    INSERT INTO kit_standards_fts(rowid, ref, title, requirement, evidence_expected)
    VALUES (new.rowid, new.ref, new.title, new.requirement, new.evidence_expected);
END;

-- The operation log: append-only. seq is the local arrival order ("what's new since").
CREATE TABLE ops (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id     TEXT UNIQUE NOT NULL,
    hlc       TEXT NOT NULL,
    device_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,            -- JSON
    base      TEXT                      -- op_id the author saw, or NULL
);
CREATE INDEX ops_by_field ON ops(entity, entity_id, field);
CREATE INDEX ops_by_base ON ops(base);

-- Derived: the winner per field (largest (hlc, device_id, op_id)).
CREATE TABLE field_state (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,            -- JSON
    op_id     TEXT NOT NULL REFERENCES ops(op_id),
    hlc       TEXT NOT NULL,
    device_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id, field)
) WITHOUT ROWID;

-- Derived: ops on a field that no other op on that field names as its base.
CREATE TABLE field_heads (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    op_id     TEXT NOT NULL REFERENCES ops(op_id),
    PRIMARY KEY (entity, entity_id, field, op_id)
) WITHOUT ROWID;
"""

# 2: the reviewer's search also finds words in a requirement's lettered parts.
_V2 = """
DROP TRIGGER kit_standards_fts_ai;
DROP TRIGGER kit_standards_fts_ad;
DROP TRIGGER kit_standards_fts_au;
DROP TABLE kit_standards_fts;
CREATE VIRTUAL TABLE kit_standards_fts USING fts5(
    ref, title, requirement, evidence_expected, parts_json,
    content='kit_standards', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER kit_standards_fts_ai AFTER INSERT ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(rowid, ref, title, requirement, evidence_expected, parts_json)
    VALUES (new.rowid, new.ref, new.title, new.requirement, new.evidence_expected,
            new.parts_json);
END;
CREATE TRIGGER kit_standards_fts_ad AFTER DELETE ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(kit_standards_fts, rowid, ref, title, requirement,
                                  evidence_expected, parts_json)
    VALUES ('delete', old.rowid, old.ref, old.title, old.requirement, old.evidence_expected,
            old.parts_json);
END;
CREATE TRIGGER kit_standards_fts_au AFTER UPDATE ON kit_standards BEGIN
    INSERT INTO kit_standards_fts(kit_standards_fts, rowid, ref, title, requirement,
                                  evidence_expected, parts_json)
    VALUES ('delete', old.rowid, old.ref, old.title, old.requirement, old.evidence_expected,
            old.parts_json);
    INSERT INTO kit_standards_fts(rowid, ref, title, requirement, evidence_expected, parts_json)
    VALUES (new.rowid, new.ref, new.title, new.requirement, new.evidence_expected,
            new.parts_json);
END;
INSERT INTO kit_standards_fts(kit_standards_fts) VALUES ('rebuild');
"""

# 3: finalised snapshots (DESIGN.md "Finalised findings"). A snapshot never changes: triggers
# abort any UPDATE or DELETE, and an insert must be the next version, superseding the latest.
_V3 = """
CREATE TABLE snapshots (
    snapshot_id    TEXT PRIMARY KEY NOT NULL,
    version        INTEGER NOT NULL UNIQUE CHECK (version >= 1),
    supersedes     TEXT REFERENCES snapshots(snapshot_id),
    content_sha256 TEXT NOT NULL,
    findings_json  BLOB NOT NULL,          -- canonical bytes; content_sha256 is their hash
    report_sha256  TEXT,                   -- the final report PDF in the blob store
    signed_off_by  TEXT NOT NULL,
    signed_off_at  TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE TRIGGER snapshots_never_update BEFORE UPDATE ON snapshots BEGIN
    SELECT RAISE(ABORT, 'a finalised snapshot never changes; amend by finalising again');
END;
CREATE TRIGGER snapshots_never_delete BEFORE DELETE ON snapshots BEGIN
    SELECT RAISE(ABORT, 'a finalised snapshot is never deleted');
END;
CREATE TRIGGER snapshots_in_sequence BEFORE INSERT ON snapshots
WHEN new.version != coalesce((SELECT max(version) FROM snapshots), 0) + 1
  OR new.supersedes IS NOT
     (SELECT snapshot_id FROM snapshots ORDER BY version DESC LIMIT 1)
BEGIN
    SELECT RAISE(ABORT, 'a snapshot must be the next version and supersede the latest');
END;
"""

# Version 4 (issue 13): each finalised snapshot's outbox item, written in the snapshot's own
# transaction, so no crash leaves a version that is never sent (storage/snapshots.py). A
# workspace whose snapshots predate it gets their items when it is next opened.
_V4 = ";\n".join(OUTBOX_SCHEMA) + ";"

# Version 5 (issue 14): who wrote what (sync/authorship.py). ``ops.seal`` names the seal that
# covers an op (NULL: this laptop's own op, not yet sealed: it is sealed when next exported);
# ``seals`` keeps every seal as signed, to relay it; ``device_keys`` the member -> device key
# bindings seen (local to this laptop: each laptop pins on first sight); ``held_ops`` the ops
# held back (a clock beyond the bounds, or a key not yet confirmed), kept as they came, never
# applied and never exported; ``snapshot_signatures`` the lead's signature of each snapshot's
# findings.json, written in the snapshot's transaction.
_V5 = """
ALTER TABLE ops ADD COLUMN seal TEXT;
ALTER TABLE ops ADD COLUMN seal_pos INTEGER;
-- No query reads ops by (entity, entity_id, field) (field_state and field_heads answer that),
-- and every op merged paid for the index: ~15% of a merge.
DROP INDEX ops_by_field;
CREATE INDEX ops_unsealed ON ops(device_id) WHERE seal IS NULL;
CREATE TABLE seals (
    seal_id    TEXT PRIMARY KEY NOT NULL,
    member_id  TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    public_key TEXT NOT NULL,
    body       BLOB NOT NULL,
    hashes     BLOB NOT NULL,
    signature  TEXT NOT NULL
);
CREATE TABLE device_keys (
    member_id  TEXT NOT NULL,
    public_key TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    binding    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pinned', 'accepted', 'held', 'rejected')),
    first_seen TEXT NOT NULL,
    seen_in    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (member_id, public_key)
);
CREATE TABLE held_ops (
    op_id      TEXT PRIMARY KEY NOT NULL,
    line       BLOB NOT NULL,
    seal_id    TEXT,
    seal_pos   INTEGER,
    member_id  TEXT NOT NULL,
    public_key TEXT,
    kind       TEXT NOT NULL CHECK (kind IN ('clock', 'key')),
    reason     TEXT NOT NULL,
    held_at    TEXT NOT NULL,
    bundle     TEXT NOT NULL DEFAULT ''
);
CREATE TABLE snapshot_signatures (
    snapshot_id TEXT PRIMARY KEY NOT NULL REFERENCES snapshots(snapshot_id),
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);
CREATE TRIGGER snapshot_signatures_never_update BEFORE UPDATE ON snapshot_signatures BEGIN
    SELECT RAISE(ABORT, 'a snapshot''s signature never changes');
END;
CREATE TRIGGER snapshot_signatures_never_delete BEFORE DELETE ON snapshot_signatures BEGIN
    SELECT RAISE(ABORT, 'a snapshot''s signature is never deleted');
END;
"""

# 6: heads without an index on ``base``. An op is a head unless an op on its field names it;
# the op naming it usually arrives after it (and removes it from ``field_heads``). When it
# arrives first, the base it names is remembered in ``early_bases`` until that op comes. The
# index on ``base`` cost every merged op a random insertion (~30% of inserting it).
_V6 = """
CREATE TABLE early_bases (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    base      TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id, field, base)
) WITHOUT ROWID;
INSERT OR IGNORE INTO early_bases (entity, entity_id, field, base)
SELECT entity, entity_id, field, base FROM ops AS c
WHERE base IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ops AS b WHERE b.op_id = c.base);
DROP INDEX ops_by_base;
"""

# 7: no full-text index over the standards. The navigator searches them in memory
# (reviewer_app/visit/standards_search.py): a keystroke no longer waits behind the storage
# worker, and keeping the index up cost a third of storing a 2,000-standard kit.
_V7 = """
DROP TRIGGER kit_standards_fts_ai;
DROP TRIGGER kit_standards_fts_ad;
DROP TRIGGER kit_standards_fts_au;
DROP TABLE kit_standards_fts;
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, _V1),
    (2, _V2),
    (3, _V3),
    (4, _V4),
    (5, _V5),
    (6, _V6),
    (7, _V7),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Bring the schema up to ``LATEST_VERSION``; return the versions applied (often none).

    ``conn`` must be in autocommit mode (``isolation_level=None``); the steps run as
    ``storage.sqlite.migrate`` runs them. Raises ``SchemaTooNew`` for a newer workspace.
    """
    return sqlite.migrate(conn, MIGRATIONS, what="workspace")
