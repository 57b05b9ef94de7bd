"""The standards library: preview with row errors, versions kept, comparison, key standards."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.app.paths import DEMO_DIR
from reviewer_app.staff import library
from storage.staff_store import StaffStore
from tests.keys import TEST_KEY

HEADER = "Ref,Section,Title,Requirement\n"


@pytest.fixture
def store(tmp_path: Path):
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as s:
        yield s


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_preview_lists_row_problems_and_saves_nothing(tmp_path: Path, store: StaffStore) -> None:
    bad = write(
        tmp_path / "bad.csv",
        HEADER + "A-1,Staffing,Nurses,Enough nurses\n,Staffing,No ref,Text\nA-1,Staffing,Again,T\n",
    )
    result = library.preview(bad)
    assert not result.ok
    assert result.problems == (
        'bad.csv, row 3, column "Ref": the ref is empty',
        'bad.csv, row 4, column "Ref": ref A-1 appears twice (first on row 2)',
    )
    assert library.list_versions(store) == []


def test_demo_standards_preview_and_versions_survive_reopening(tmp_path: Path) -> None:
    result = library.preview(DEMO_DIR / "standards.csv")
    assert result.ok and result.standards is not None
    assert len(result.standards.standards) == 60
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as store:
        first = library.save_version(store, result.standards, title="HD standards", version="4")
        second = library.save_version(
            store, result.standards, title="HD standards", version="5", date="2026-01"
        )
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as store:
        versions = library.list_versions(store)
        assert [(v.id, v.version, v.count) for v in versions] == [
            (first, "4", 60),
            (second, "5", 60),
        ]
        assert {v.set_key for v in versions} == {"hd-standards"}
        loaded = library.load_version(store, second)
    assert loaded.info.version == "5" and loaded.info.date == "2026-01"
    assert loaded.standards == result.standards.standards


def test_comparison_matches_a_hand_worked_example(tmp_path: Path, store: StaffStore) -> None:
    old = write(
        tmp_path / "v1.csv",
        HEADER
        + "Q-1,Staffing,Nurse staffing,There should be enough nurses on every shift.\n"
        + "Q-2,Staffing,Medical staffing,A consultant should lead the service.\n"
        + "Q-3,Governance,Audit,The service should audit its practice every year.\n",
    )
    new = write(
        tmp_path / "v2.csv",
        HEADER
        + "Q-1,Staffing,Nurse staffing,There should be enough trained nurses on every shift.\n"
        + "Q-3,Governance,Clinical audit,The service should audit its practice every year.\n"
        + "Q-4,Governance,Data,The service should submit data to the national registry.\n"
        + "Q-2,Staffing,Medical staffing,  A consultant   should lead the service.\n",
    )
    ids = [
        library.save_version(store, library.preview(p).standards, title="QS", version=v)  # type: ignore[arg-type]
        for p, v in ((old, "1"), (new, "2"))
    ]
    diff = library.compare_versions(store, *ids)
    # By hand: Q-4 is new; nothing removed; Q-1's requirement gains "trained"; Q-3's title
    # "Audit" becomes "Clinical audit"; Q-2 only moved and changed spacing: not rewording.
    assert [s.ref for s in diff.added] == ["Q-4"]
    assert diff.removed == ()
    assert [(r.ref, r.fields) for r in diff.reworded] == [
        ("Q-1", ("requirement",)),
        ("Q-3", ("title",)),
    ]
    assert diff.reworded[0].requirement_diff == (
        ("same", "There should be enough"),
        ("added", "trained"),
        ("same", "nurses on every shift."),
    )
    assert diff.reworded[1].title_diff == (("removed", "Audit"), ("added", "Clinical audit"))
    assert diff.summary() == "1 added, 0 removed, 2 reworded"
    back = library.compare_versions(store, ids[1], ids[0])
    assert [s.ref for s in back.removed] == ["Q-4"]


def test_word_diff_of_a_replacement() -> None:
    assert library.word_diff("seen within 4 weeks", "seen within 2 weeks") == (
        ("same", "seen within"),
        ("removed", "4"),
        ("added", "2"),
        ("same", "weeks"),
    )


def test_marking_key_standards_is_kept(tmp_path: Path, store: StaffStore) -> None:
    standards = library.preview(DEMO_DIR / "standards.csv").standards
    assert standards is not None
    vid = library.save_version(store, standards, title="HD", version="1")
    first = standards.standards[0]
    library.set_key_standard(store, vid, first.ref, not first.key)
    again = library.load_version(store, vid)
    assert again.standards[0].key is (not first.key)
    assert again.standards[1:] == standards.standards[1:]
