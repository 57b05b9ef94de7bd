"""The optional fields a visit.json may add: an organisation's role, a component's patients.

Old kits and visit.json files have neither and must still read as they always meant.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.kit_model import (
    COMMISSIONER,
    PROVIDER,
    Component,
    KitDataError,
    Organisation,
    VisitDetails,
)

OLD_VISIT: dict[str, Any] = {
    "visit_id": "v1",
    "programme": "P",
    "title": "T",
    "start_date": "2025-03-04",
    "organisations": [{"id": "o1", "name": "Example NHS Trust"}],
    "components": [{"id": "SC", "name": "Centre", "site": ""}],
}


def test_an_organisation_without_a_role_is_a_provider() -> None:
    visit = VisitDetails.from_dict(OLD_VISIT)
    assert visit.organisations[0].role == PROVIDER
    assert Organisation("o1", "Example NHS Trust").role == PROVIDER
    blank = Organisation.from_dict({"id": "o", "name": "N", "role": " "}, "o")
    assert blank.role == PROVIDER


def test_a_component_without_patients_has_none() -> None:
    visit = VisitDetails.from_dict(OLD_VISIT)
    assert visit.components[0].patients == ""
    assert Component("SC", "Centre").patients == ""


@pytest.mark.parametrize(
    "record",
    [
        Organisation("o2", "NHS Example Integrated Care Board", COMMISSIONER),
        Organisation("o3", "Example NHS Trust"),
        Component("SC", "Centre", "s1", 250),
        Component("LT", "Local team", "", "about 250 adults"),
        Component("CM", "Commissioning"),
    ],
)
def test_round_trips(record: Organisation | Component) -> None:
    d = json.loads(json.dumps(record.to_dict()))
    assert type(record).from_dict(d, "x") == record
    assert type(record).from_dict(d, "x").to_dict() == record.to_dict()


def test_a_visit_with_roles_and_patients_round_trips() -> None:
    d = {
        **OLD_VISIT,
        "organisations": [
            {"id": "o1", "name": "Example NHS Trust", "role": "provider"},
            {"id": "o2", "name": "NHS Example ICB", "role": "commissioner"},
        ],
        "components": [{"id": "SC", "name": "Centre", "patients": 250}],
    }
    visit = VisitDetails.from_dict(d)
    assert [o.role for o in visit.organisations] == [PROVIDER, COMMISSIONER]
    assert visit.components[0].patients == 250
    assert VisitDetails.from_dict(json.loads(json.dumps(visit.to_dict()))) == visit


@pytest.mark.parametrize("value", [True, 2.5, ["250"], {"n": 1}])
def test_patients_is_a_number_or_a_text(value: Any) -> None:
    d = {**OLD_VISIT, "components": [{"id": "SC", "name": "Centre", "patients": value}]}
    with pytest.raises(KitDataError) as caught:
        VisitDetails.from_dict(d)
    assert str(caught.value) == "visit.components[0].patients: expected a whole number or a text"


def test_role_must_be_text() -> None:
    d = {**OLD_VISIT, "organisations": [{"id": "o1", "name": "N", "role": 1}]}
    with pytest.raises(KitDataError, match=r"^visit\.organisations\[0\]\.role: expected text$"):
        VisitDetails.from_dict(d)
