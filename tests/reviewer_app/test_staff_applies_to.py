"""The staff planner reads Applies to as ``reviewer-app kit build`` does: published component
names with commas, and levels the visit does not review left out with the same warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.staff import build, library
from reviewer_app.staff.planner import VisitPlan
from sync.kit_model import StandardsSet, VisitDetails
from sync.standards_import import StandardsImport, import_standards
from tests.sync import standards_fixtures as fx

VISIT = VisitDetails.from_dict(fx.VISIT)


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fx.write_cp1252_csv(tmp_path_factory.mktemp("standards") / "hn.csv")


@pytest.fixture(scope="module")
def standards(csv_file: Path) -> StandardsSet:
    result = library.preview(csv_file)  # as the library imports it: no visit yet
    assert result.standards is not None, result.problems
    return result.standards


@pytest.fixture(scope="module")
def kit_build(csv_file: Path) -> StandardsImport:
    return import_standards(csv_file, set_info=fx.INFO, visit=VISIT)


def test_the_plan_maps_a_library_set_as_kit_build_does(
    standards: StandardsSet, kit_build: StandardsImport
) -> None:
    plan = VisitPlan.from_visit(VISIT)
    every = plan.component_ids

    kit = plan.kit_standards(standards)

    assert [(s.ref, s.applies_to) for s in kit.standards] == [
        (s.ref, s.applies_to or every) for s in kit_build.standards.standards
    ]
    hn102 = next(s for s in standards.standards if s.ref == "HN-102")
    assert plan.applies_to(hn102) == ("SHT",)  # "... Services for Adults, Children and ..."
    hn201 = next(s for s in standards.standards if s.ref == "HN-201")
    assert plan.applies_to(hn201) == ()  # network: not every component
    assert plan.not_reviewed(standards) == kit_build.not_reviewed


def test_preflight_warns_as_kit_build_does(
    standards: StandardsSet, kit_build: StandardsImport
) -> None:
    plan = VisitPlan.from_visit(VISIT)

    warnings = [c.message for c in build.preflight(plan, standards) if c.severity == "warning"]

    assert warnings == list(kit_build.warnings)


def test_a_rule_staff_set_decides_over_the_spreadsheet(standards: StandardsSet) -> None:
    plan = VisitPlan.from_visit(VISIT)
    plan.set_exception("HN-201", ["LHT"])

    assert "HN-201" in {s.ref for s in plan.kit_standards(standards).standards}
    assert "HN-201" not in {i.ref for i in plan.not_reviewed(standards)}
