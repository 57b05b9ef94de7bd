"""The methods ``dataclasses`` writes for each class, compiled once per install, not per start.

For every dataclass, Python 3.11 writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and, frozen, ``__setattr__`` and ``__delattr__``, then compiles it: some 0.4 ms a
class, about 13 ms of the reviewer's window's start-up for the forty-odd classes it imports
(bench/startup.py). That source is the same at every start. So, as Python keeps a module's
byte code, this keeps the compiled methods next to the package's byte code, keyed by their
source, and hands them back to ``dataclasses`` (which finds its ``exec`` here first). The
classes are exactly the ones ``dataclasses`` makes. A missing, stale or damaged file only
means compiling as before; nothing is written when Python writes no byte code.

It changes the standard library's module for the whole process, so it is installed only where
``reviewer-app`` opens a window (``reviewer_app.app.cli``), before the window's modules are
imported: headless commands, the central service, the tests and the process that reads team
bundles ahead use ``dataclasses`` as Python ships it.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

MAX_ENTRIES = 2_000  # more than this (tests make many classes): keep only what this run used

_HEADER = importlib.util.MAGIC_NUMBER  # byte code of another Python is never used
_compiled: dict[str, CodeType] = {}
_used: set[str] = set()
_state: dict[str, Any] = {"new": False, "path": None}


def cache_path() -> Path | None:
    """Where the compiled methods are kept: beside this package's byte code (it follows
    ``PYTHONPYCACHEPREFIX`` as byte code does); None when this Python keeps no byte code."""
    try:
        pyc = Path(importlib.util.cache_from_source(__file__))
    except NotImplementedError:  # sys.implementation.cache_tag is None
        return None
    return pyc.with_name(f"dataclass_methods.{sys.implementation.cache_tag}.marshal")


def cached_exec(source: Any, globals_: Any = None, locals_: Any = None, /) -> None:
    """``exec``, with the code of a source seen before taken from the cache."""
    if isinstance(source, str):
        code = _compiled.get(source)
        if code is None:
            code = _compiled[source] = compile(source, "<string>", "exec")
            _state["new"] = True
        _used.add(source)
        source = code
    builtins.exec(source, globals_, locals_)


def install(path: Path | None = None) -> None:
    """Read the cache and let ``dataclasses`` use it (once; before the app's dataclasses are
    made). What is compiled meanwhile is added to the file when the process ends."""
    if getattr(dataclasses, "exec", None) is cached_exec:
        return
    path = path if path is not None else cache_path()
    if path is not None:
        _compiled.update(load(path))
        _state["path"] = path
        if not sys.dont_write_bytecode:
            atexit.register(save, path)
    dataclasses.exec = cached_exec  # type: ignore[attr-defined]


def save_now() -> None:
    """Write what ``install`` would write at exit, now (for a process ending with os._exit)."""
    path = _state.get("path")
    if isinstance(path, Path) and not sys.dont_write_bytecode:
        save(path)


def load(path: Path) -> dict[str, CodeType]:
    """The cache at ``path``, or nothing if it is missing, damaged or from another Python."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    try:
        loaded = marshal.loads(data[len(_HEADER) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}


def save(path: Path) -> None:
    """Write the cache if this run compiled anything new (atomically; never an error)."""
    if not _state["new"]:
        return
    keep = _compiled if len(_compiled) <= MAX_ENTRIES else {s: _compiled[s] for s in _used}
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(_HEADER + marshal.dumps(keep))
        os.replace(temporary, path)
    except OSError:  # a read-only install: it compiles at every start, as before
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return
    _state["new"] = False
