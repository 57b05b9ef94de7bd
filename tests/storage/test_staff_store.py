"""The staff workspace on sqlite-utils: a store written before keeps its data, and the rows it
writes now are the rows it wrote then.

``data/staff-v1.sqlite`` was written by the hand-written store this one replaced (the commit
before sqlite-utils), holding two versions of a standards set, three reviewers (added in two
imports), a plan and a kit built, in plain SQLite: the store encrypts it in place on its
first open.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storage import encrypted_sqlite
from storage.sqlite import user_version
from storage.staff_store import LATEST_VERSION, StaffStore, StaffStoreError
from tests.keys import TEST_KEY

WRITTEN_BEFORE = Path(__file__).parent / "data" / "staff-v1.sqlite"
STAMPS = {"imported_at", "updated_at", "built_at"}  # when a row was written: differs by run


def _fill(store: StaffStore) -> None:
    """What wrote ``data/staff-v1.sqlite``, through today's store."""
    lead = {"ref": "HN-101", "title": "Lead clinician"}
    nurse = {"ref": "HN-102", "title": "Nurse specialist"}
    for year, standards in (("2024", [lead]), ("2025", [lead, nurse])):
        store.add_standards_version(
            set_key="haemoglobinopathies",
            title="Haemoglobinopathies",
            version=year,
            date=f"{year}-04-01",
            source=f"hb-{year}.xlsx",
            doc={"standards": standards},
            count=len(standards),
        )
    store.put_reviewers(
        [
            {
                "id": "r1",
                "name": "Ada Okafor",
                "role": "Consultant",
                "organisation": "North Trust",
                "email": "ada@example.nhs.uk",
                "training_date": "2023-09-01",
            },
            {"id": "r2", "name": "Ben Hale", "role": "Nurse", "email": "ben@example.nhs.uk"},
        ]
    )
    store.put_reviewers([{"id": "r3", "name": "Cara Lind", "role": "Commissioner"}])
    store.put_plan(
        "p1",
        {"visit_id": "V-2025-07", "members": ["r1", "r2"]},
        visit_id="V-2025-07",
        title="North Trust visit",
        start_date="2025-07-14",
    )
    store.log_kit(
        plan_id="p1",
        visit_id="V-2025-07",
        kit_id="k-1",
        path="/kits/V-2025-07.rvkit",
        size=12345,
        key_id="abcd1234",
        summary={"standards": 2, "members": 2},
    )


def _connect(path: Path) -> sqlite3.Connection:
    """The file as it is: the plain one written before, or an encrypted one (``TEST_KEY``)."""
    if encrypted_sqlite.is_plain(path):
        return sqlite3.connect(path)
    return encrypted_sqlite.connect(path, TEST_KEY)


def _contents(path: Path) -> tuple[list[tuple[str, str]], dict[str, list[dict[str, object]]]]:
    """The schema and every row (timestamps left out)."""
    conn = _connect(path)
    try:
        schema = [
            (str(name), str(sql))
            for name, sql in conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name")
        ]
        rows = {}
        for table in ("standards_versions", "reviewers", "plans", "kits_built"):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
            names = [d[0] for d in cursor.description]
            rows[table] = [
                {k: v for k, v in zip(names, r, strict=True) if k not in STAMPS}
                for r in cursor.fetchall()
            ]
        return schema, rows
    finally:
        conn.close()


@pytest.fixture
def before(tmp_path: Path) -> Path:
    copy = tmp_path / "staff.sqlite"
    shutil.copyfile(WRITTEN_BEFORE, copy)
    return copy


def test_a_store_written_before_opens_with_its_data(before: Path) -> None:
    with StaffStore.open(before, key=TEST_KEY) as store:
        versions = store.standards_versions()
        assert [(v["id"], v["version"], v["count"]) for v in versions] == [
            (1, "2024", 1),
            (2, "2025", 2),
        ]
        assert store.standards_doc(2) == {
            "standards": [
                {"ref": "HN-101", "title": "Lead clinician"},
                {"ref": "HN-102", "title": "Nurse specialist"},
            ]
        }
        assert [r["name"] for r in store.reviewers()] == ["Ada Okafor", "Ben Hale", "Cara Lind"]
        assert store.reviewers()[1]["organisation"] == ""
        assert [(p["id"], p["title"]) for p in store.plans()] == [("p1", "North Trust visit")]
        assert store.plan("p1") == {"visit_id": "V-2025-07", "members": ["r1", "r2"]}
        (kit,) = store.kits("p1")
        assert (kit["kit_id"], kit["size"], kit["summary"]) == (
            "k-1",
            12345,
            {"standards": 2, "members": 2},
        )


