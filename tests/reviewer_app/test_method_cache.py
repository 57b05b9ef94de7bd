"""The compiled methods of dataclasses, kept between starts (reviewer_app.app.method_cache)."""

from __future__ import annotations

import dataclasses
import importlib.util
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.app import method_cache


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A process that has compiled nothing yet; returns the sources it compiles from now on."""
    monkeypatch.setattr(method_cache, "_compiled", {})
    monkeypatch.setattr(method_cache, "_used", set())
    monkeypatch.setattr(method_cache, "_state", {"new": False})
    compiled: list[str] = []

    def counting(source: str, *args: Any) -> Any:
        compiled.append(source)
        return compile(source, *args)

    monkeypatch.setattr(method_cache, "compile", counting, raising=False)
    return compiled


def make_record() -> type:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Visit:
        visit_id: str
        title: str
        standards: tuple[str, ...] = ()

    return Visit


def restart(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """As the next start does: an empty process that reads the file."""
    monkeypatch.setattr(method_cache, "_compiled", method_cache.load(path))
    monkeypatch.setattr(method_cache, "_used", set())
    monkeypatch.setattr(method_cache, "_state", {"new": False})


def test_the_app_makes_its_dataclasses_through_the_cache() -> None:
    assert dataclasses.exec is method_cache.cached_exec  # type: ignore[attr-defined]
    path = method_cache.cache_path()
    assert (
        path is not None
        and path.parent == Path(importlib.util.cache_from_source(method_cache.__file__)).parent
    )


def test_a_class_made_at_the_next_start_compiles_nothing_and_behaves_the_same(
    fresh: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = make_record()
    assert len(fresh) >= 5  # __init__, __repr__, __eq__, __hash__, __setattr__, ...
    path = tmp_path / "pycache" / "methods.marshal"
    method_cache.save(path)
    assert path.is_file()

    restart(monkeypatch, path)
    fresh.clear()
    again = make_record()
    assert fresh == []  # every method came from the file
    a, b = again("v1", "Haemoglobinopathies", ("HN-101",)), again("v1", "Haemoglobinopathies")
    assert a == again("v1", "Haemoglobinopathies", ("HN-101",)) and a != b
    assert hash(a) == hash(again("v1", "Haemoglobinopathies", ("HN-101",)))
    assert repr(b) == repr(first("v1", "Haemoglobinopathies")).replace(
        first.__qualname__, again.__qualname__
    )
    assert dataclasses.replace(b, title="Sickle cell").title == "Sickle cell"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.title = "changed"  # type: ignore[misc]
    # Nothing new: the file is not written again.
    before = path.stat().st_mtime_ns
    method_cache.save(path)
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"not a cache at all"),
        lambda p: p.write_bytes(importlib.util.MAGIC_NUMBER + b"\x00\x01 truncated"),
        lambda p: p.write_bytes(b"\x00\x00\r\n" + marshal.dumps({"a": 1})),  # another Python
        lambda p: p.write_bytes(importlib.util.MAGIC_NUMBER + marshal.dumps(["not", "a dict"])),
        lambda _p: None,  # no file
    ],
    ids=["garbage", "truncated", "other-python", "wrong-shape", "missing"],
)
def test_a_damaged_or_foreign_cache_means_compiling_as_before(
    damage: Callable[[Path], None],
    fresh: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path = tmp_path / "methods.marshal"
    damage(path)
    restart(monkeypatch, path)
    record = make_record()
    assert fresh  # compiled, and the class works
    assert record("v1", "t") == record("v1", "t")


def test_a_cache_that_cannot_be_written_is_no_error(fresh: list[str], tmp_path: Path) -> None:
    # (A read-only folder does not stop root, who runs CI: a file where the folder should be
    # fails the same way for everyone.)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    make_record()
    method_cache.save(blocker / "methods.marshal")  # says nothing, raises nothing
    assert blocker.read_text(encoding="utf-8") == "x"
    assert method_cache._state["new"]  # it will try again when there is something to keep


def test_a_cache_grown_too_big_keeps_only_what_this_run_used(
    fresh: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(method_cache, "MAX_ENTRIES", 3)
    old = compile("pass", "<string>", "exec")
    method_cache._compiled.update({f"# old {i}": old for i in range(5)})
    make_record()
    path = tmp_path / "methods.marshal"
    method_cache.save(path)
    kept = method_cache.load(path)
    assert kept and not any(source.startswith("# old") for source in kept)
