"""The kit's content inside a workspace: load it (replacing a previous kit) and read it back.

Kit rows are plain data copied from a verified kit; they are never replicated and never touch
the operation log. Standards come back as dicts with the kit model's keys (``ref``, ``section``,
``title``, ``requirement``, ``parts``, ``evidence_expected``, ``key``, ``applies_to``, ``order``,
``notes``) plus ``position`` (0-based order in the kit).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

#: ``json.dumps(value, sort_keys=True, ensure_ascii=False)`` without a new encoder per call
#: (three a standard: 44 ms -> 29 ms for a kit of 2,000 standards).
_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


def _dump(value: Any) -> str:
    """``value`` as JSON; an empty list (most standards' notes, a fifth of their parts)
    without a call to the encoder."""
    if type(value) in (list, tuple) and not value:
        return "[]"
    return _encode(value)


def _text(d: Mapping[str, Any], key: str) -> str:
    value = d.get(key)
    return "" if value is None else str(value)


def load_kit(
    conn: sqlite3.Connection,
    *,
    kit_id: str,
    visit_id: str,
    manifest_json: str,
    sections: Sequence[str],
    standards: Sequence[Mapping[str, Any]],
    self_assessment: Sequence[Mapping[str, Any]],
    evidence: Sequence[Mapping[str, Any]],
) -> None:
    """Replace every ``kit_*`` row. Runs inside the caller's write transaction.

    Standards are stored in the order given. A self-assessment entry for a standard the kit does
    not have raises ``ValueError`` naming it (the foreign key would refuse it anyway).
    """
    refs = [str(s["ref"]) for s in standards]
    if len(set(refs)) != len(refs):
        dupes = sorted({r for r in refs if refs.count(r) > 1})
        raise ValueError(f"the kit lists standard {', '.join(dupes)} more than once")
    known = set(refs)
    for entry in self_assessment:
        if str(entry["ref"]) not in known:
            raise ValueError(
                f"the self-assessment names standard {entry['ref']!r}, which the kit does not have"
            )
    conn.execute("DELETE FROM kit_self_assessment")
    conn.execute("DELETE FROM kit_evidence")
    conn.execute("DELETE FROM kit_standards")
    conn.execute("DELETE FROM kit_sections")
    conn.execute("DELETE FROM kit_info")
    conn.execute(
        "INSERT INTO kit_info (id, kit_id, visit_id, manifest_json, loaded_at) "
        "VALUES (1, ?, ?, ?, ?)",
        (kit_id, visit_id, manifest_json, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    unique_sections = list(dict.fromkeys(sections))
    conn.executemany(
        "INSERT INTO kit_sections (position, name) VALUES (?, ?)", enumerate(unique_sections)
    )
    conn.executemany(
        "INSERT INTO kit_standards (ref, position, section, title, requirement, parts_json, "
        "evidence_expected, key_standard, applies_to_json, notes_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                str(s["ref"]),
                i,
                _text(s, "section"),
                _text(s, "title"),
                _text(s, "requirement"),
                _dump(s.get("parts", [])),
                _text(s, "evidence_expected"),
                int(bool(s.get("key", s.get("key_standard", False)))),
                _dump(s.get("applies_to", [])),
                _dump(s.get("notes", [])),
            )
            for i, s in enumerate(standards)
        ],
    )
    conn.executemany(
        "INSERT INTO kit_self_assessment (ref, component, claim, comment, evidence_json) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (
                str(e["ref"]),
                str(e["component"]),
                _text(e, "claim"),
                _text(e, "comment"),
                _dump(e.get("evidence", [])),
            )
            for e in self_assessment
        ],
    )
    conn.executemany(
        "INSERT INTO kit_evidence (id, title, file, sha256, size, standards_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                str(d["id"]),
                _text(d, "title"),
                str(d["file"]),
                str(d["sha256"]),
                int(d["size"]),
                _dump(d.get("standards", [])),
            )
            for d in evidence
        ],
    )


def kit_info(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """``{"kit_id", "visit_id", "manifest_json", "loaded_at"}`` or ``None`` before any kit."""
    row = conn.execute(
        "SELECT kit_id, visit_id, manifest_json, loaded_at FROM kit_info WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return {"kit_id": row[0], "visit_id": row[1], "manifest_json": row[2], "loaded_at": row[3]}


def sections(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM kit_sections ORDER BY position")]


_STANDARD_COLUMNS = (
    "ref, position, section, title, requirement, parts_json, evidence_expected, key_standard, "
    "applies_to_json, notes_json"
)


def _standard(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "ref": row[0],
        "position": row[1],
        "order": row[1],
        "section": row[2],
        "title": row[3],
        "requirement": row[4],
        "parts": json.loads(row[5]),
        "evidence_expected": row[6],
        "key": bool(row[7]),
        "applies_to": json.loads(row[8]),
        "notes": json.loads(row[9]),
    }


def standards(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every standard, in the kit's order."""
    sql = f"SELECT {_STANDARD_COLUMNS} FROM kit_standards ORDER BY position"
    return [_standard(r) for r in conn.execute(sql)]


def standard(conn: sqlite3.Connection, ref: str) -> dict[str, Any] | None:
    sql = f"SELECT {_STANDARD_COLUMNS} FROM kit_standards WHERE ref = ?"
    row = conn.execute(sql, (ref,)).fetchone()
    return None if row is None else _standard(row)


def self_assessment(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The provider's claims, in standard order then component."""
    rows = conn.execute(
        "SELECT a.ref, a.component, a.claim, a.comment, a.evidence_json "
        "FROM kit_self_assessment AS a JOIN kit_standards AS s USING (ref) "
        "ORDER BY s.position, a.component"
    )
    return [
        {
            "ref": r[0],
            "component": r[1],
            "claim": r[2],
            "comment": r[3],
            "evidence": json.loads(r[4]),
        }
        for r in rows
    ]


def evidence_index(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, title, file, sha256, size, standards_json FROM kit_evidence ORDER BY id"
    )
    return [
        {
            "id": r[0],
            "title": r[1],
            "file": r[2],
            "sha256": r[3],
            "size": r[4],
            "standards": json.loads(r[5]),
        }
        for r in rows
    ]
