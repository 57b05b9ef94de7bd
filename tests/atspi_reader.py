"""Reads one application's accessible tree from the AT-SPI desktop, as a screen reader does,
and prints it as JSON on stdout.

Run by Debian's own ``/usr/bin/python3`` (its GObject bindings, ``gir1.2-atspi-2.0``, are not in
the project's virtual environment), so it imports nothing of ours and nothing outside the
standard library but ``gi``. tests/atspi_desktop.py starts it; the environment names the bus.

    python3 tests/atspi_reader.py --pid 1234 --until "Search standards" --timeout 20

waits until the application of process 1234 is on the desktop and every ``--until`` name is
somewhere in its tree (or ``--timeout`` seconds have passed, or the process has ended), then prints
``{"found": bool, "app": node | null, "seconds": float}``, where a node is
``{"role", "name", "description", "states", "children"}``. Each try walks the tree afresh, so
what was added after the window first showed (menus built after the first paint) is seen.
The contents of lists, tables and trees (one node a cell, thousands in a large visit) are not
walked: ``children`` is then empty, ``child_count`` says how many there were and ``items`` holds
the first few, without their own children.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

# Roles whose children are items of data, not controls: counted, not walked.
CONTAINERS_OF_ITEMS = {"list", "list box", "table", "tree", "tree table"}
ITEMS_SHOWN = 24
MAX_DEPTH = 60
POLL_SECONDS = 0.2


def node(accessible: Any, depth: int = 0) -> dict[str, Any]:
    role = accessible.get_role_name()
    states = accessible.get_state_set().get_states()
    count = accessible.get_child_count()
    out: dict[str, Any] = {
        "role": role,
        "name": accessible.get_name() or "",
        "description": accessible.get_description() or "",
        "states": sorted(Atspi.StateType(s).value_nick for s in states),
        "child_count": count,
        "children": [],
    }
    if depth >= MAX_DEPTH:
        return out
    if role in CONTAINERS_OF_ITEMS:
        out["items"] = [node(c, MAX_DEPTH) for c in _children(accessible, min(count, ITEMS_SHOWN))]
        return out
    out["children"] = [node(c, depth + 1) for c in _children(accessible, count)]
    return out


def _children(accessible: Any, count: int) -> list[Any]:
    found = (accessible.get_child_at_index(i) for i in range(count))
    return [c for c in found if c is not None]


def names(tree: dict[str, Any]) -> set[str]:
    found = {tree["name"]}
    for child in tree["children"]:
        found |= names(child)
    return found


def application(pid: int) -> Any:
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_process_id() == pid:
            return app
    return None


def read(pid: int, until: list[str], timeout: float) -> dict[str, Any]:
    start = time.monotonic()
    tree: dict[str, Any] | None = None
    while True:
        try:
            app = application(pid)
            tree = node(app) if app is not None else None
        except gi.repository.GLib.Error as e:  # the app changed under the walk: try again
            print(f"atspi_reader: {e}", file=sys.stderr)
            tree = None
        found = tree is not None and all(n in names(tree) for n in until)
        seconds = time.monotonic() - start
        if found or seconds > timeout or not running(pid):
            return {"found": found, "app": tree, "seconds": round(seconds, 2)}
        time.sleep(POLL_SECONDS)


def running(pid: int) -> bool:
    """Whether process ``pid`` is still there (not ended, nor ended and waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--until", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    json.dump(read(args.pid, args.until, args.timeout), sys.stdout)


if __name__ == "__main__":
    main()
