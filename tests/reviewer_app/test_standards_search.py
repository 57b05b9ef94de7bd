"""The navigator's search: every word of the query starts a word of the standard (accents and
case ignored), a word the index splits ("T-101") matches in sequence, and any input is safe."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer_app.visit.standards_search import StandardsIndex, words
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


def _index(standards: list[dict[str, Any]]) -> StandardsIndex:
    return StandardsIndex([Standard.from_dict(s) for s in standards])


def _by_hand(standards: list[dict[str, Any]], query: str) -> list[str]:
    """The same question answered the slow way: each standard's texts, word by word."""
    phrases = [p for p in (words(w) for w in query.split()) if p]
    out = []
    for s in standards:
        texts = [s["ref"], s["title"], s["requirement"], *(p["text"] for p in s["parts"])]
        texts = [words(t) for t in [*texts, s["evidence_expected"]]]

        def holds(phrase: list[str], texts: list[list[str]] = texts) -> bool:
            n = len(phrase)
            return any(
                text[i : i + n - 1] == phrase[:-1] and text[i + n - 1].startswith(phrase[-1])
                for text in texts
                for i in range(len(text) - n + 1)
            )

        if phrases and all(holds(p) for p in phrases):
            out.append(s["ref"])
    return out


texts = st.lists(st.sampled_from(VOCABULARY), max_size=6).map(" ".join)
queries = st.lists(
    st.sampled_from(VOCABULARY).flatmap(lambda w: st.integers(1, len(w)).map(lambda n: w[:n])),
    min_size=1,
    max_size=3,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(
    standards=st.lists(st.lists(texts, min_size=4, max_size=4), min_size=1, max_size=8),
    query=queries,
)
def test_finds_what_reading_every_standard_finds(standards: list[list[str]], query: str) -> None:
    kit = [_standard(i, t) for i, t in enumerate(standards)]
    assert _index(kit).search(query) == _by_hand(kit, query)


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
        ("text", []),  # a part's JSON keys are not its words (as the old FTS index had them)
        ("first", ["T-100"]),  # its text is
    ],
)
def test_awkward_and_everyday_queries(query: str, expected: list[str]) -> None:
    standards = [
        _standard(0, ["Assessed 24/7", "by a nurse", "first part", "audit"]),
        _standard(1, ["Assessment", "Café naïve", "", "T-101 review"]),
    ]
    assert _index(standards).search(query) == expected
