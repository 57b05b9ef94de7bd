"""Records read and write themselves by their fields' types, and say where a bad value is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from storage.records import OPTIONAL, ErrorType, Record, RecordError


@dataclass(frozen=True, slots=True)
class Room(Record):
    name: str
    seats: int = 0


@dataclass(frozen=True, slots=True)
class Meeting(Record):
    id: str
    title: str
    rooms: tuple[Room, ...]
    note: str = field(metadata=OPTIONAL)
    place: str = "online"  # what a file without it meant
    public: bool = False
    people: tuple[str, ...] = ()
    tags: list[str] = field(default_factory=list)
    size: int | str = ""
    budget: int | None = None
    by_room: dict[str, list[str]] = field(default_factory=dict)
    host: Room | None = field(default=None, metadata={"key": "host_room"})


def meeting() -> Meeting:
    return Meeting(
        id="m1",
        title="Patients' meeting",
        rooms=(Room("Blue", 12), Room("Red")),
        note="",
        place="Ward 4",
        public=True,
        people=("a", "b"),
        tags=["x"],
        size="about 20",
        budget=300,
        by_room={"Blue": ["a"]},
    )


def test_a_record_comes_back_as_it_was_written() -> None:
    m = meeting()
    d = m.to_dict()
    assert list(d) == [
        "id", "title", "rooms", "note", "place", "public", "people", "tags", "size", "budget",
        "by_room", "host_room",
    ]  # fmt: skip
    assert d["rooms"] == [{"name": "Blue", "seats": 12}, {"name": "Red", "seats": 0}]
    assert d["host_room"] is None
    assert Meeting.from_dict(d, "meeting") == m


def test_a_missing_required_field_is_named_by_its_path() -> None:
    d = meeting().to_dict()
    del d["rooms"][1]["name"]
    with pytest.raises(RecordError) as caught:
        Meeting.from_dict(d, "visit.meeting")
    assert caught.value.where == "visit.meeting.rooms[1].name"
    assert str(caught.value) == "visit.meeting.rooms[1].name: is missing"


def test_where_defaults_to_the_class_name() -> None:
    with pytest.raises(RecordError, match=r"^Room\.name: is empty$"):
        Room.from_dict({"name": "  "})
    with pytest.raises(RecordError, match=r"^Room: expected an object$"):
        Room.from_dict(["Blue"])


def test_absent_defaulted_fields_read_as_their_defaults() -> None:
    m = Meeting.from_dict({"id": "m1", "title": "T", "place": " "}, "meeting")
    assert m == Meeting(id="m1", title="T", rooms=(), note="")
    assert (m.place, m.public, m.tags, m.budget, m.by_room, m.host) == (
        "online", False, [], None, {}, None,
    )  # fmt: skip


def test_values_of_the_wrong_kind_are_refused() -> None:
    base = {"id": "m1", "title": "T"}
    for key, value, message in [
        ("public", "yes", "expected true or false"),
        ("budget", "300", "expected a whole number"),
        ("size", 2.5, "expected a whole number or a text"),
        ("people", "a", "expected a list"),
        ("by_room", [], "expected an object"),
    ]:
        with pytest.raises(RecordError, match=f"^meeting.{key}: {message}$"):
            Meeting.from_dict({**base, key: value}, "meeting")


class _Refused(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"refused at {where}: {message}")


@dataclass(frozen=True, slots=True)
class Strict(Record):
    record_error: ClassVar[ErrorType] = _Refused

    name: str


def test_a_class_names_its_own_error() -> None:
    with pytest.raises(_Refused, match=r"^refused at s.name: is missing$"):
        Strict.from_dict({}, "s")


@dataclass(frozen=True, slots=True)
class Odd(Record):
    name: str
    weight: complex = 0j


def test_a_field_of_a_type_it_cannot_read_is_refused_when_the_class_reads() -> None:
    with pytest.raises(TypeError, match="no reader"):
        Odd.from_dict({"name": "a"}, "odd")
