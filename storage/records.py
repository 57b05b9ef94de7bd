"""Records: dataclasses that read and write themselves as JSON objects by their fields' types.

A subclass of :class:`Record` (a ``@dataclass``) gets ``to_dict()`` (keys in field order) and
``from_dict(d, where)``, which validates ``d`` and raises the class's ``record_error`` (by default
:class:`RecordError`) naming the path of the bad value (``visit.team[2].name: is missing``), so a
refusal message can say exactly what is wrong. A class spells out only what its types cannot say,
by overriding a method and calling the helpers here (:func:`read`, :func:`read_field`, ...).

The types a field may have:

- ``str``: required (present and not blank) unless the field has a default (what it reads as when
  absent or blank) or :data:`OPTIONAL` metadata (``""`` when absent);
- ``bool``: false when absent; ``int``: its default when absent, else required;
- ``int | str`` (a count or a short text): either, its default (or ``""``) when absent;
- ``X | None``: ``None`` when absent or null, else an ``X`` (``str``, ``int``, a record ...);
- ``tuple[X, ...]`` and ``list[X]``: JSON lists (empty when absent);
- ``dict[str, X]`` (or ``Mapping[str, X]``): JSON objects (empty when absent);
- a record: a JSON object.

An item ``X`` is ``str``, ``int``, a record, or a list or object of them.
``metadata={"key": ...}`` names a field's JSON key when it is not the field's name. A field of
any other type is refused (``TypeError``) when the class reads it, unless its class reads that
field itself.

Imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, fields
from types import NoneType, UnionType
from typing import Any, ClassVar, Self, TypeVar, get_args, get_origin, get_type_hints

__all__ = [
    "OPTIONAL",
    "Record",
    "RecordError",
    "as_list",
    "as_object",
    "read",
    "read_field",
    "read_items",
    "text",
    "unique",
    "whole",
]

# Field metadata: text that may be missing or blank although the field has no default.
OPTIONAL: Mapping[str, Any] = {"optional": True}


class RecordError(ValueError):
    """A value of a record is missing or of the wrong kind; ``where`` is its path."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


ErrorType = Callable[[str, str], Exception]


# -- small validating readers ------------------------------------------------------------------


def as_object(value: Any, where: str, error: ErrorType = RecordError) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise error(where, "expected an object")
    return value


def as_list(value: Any, where: str, error: ErrorType = RecordError) -> Sequence[Any]:
    if not isinstance(value, list):
        raise error(where, "expected a list")
    return value


def text(
    d: Mapping[str, Any],
    key: str,
    where: str,
    *,
    required: bool = True,
    error: ErrorType = RecordError,
) -> str:
    """The text at ``key`` of ``d``; ``""`` when absent and not ``required``."""
    value = d.get(key)
    if value is None:
        if required:
            raise error(f"{where}.{key}", "is missing")
        return ""
    if not isinstance(value, str):
        raise error(f"{where}.{key}", "expected text")
    if required and not value.strip():
        raise error(f"{where}.{key}", "is empty")
    return value


def whole(d: Mapping[str, Any], key: str, where: str, error: ErrorType = RecordError) -> int:
    """The whole number at ``key`` of ``d`` (true and false are not numbers)."""
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(f"{where}.{key}", "expected a whole number")
    return value


def unique(values: Sequence[str], where: str, what: str, error: ErrorType = RecordError) -> None:
    """Refuse a value that appears twice (``what`` names it: "member_id")."""
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise error(where, f"{what} {v!r} appears twice")
        seen.add(v)


# -- records -------------------------------------------------------------------------------------


class Record:
    """The base of a dataclass that reads and writes every field by its type (module docstring).

    ``record_error`` is the exception raised for a bad value: a class taking ``(where,
    message)``. A subclass overrides a method only for what its types cannot say.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    record_error: ClassVar[ErrorType] = RecordError

    def to_dict(self) -> dict[str, Any]:
        return {key: _plain(getattr(self, name)) for key, name in _keys(type(self))}

    @classmethod
    def from_dict(cls, d: Any, where: str = "") -> Self:
        """The record from the JSON object ``d``; ``where`` (by default the class's name) begins
        the path an error names."""
        return read(cls, d, where or cls.__name__)


R = TypeVar("R", bound=Record)


_KEYS: dict[type[Record], tuple[tuple[str, str], ...]] = {}
_SCALARS = frozenset({str, int, float, bool, NoneType})


def _keys(cls: type[Record]) -> tuple[tuple[str, str], ...]:
    """(JSON key, field name) of each field of ``cls``, worked out once per class (asking
    ``fields`` for each of 2,000 standards and their parts was a quarter of importing a kit)."""
    keys = _KEYS.get(cls)
    if keys is None:
        keys = _KEYS[cls] = tuple((f.metadata.get("key", f.name), f.name) for f in fields(cls))
    return keys


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


Reader = Callable[[Mapping[str, Any], str], Any]
_PLANS: dict[type[Record], dict[str, Reader]] = {}


def _plan(cls: type[Record]) -> dict[str, Reader]:
    """A reader for each field of ``cls``, in field order, worked out once per class from the
    field's type (the class's annotations are text): reading a 2,000-standard kit calls them
    tens of thousands of times."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = get_type_hints(cls)
        error = cls.record_error
        plan = _PLANS[cls] = {f.name: _reader(f, hints[f.name], error) for f in fields(cls)}
    return plan


