"""The compiled methods of dataclasses, kept between starts (reviewer_app.app.method_cache).

The cache is installed where ``reviewer-app`` opens a window, and nowhere else: these tests
install it for themselves (``fresh``), and check both sides in real processes.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import marshal
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.app import method_cache

ROOT = Path(__file__).resolve().parents[2]

#: ``reviewer-app`` as its entry point runs it, closed once its window is on screen; it then
#: says whether ``dataclasses`` makes classes through the cache, and how many it made so.
WINDOW = """
import dataclasses, json, runpy, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

real_exec = QApplication.exec

def report_and_close():
    app = QApplication.instance()
    shown = [w for w in app.topLevelWidgets() if w.isVisible() and w.windowHandle() is not None]
    if not any(w.windowHandle().isExposed() for w in shown):
        QTimer.singleShot(10, report_and_close)
        return
    from reviewer_app.app import method_cache
    cached = getattr(dataclasses, "exec", None) is method_cache.cached_exec
    said = {"window": type(shown[0]).__name__, "through_cache": cached}
    print(json.dumps({**said, "classes": len(method_cache._used)}), flush=True)
    app.quit()

def exec_until_shown():
    QTimer.singleShot(0, report_and_close)
    return real_exec()

QApplication.exec = staticmethod(exec_until_shown)
sys.argv = ["reviewer-app"]
runpy.run_module("reviewer_app", run_name="__main__", alter_sys=True)
"""

#: What the central service, a headless command, the tests and the process that reads team
#: bundles ahead import; then whether ``dataclasses`` is the standard library's own.
HEADLESS = """
import dataclasses, json
import reviewer_app, reviewer_app.app.cli, reviewer_app.app.commands
import reviewer_app.central.service, reviewer_app.team.bundles, sync.bundle_read_ahead
print(json.dumps({"patched": hasattr(dataclasses, "exec")}))
"""


def child(code: str, tmp_path: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "REVIEWER_APP_HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        # The cache is kept beside the byte code, when there is byte code (as an installed
        # app has): here, in the test's own folder.
        "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    said: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return said


def cache_files(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "pycache").rglob("dataclass_methods.*.marshal"))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A process that has compiled nothing yet, with the cache installed for this test only;
    returns the sources it compiles from now on."""
    monkeypatch.setattr(dataclasses, "exec", method_cache.cached_exec, raising=False)
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


def test_the_window_makes_its_dataclasses_through_the_cache_and_keeps_them(
    tmp_path: Path,
) -> None:
    said = child(WINDOW, tmp_path)
    assert said["window"] and said["through_cache"]
    assert said["classes"] >= 20  # the window's own, made after the cache was installed
    [kept] = cache_files(tmp_path)  # written as the program ended: the next start uses it
    assert len(method_cache.load(kept)) >= said["classes"]


def test_the_package_alone_leaves_dataclasses_as_python_made_it(tmp_path: Path) -> None:
    assert child(HEADLESS, tmp_path) == {"patched": False}
    assert cache_files(tmp_path) == []


def test_the_cache_is_kept_beside_the_byte_code() -> None:
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
