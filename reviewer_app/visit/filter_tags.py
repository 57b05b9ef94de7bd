"""What the navigator's filters and search look at, as five letters per standard.

A standard's tag says, one letter each: whether the search found it (``1``/``0``), whether it
is a key standard (``K``), its judgement (``N`` not yet assessed, ``M`` not met), whether I
have a note on it (``O``), whether the team must agree on it (``G``); ``-`` for no. A set of
filters is a pattern over the tags (``pattern``): ``VisitData.matching`` and the navigator's
proxy model (which matches the pattern in C++, with no call into Python per row) use the
same tags and the same pattern, so they cannot disagree.

Only the letters the filters look at are worked out; the others are carried over from the
tags given as ``previous`` (or ``-``): the pattern does not look at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from reviewer_app.visit.model import NOT_ASSESSED, NOT_MET

if TYPE_CHECKING:
    from reviewer_app.visit.read_model import Filters, VisitData

SEARCH, KEY, JUDGEMENT, NOTES, AGREEMENT = range(5)
BLANK = "1----"


def pattern(filters: Filters) -> str:
    """The regular expression a tag matches when its standard passes ``filters`` (anchored
    at the start; every tag is five letters)."""
    judged = {
        (True, True): "[NM]",
        (True, False): "N",
        (False, True): "M",
        (False, False): ".",
    }[(filters.not_assessed, filters.not_met)]
    return "".join(
        (
            "^1",
            "K" if filters.key_only else ".",
            judged,
            "O" if filters.with_notes else ".",
            "G" if filters.needs_agreement else ".",
        )
    )


def compiled(filters: Filters) -> re.Pattern[str]:
    return re.compile(pattern(filters))


def looked_at(filters: Filters, searching: bool) -> tuple[bool, ...]:
    """Which letters ``filters`` (and a search) need worked out, by position."""
    return (
        searching,
        True,
        filters.not_assessed or filters.not_met,
        filters.with_notes,
        filters.needs_agreement,
    )


def row_tags(
    data: VisitData,
    component: str,
    filters: Filters,
    search_hits: Iterable[str] | None = None,
    query: str = "",
    *,
    previous: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The tag of each of the component's standards, in kit order. ``search_hits``: the refs
    the full-text index found (None: no search); a note of mine containing the query counts
    as found too."""
    from reviewer_app.lead.consensus import needs_agreement  # noqa: PLC0415 (cycle)

    hits: set[str] | None = None
    if search_hits is not None:
        hits = set(search_hits)
        q = query.strip().casefold()
        if q:
            hits |= {n.ref for n in data.notes.values() if q in n.text.casefold()}
    judge = filters.not_assessed or filters.not_met
    noted = data.refs_with_my_notes() if filters.with_notes else None
    unsettled = needs_agreement(data) if filters.needs_agreement else None
    value_of = data.judgement_value
    before = previous or {}
    out: dict[str, str] = {}
    for s in data.standards:
        if component not in s.applies_to:
            continue
        ref = s.ref
        old = before.get(ref, BLANK)
        if judge:
            value = value_of(ref, component)
            judged = "N" if value == NOT_ASSESSED else "M" if value == NOT_MET else "-"
        else:
            judged = old[JUDGEMENT]
        found = "1" if hits is None or ref in hits else "0"
        key = "K" if s.key else "-"
        notes = old[NOTES] if noted is None else ("O" if ref in noted else "-")
        agreed = (ref, component) in unsettled if unsettled is not None else None
        agreement = old[AGREEMENT] if agreed is None else ("G" if agreed else "-")
        out[ref] = f"{found}{key}{judged}{notes}{agreement}"
    return out