def test_a_store_written_before_keeps_taking_changes(before: Path) -> None:
    with StaffStore.open(before, key=TEST_KEY) as store:
        store.put_reviewers(
            [
                {"id": "r2", "name": "Ben Hale", "role": "Lead nurse"},
                {"id": "r4", "name": "Dev Rao"},
            ]
        )
        store.delete_reviewer("r1")
        store.replace_standards_doc(1, {"standards": [], "key": ["HN-101"]})
        store.delete_plan("p1")
    with StaffStore.open(before, key=TEST_KEY) as store:
        assert [(r["id"], r["role"]) for r in store.reviewers()] == [
            ("r2", "Lead nurse"),  # kept its place
            ("r3", "Commissioner"),
            ("r4", ""),  # new: at the end
        ]
        assert store.standards_doc(1) == {"standards": [], "key": ["HN-101"]}
        assert store.plans() == [] and store.plan("p1") is None
        assert len(store.kits()) == 1  # the log of kits built is kept


def test_todays_store_writes_the_schema_and_rows_the_old_one_did(tmp_path: Path) -> None:
    fresh = tmp_path / "staff.sqlite"
    with StaffStore.open(fresh, key=TEST_KEY) as store:
        _fill(store)
    assert _contents(fresh) == _contents(WRITTEN_BEFORE)
    conn = _connect(fresh)
    assert user_version(conn) == LATEST_VERSION
    conn.close()


def test_a_reviewer_given_twice_in_one_import_is_added_once_with_the_last_details(
    tmp_path: Path,
) -> None:
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as store:
        store.put_reviewers([{"id": "r1", "name": "Ada"}, {"id": "r1", "name": "Ada Okafor"}])
        assert [r["name"] for r in store.reviewers()] == ["Ada Okafor"]


def test_a_store_from_a_newer_app_is_refused_and_left_alone(before: Path) -> None:
    conn = sqlite3.connect(before)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(StaffStoreError, match="newer Reviewer App"):
        StaffStore.open(before, key=TEST_KEY)
    conn = _connect(before)
    assert conn.execute("SELECT count(*) FROM reviewers").fetchone()[0] == 3
    conn.close()


def test_a_file_that_is_not_a_database_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "staff.sqlite"
    path.write_bytes(b"this is a spreadsheet, not a staff workspace" * 200)
    with pytest.raises(StaffStoreError, match="cannot be opened .* move it aside"):
        StaffStore.open(path, key=TEST_KEY)


def test_a_write_that_fails_part_way_leaves_nothing_of_it(before: Path) -> None:
    """New reviewers are inserted before known ones are updated; when an update is refused
    (here by a trigger), the inserts are undone with it: one transaction, however many
    statements sqlite-utils runs inside it."""
    conn = sqlite3.connect(before)
    conn.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON reviewers WHEN new.name = 'refused' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    conn.close()
    with StaffStore.open(before, key=TEST_KEY) as store:
        with pytest.raises(encrypted_sqlite.IntegrityError, match="refused by the test"):
            store.put_reviewers([{"id": "r9", "name": "New"}, {"id": "r1", "name": "refused"}])
        assert [r["id"] for r in store.reviewers()] == ["r1", "r2", "r3"]
        store.put_reviewers([{"id": "r9", "name": "New"}])  # the store goes on working
        assert [r["id"] for r in store.reviewers()][-1] == "r9"


def test_a_store_written_before_is_encrypted_on_its_first_open(before: Path) -> None:
    assert b"Ada Okafor" in before.read_bytes()
    expected = _contents(before)
    StaffStore.open(before, key=TEST_KEY).close()
    assert encrypted_sqlite.is_encrypted(before)
    assert b"Ada Okafor" not in before.read_bytes()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(before).execute("SELECT * FROM sqlite_master").fetchall()
    assert _contents(before) == expected


def test_another_key_is_refused_with_what_to_do_and_the_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "staff.sqlite"
    with StaffStore.open(path, key=TEST_KEY) as store:
        _fill(store)
    kept = path.read_bytes()
    with pytest.raises(StaffStoreError, match="cannot be opened with the key kept for it"):
        StaffStore.open(path, key=bytes(32))
    assert path.read_bytes() == kept
