"""The navigator's in-memory search finds what the workspace's full-text index finds."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer_app.visit.standards_search import StandardsIndex
from storage import Workspace
from sync.kit_model import Standard

# Words shaped like the published standards: accents, hyphens, slashes, refs, numbers, NHS terms.
VOCABULARY = [
    "patients",
    "patient",
    "assessed",
    "assessment",
    "within",
    "24/7",
    "hours",
    "nurse",
    "nurses",
    "consultant",
    "Café",
    "naïve",
    "Ærø",
    "O'Brien",
    "non-invasive",
    "ventilation",
    "e-learning",
    "T-101",
    "SY-1001",
    "QS",
    "2024",
    "transfusion",
    "network",
    "networks",
    "MDT",
    "multi-disciplinary",
    "résumé",
    "ÉCOLE",
    "straße",
    "audit",
    "policy",
    "guideline",
    "x-ray",
    "1.5",
    "£20",
]


_COUNT = itertools.count()


def _standard(i: int, texts: list[str]) -> dict[str, Any]:
    title, requirement, part, evidence = texts
    return {
        "ref": f"T-{100 + i}",
        "section": "Triage",
        "title": title or "Untitled",
        "requirement": requirement or "A requirement",
        "parts": [{"label": "a", "text": part}] if part else [],
        "evidence_expected": evidence,
        "key": False,
        "applies_to": ["ED"],
        "order": i,
        "notes": [],
    }


def _load(tmp_path: Path, standards: list[dict[str, Any]]) -> tuple[Workspace, StandardsIndex]:
    ws = Workspace.open(tmp_path / f"ws-{next(_COUNT)}.sqlite", device_id="d", create=True)
    ws.load_kit(
        kit_id="k",
        visit_id="v",
        manifest_json='{"visit": {}}',
        sections=["Triage"],
        standards=standards,
        self_assessment=[],
        evidence=[],
    )
    return ws, StandardsIndex([Standard.from_dict(s) for s in standards])


texts = st.lists(st.sampled_from(VOCABULARY), max_size=6).map(" ".join)
queries = st.lists(
    st.sampled_from(VOCABULARY).flatmap(lambda w: st.integers(1, len(w)).map(lambda n: w[:n])),
    min_size=1,
    max_size=3,
).map(" ".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    standards=st.lists(st.lists(texts, min_size=4, max_size=4), min_size=1, max_size=8),
    query=queries,
)
def test_finds_what_the_full_text_index_finds(
    tmp_path: Path, standards: list[list[str]], query: str
) -> None:
    ws, index = _load(tmp_path, [_standard(i, t) for i, t in enumerate(standards)])
    try:
        assert index.search(query) == ws.search_standards(query)
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("assess", ["T-100", "T-101"]),
        ("ASSESSED", ["T-100"]),
        ("cafe", ["T-101"]),  # accents ignored
        ("NAÏVE", ["T-101"]),
        ("T-101", ["T-101"]),  # one word to the reader, two to the index: in sequence
        ("101 T", ["T-101"]),  # separate words: in any order
        ("review T-1", ["T-101"]),
        ("24/7", ["T-100"]),
        ('"', []),
        ('"unbalanced quote', []),
        ("NEAR( *", []),
        ("- nurse", ["T-100"]),
        ("nurse OR", []),
        ("", []),
        ("   ", []),
        ("text", []),  # a part's JSON keys are not its words
        ("first", ["T-100"]),  # its text is
    ],
)
def test_awkward_and_everyday_queries(tmp_path: Path, query: str, expected: list[str]) -> None:
    standards = [
        _standard(0, ["Assessed 24/7", "by a nurse", "first part", "audit"]),
        _standard(1, ["Assessment", "Café naïve", "", "T-101 review"]),
    ]
    ws, index = _load(tmp_path, standards)
    try:
        assert index.search(query) == expected
        if query != "text":  # the index's one deliberate difference
            assert ws.search_standards(query) == expected
    finally:
        ws.close()