def _reader(f: Field[Any], tp: Any, error: ErrorType) -> Reader:  # noqa: PLR0911
    key = f.metadata.get("key", f.name)
    if tp is str:
        return _str_reader(f, key, error)
    if tp is bool:

        def read_bool(d: Mapping[str, Any], where: str) -> bool:
            if not isinstance(value := d.get(key, False), bool):
                raise error(f"{where}.{key}", "expected true or false")
            return value

        return read_bool
    if tp is int:
        default = f.default
        return lambda d, where: (
            default if key not in d and default is not MISSING else whole(d, key, where, error)
        )
    if tp == int | str:
        return lambda d, where: _int_or_str(d, key, where, f.default, error)
    origin = get_origin(tp)
    if origin is UnionType and NoneType in (args := get_args(tp)) and len(args) == 2:
        return _or_none_reader(key, next(a for a in args if a is not NoneType), error)
    if origin in (tuple, list):
        item, make = get_args(tp)[0], origin
        return lambda d, where: make(read_items(item, d.get(key, []), f"{where}.{key}", error))
    if origin in (dict, Mapping):
        return lambda d, where: _one(tp, d.get(key, {}), f"{where}.{key}", error)
    return lambda d, where: _one(tp, d.get(key), f"{where}.{key}", error)


def _str_reader(f: Field[Any], key: str, error: ErrorType) -> Reader:
    if isinstance(f.default, str) and f.default:
        fallback = f.default  # an older file without the field reads as it always meant
        return lambda d, where: text(d, key, where, required=False, error=error).strip() or fallback
    required = f.default is MISSING and "optional" not in f.metadata

    def read_str(d: Mapping[str, Any], where: str) -> str:
        value = d.get(key)
        if type(value) is str and (not required or value.strip()):
            return value  # the common case, without the call that words a refusal
        return text(d, key, where, required=required, error=error)

    return read_str


def _int_or_str(
    d: Mapping[str, Any], key: str, where: str, default: Any, error: ErrorType
) -> int | str:
    """A whole number or a text ("about 250 adults"); ``default`` when absent."""
    value = d.get(key)
    if value is None:
        value = "" if default is MISSING else default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise error(f"{where}.{key}", "expected a whole number or a text")
    return value


def _or_none_reader(key: str, tp: Any, error: ErrorType) -> Reader:
    def read_or_none(d: Mapping[str, Any], where: str) -> Any:
        value = d.get(key)
        return None if value is None else _one(tp, value, f"{where}.{key}", error)

    return read_or_none


def read(cls: type[R], d: Any, where: str, **known: Any) -> R:
    """``cls`` from the object ``d``: each field in order, unless ``known`` already has it."""
    d = as_object(d, where, cls.record_error)
    plan = _plan(cls)
    if not known:
        return cls(**{name: reader(d, where) for name, reader in plan.items()})
    return cls(
        **{
            name: known[name] if name in known else reader(d, where)
            for name, reader in plan.items()
        }
    )


def read_field(cls: type[Record], name: str, d: Mapping[str, Any], where: str) -> Any:
    """The field ``name`` of ``cls``, read from the object ``d`` by its type."""
    return _plan(cls)[name](d, where)


def read_items(tp: Any, value: Any, where: str, error: ErrorType = RecordError) -> tuple[Any, ...]:
    """The JSON list ``value``, each item read as ``tp``."""
    items = as_list(value, where, error)
    if tp is str and all(type(item) is str for item in items):
        return tuple(items)  # the common case, without a path string per item
    return tuple(_one(tp, item, f"{where}[{i}]", error) for i, item in enumerate(items))


def _one(tp: Any, value: Any, where: str, error: ErrorType) -> Any:
    if tp is str:
        if not isinstance(value, str):
            raise error(where, "expected text")
        return value
    if tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise error(where, "expected a whole number")
        return value
    if isinstance(tp, type) and issubclass(tp, Record):
        return tp.from_dict(value, where)
    origin = get_origin(tp)
    if origin in (tuple, list):
        return origin(read_items(get_args(tp)[0], value, where, error))
    if origin in (dict, Mapping) and get_args(tp)[0] is str:
        item = get_args(tp)[1]
        return {
            k: _one(item, v, f"{where}[{k!r}]", error)
            for k, v in as_object(value, where, error).items()
        }
    raise TypeError(f"{where}: no reader for {tp!r}")  # a field that its class must read itself
