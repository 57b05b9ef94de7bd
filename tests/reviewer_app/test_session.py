"""The reviewer's named operations, undo and redo, and the read model, on a real workspace."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from reviewer_app.visit.model import (
    MET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_MET,
    leaf_parts,
    suggest_from_parts,
)
from reviewer_app.visit.read_model import Filters
from reviewer_app.visit.session import Change, VisitSession
from storage import NotAnImage


def do(session: VisitSession, future: object) -> Change:
    change = future.result(timeout=30)  # type: ignore[attr-defined]
    session.absorb(change)
    return change  # type: ignore[no-any-return]


def test_a_judgement_survives_closing_and_reopening(
    open_demo_session: Callable[..., VisitSession],
) -> None:
    s = open_demo_session()
    do(s, s.set_judgement("HN-101", "shc", NOT_MET, "No leaflet in Polish or Urdu"))
    s.close()
    again = open_demo_session()
    try:
        j = again.data.judgement("HN-101", "shc")
        assert (j.value, j.reason) == (NOT_MET, "No leaflet in Polish or Urdu")
        assert again.data.progress("shc")[0] == 1
    finally:
        again.close()


def test_undo_and_redo_go_through_the_log(session: VisitSession) -> None:
    do(session, session.set_judgement("HN-102", "shc", MET))
    do(session, session.set_judgement("HN-102", "shc", NOT_APPLICABLE, "Not provided here"))
    do(session, session.undo())
    assert session.data.judgement("HN-102", "shc").value == MET
    do(session, session.undo())
    assert session.data.judgement("HN-102", "shc").value == NOT_ASSESSED
    assert not session.can_undo()
    do(session, session.redo())
    do(session, session.redo())
    j = session.data.judgement("HN-102", "shc")
    assert (j.value, j.reason) == (NOT_APPLICABLE, "Not provided here")
    assert not session.can_redo()


def test_undoing_a_new_note_removes_it_and_redo_brings_it_back(session: VisitSession) -> None:
    change = do(session, session.add_note("HN-103", "Care plans seen for 5 of 6 patients"))
    assert [n.text for n in session.data.notes_for("HN-103")] == [
        "Care plans seen for 5 of 6 patients"
    ]
    do(session, session.undo())
    assert session.data.notes_for("HN-103") == []
    do(session, session.redo())
    assert [n.id for n in session.data.notes_for("HN-103")] == [change.entity_id]


def test_a_new_edit_clears_redo(session: VisitSession) -> None:
    do(session, session.set_judgement("HN-104", "lht", MET))
    do(session, session.undo())
    assert session.can_redo()
    do(session, session.add_note("HN-104", "x"))
    assert not session.can_redo()


def test_parts_suggest_a_judgement() -> None:
    assert suggest_from_parts(["a", "b"], {"a": True, "b": True}) == MET
    assert suggest_from_parts(["a", "b"], {"a": True}) == NOT_MET
    assert suggest_from_parts(["a", "b"], {}) is None
    assert suggest_from_parts([], {}) is None


def test_a_part_with_roman_sub_items_is_met_through_them() -> None:
    labels = ["a", "a.i", "a.ii", "b", "c"]
    assert leaf_parts(labels) == ["a.i", "a.ii", "b", "c"]
    every_leaf = {"a.i": True, "a.ii": True, "b": True, "c": True}
    assert suggest_from_parts(labels, every_leaf) == MET  # "a" itself need not be ticked
    assert suggest_from_parts(labels, {"a": True, "b": True, "c": True}) == NOT_MET
    assert suggest_from_parts(labels, {"a": True}) == NOT_MET


def test_ticked_parts_and_reason_rules(session: VisitSession) -> None:
    std = next(s for s in session.data.standards if len(s.parts) >= 2)
    comp = std.applies_to[0]
    for part in std.parts:
        do(session, session.tick_part(std.ref, comp, part.label, True))
    j = session.data.judgement(std.ref, comp)
    assert suggest_from_parts([p.label for p in std.parts], j.parts) == MET
    do(session, session.set_judgement(std.ref, comp, NOT_MET))
    assert session.data.judgement(std.ref, comp).missing_reason


def test_a_photo_is_stored_clean_and_a_non_image_is_refused(session: VisitSession) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    change = do(session, session.add_photo(buf.getvalue(), ref="HN-401", caption="Day unit"))
    photo = session.data.photos[change.entity_id]
    assert photo.caption == "Day unit" and len(photo.sha256) == 64
    with pytest.raises(NotAnImage):
        session.add_photo(b"%PDF-1.4 not a photo", ref="HN-401").result(timeout=30)


def test_filters_and_search(session: VisitSession) -> None:
    data = session.data
    all_shc = data.matching("shc", Filters())
    assert all_shc == [s.ref for s in data.standards if "shc" in s.applies_to]
    key = data.matching("shc", Filters(key_only=True))
    assert key and all(data.by_ref[r].key for r in key)
    do(session, session.set_judgement(all_shc[0], "shc", NOT_MET, "no"))
    assert data.matching("shc", Filters(not_met=True)) == [all_shc[0]]
    assert all_shc[0] not in data.matching("shc", Filters(not_assessed=True))
    do(session, session.add_note(all_shc[3], "the zebra crossing audit"))
    assert data.matching("shc", Filters(with_notes=True)) == [all_shc[3]]
    hits = data.search("transcranial")
    assert hits and all("transcranial" in _text(data, r) for r in hits)
    assert all_shc[3] in data.matching("shc", Filters(), search_hits=[], query="zebra")


def _text(data: object, ref: str) -> str:
    s = data.by_ref[ref]  # type: ignore[attr-defined]
    return " ".join(
        [s.ref, s.title, s.requirement, s.evidence_expected, *(p.text for p in s.parts)]
    ).casefold()


def test_position_is_remembered(open_demo_session: Callable[..., VisitSession]) -> None:
    s = open_demo_session()
    s.remember_position("HN-205", "lht").result(timeout=30)
    s.close()
    again = open_demo_session()
    try:
        assert again.data.position == ("HN-205", "lht")
    finally:
        again.close()
