"""The document index holds the evidence's text: encrypted with the visit's key, an older
version's plain index encrypted in place on its first open, and one the key does not open made
again (it is a cache)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import encrypted_sqlite
from storage.doc_index import DocIndex
from tests.keys import TEST_KEY

TEXT = "Transfusion-audit-for-ward-4 was not signed"
SHA = "ab" * 32


def _plain_index(path: Path) -> None:
    """An index as an older version wrote it: today's, decrypted into plain SQLite."""
    index = DocIndex.open(path, key=TEST_KEY)
    index.add_document(SHA, [TEXT, "second page"])
    index.close()
    plain = path.with_name("plain.sqlite")
    conn = encrypted_sqlite.connect(path, TEST_KEY)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute(f"PRAGMA plain.user_version = {int(version)}")
    conn.execute("DETACH DATABASE plain")
    conn.close()
    plain.replace(path)
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)


def test_the_index_is_encrypted_and_still_searched(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite"
    index = DocIndex.open(path, key=TEST_KEY)
    index.add_document(SHA, [TEXT])
    assert [h.sha256 for h in index.search("transfusion")] == [SHA]
    index.close()
    assert TEXT.encode() not in path.read_bytes()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()


def test_an_old_plain_index_is_encrypted_in_place_and_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite"
    _plain_index(path)
    assert encrypted_sqlite.is_plain(path) and TEXT.encode() in path.read_bytes()
    index = DocIndex.open(path, key=TEST_KEY)
    assert [h.sha256 for h in index.search("transfusion")] == [SHA]  # nothing indexed again
    index.close()
    assert encrypted_sqlite.is_encrypted(path)
    assert TEXT.encode() not in path.read_bytes()


def test_an_index_under_another_key_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite"
    index = DocIndex.open(path, key=TEST_KEY)
    index.add_document(SHA, [TEXT])
    index.close()
    again = DocIndex.open(path, key=bytes(32))  # the visit opened again under a new key
    assert again.known() == {}
    again.close()
