"""The reviewer pool: CSV import with row problems, merging by e-mail, editing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.staff import pool
from storage.staff_store import StaffStore
from tests.keys import TEST_KEY


def test_import_reports_every_bad_row(tmp_path: Path) -> None:
    f = tmp_path / "pool.csv"
    f.write_text(
        "Full name,Job title,Trust,E-mail,Date trained\n"
        "Ann Lee,Nurse,North Trust,ann@nhs.net,04/03/2025\n"
        ",Doctor,South Trust,bob@nhs.net,\n"
        "Cy Dee,Manager,East Trust,not-an-address,last spring\n"
        "Di Fox,Nurse,West,ANN@nhs.net,2024-01-31\n",
        encoding="utf-8",
    )
    with pytest.raises(pool.PoolImportError) as caught:
        pool.read_pool(f)
    assert [str(p) for p in caught.value.problems] == [
        'pool.csv, row 3, column "Full name": A reviewer needs a name.',
        'pool.csv, row 4, column "E-mail": "not-an-address" is not an e-mail address; '
        "write it like name@nhs.net.",
        'pool.csv, row 4, column "Date trained": "last spring" is not a date; '
        "write it like 2025-03-04 or 04/03/2025.",
        'pool.csv, row 5, column "E-mail": ANN@nhs.net appears twice (first on row 2)',
    ]


def test_import_merges_by_email_and_keeps_ids(tmp_path: Path) -> None:
    f = tmp_path / "pool.csv"
    f.write_text(
        "Name,Role,Organisation,Email,Training date\n"
        "Ann Lee,Nurse,North Trust,ann@nhs.net,04/03/2025\n"
        "Bo Ng,Consultant,South Trust,bo@nhs.net,\n",
        encoding="utf-8",
    )
    with StaffStore.open(tmp_path / "staff.sqlite", key=TEST_KEY) as store:
        people, added, updated = pool.import_reviewers(store, pool.read_pool(f))
        assert (added, updated) == (2, 0)
        assert people[0].training_date == "2025-03-04"
        ann_id = people[0].id
        f.write_text(
            "Name,Role,Organisation,Email\nAnn Lee,Matron,North Trust,ANN@nhs.net\n",
            encoding="utf-8",
        )
        people, added, updated = pool.import_reviewers(store, pool.read_pool(f))
        assert (added, updated) == (0, 1)
        assert [(p.name, p.role, p.id == ann_id) for p in people] == [
            ("Ann Lee", "Matron", True),
            ("Bo Ng", "Consultant", False),
        ]
        people = pool.delete_reviewer(store, ann_id)
        assert [p.name for p in people] == ["Bo Ng"]


def test_field_problems_for_the_table_editor() -> None:
    assert pool.field_problem("name", " ") == "A reviewer needs a name."
    assert pool.field_problem("email", "a@b.nhs.uk") == ""
    assert pool.field_problem("training_date", "4 March 2025") == ""
    assert pool.parse_date("4 March 2025") == "2025-03-04"
