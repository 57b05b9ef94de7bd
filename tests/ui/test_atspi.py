"""Screen-reader exposure through AT-SPI: the reviewer's window as Orca reads it, not only Qt's
own accessible tree (tests/ui/test_accessibility.py checks that one).

The real app (``python -m reviewer_app --demo``) runs on an X server and session bus of its own
with the accessibility bus on it (tests/atspi_desktop.py); its tree is read from the AT-SPI
desktop by Debian's python3 and checked here: the window is there under its title, every control
a user can reach has a name and a role, and the controls a reviewer uses most are found by
name with the role a screen reader announces. Skipped, with the reason, only where the X
server or a bus cannot start; where a program is missing on Debian (scripts/system-deps.sh
installs them all) the test fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reviewer_app.app.keys import PASSPHRASE_ENV
from reviewer_app.demo.kits import demo_visit
from tests import atspi_desktop
from tests.conftest import TEST_PASSPHRASE

Node = dict[str, Any]

REPO = Path(__file__).resolve().parents[2]
READ_SECONDS = 30.0
# Shown once the visit is open; the Team menu is added after the window first paints, and
# the side panel's timetable soon after (a second after, when it starts folded away).
READY_WHEN = ["Search standards", "Standards", "Export my work as a bundle…", "Sessions"]
# Roles a user acts on: each must have a name. (Scroll bars are read by position, not name.)
INTERACTIVE = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "combo box",
    "text",
    "entry",
    "password text",
    "spin button",
    "slider",
    "list",
    "list box",
    "tree",
    "tree table",
    "table",
    "menu item",
    "check menu item",
    "radio menu item",
    "page tab",
    "page tab list",
    "link",
}
NO_ROLE = {"unknown", "invalid", ""}


# -- walking the tree ------------------------------------------------------------------------------


def walk(node: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[Node, tuple[str, ...]]]:
    """Every node under ``node`` (itself first) with the names and roles above it."""
    here = (*path, f"{node['role']} {node['name']!r}")
    yield node, here
    for child in node["children"]:
        yield from walk(child, here)


def showing(node: Node) -> bool:
    return "showing" in node["states"]


def reachable(node: Node) -> bool:
    """A control a user can get to: on screen, and focusable or of a role acted on."""
    return showing(node) and ("focusable" in node["states"] or node["role"] in INTERACTIVE)


def offenders(frame: Node) -> list[str]:
    """Reachable controls without a name or a role, and the menu bar's items, down to those in
    submenus, without a name (the menus are closed, so their items are not on screen, but a
    screen reader reads them as they open; the menu under an item is named by that item)."""
    found = []
    for node, path in walk(frame):
        in_menu_bar = any(p.startswith("menu bar ") for p in path[:-1])
        if not reachable(node) and not (in_menu_bar and node["role"] in INTERACTIVE):
            continue
        if not node["name"].strip() or node["role"] in NO_ROLE:
            found.append(" > ".join(path[1:]))
    return found


def by_name(frame: Node, name: str) -> list[Node]:
    return [n for n, _ in walk(frame) if n["name"] == name]


# -- the desktop and the app -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[atspi_desktop.Desktop]:
    missing = atspi_desktop.missing_programs()
    if missing:
        reason = f"{', '.join(missing)} missing (`bash scripts/system-deps.sh` installs them)"
        if os.environ.get("CI") or shutil.which("dpkg"):
            pytest.fail(f"a Debian machine must test what a screen reader reads: {reason}")
        pytest.skip(reason)
    try:
        with atspi_desktop.running(tmp_path_factory.mktemp("desktop")) as running:
            yield running
    except atspi_desktop.CannotStart as e:
        pytest.skip(f"no desktop for a screen reader here: {e}")


def read_app(
    desktop: atspi_desktop.Desktop, home: Path, ready_when: list[str], passphrase: str | None
) -> Node:
    """Start the app on the demo visit and read its accessible tree once ``ready_when`` are
    all in it. With no ``passphrase`` in its environment (no keyring on this desktop), the app
    asks for one in its dialog."""
    env = {
        **desktop.env,
        "REVIEWER_APP_HOME": str(home),
        "QT_QPA_PLATFORM": "xcb",
        "QT_ACCESSIBILITY": "1",
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "PYTHONFAULTHANDLER": "1",  # a crash in Qt leaves its Python stack in app.log
    }
    if passphrase is not None:  # the visit's key wrapped with it, and no dialog
        env[PASSPHRASE_ENV] = passphrase
    with open(home / "app.log", "wb") as log:
        app = subprocess.Popen(
            [sys.executable, "-m", "reviewer_app", "--demo"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            read = desktop.read(app.pid, ready_when, READ_SECONDS)
            ended = app.poll()
        finally:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(10)
    said = (home / "app.log").read_text("utf-8", errors="replace")[-2000:]
    assert ended is None, f"the app ended ({ended}) while a screen reader read it: {said}"
    assert read["app"] is not None, f"the app never showed on the AT-SPI desktop: {said}"
    assert read["found"], (
        f"after {read['seconds']} s the tree still lacks one of {ready_when}: {said}\n"
        + "\n".join(" > ".join(p) for _, p in walk(read["app"]))
    )
    tree: Node = read["app"]
    return tree


@pytest.fixture(scope="module")
def app_tree(
    desktop: atspi_desktop.Desktop, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Node]:
    """The app's accessible tree, read once the demo visit's window is complete."""
    yield read_app(desktop, tmp_path_factory.mktemp("app-home"), READY_WHEN, TEST_PASSPHRASE)


@pytest.fixture(scope="module")
def frame(app_tree: Node) -> Node:
    frames: list[Node] = [c for c in app_tree["children"] if c["role"] == "frame" and showing(c)]
    assert len(frames) == 1, [(c["role"], c["name"]) for c in app_tree["children"]]
    return frames[0]


# -- the checks ------------------------------------------------------------------------------------


def test_the_reviewer_window_is_on_the_desktop_under_its_title(app_tree: Node, frame: Node) -> None:
    assert app_tree["role"] == "application"
    assert app_tree["name"] == "Reviewer App"
    assert frame["name"] == f"DEMO — {demo_visit().title} — Reviewer App"


def test_every_control_has_a_name_and_a_role(frame: Node) -> None:
    checked = [n for n, _ in walk(frame) if reachable(n)]
    assert len(checked) > 40, "too few controls: was the tree read before the window was built?"
    found = offenders(frame)
    assert not found, "controls a screen reader cannot name (their place in the window):\n" + (
        "\n".join(found)
    )


def test_the_controls_a_reviewer_uses_are_found_by_name_with_their_role(frame: Node) -> None:
    expected = {
        "Search standards": {"text", "entry"},
        "Standards": {"tree", "tree table"},
        "Met": {"radio button"},
        "Not met": {"radio button"},
        "Not applicable": {"radio button"},
        "Not yet assessed": {"radio button"},
        "Reason for my judgement": {"text"},
        "Show only: Not met": {"check box"},
        "Part a met": {"check box"},
        "Observations": {"page tab"},
        "Visit": {"menu item"},
        "Keyboard shortcuts": {"menu item"},
    }
    wrong = {}
    for name, roles in expected.items():
        found = {n["role"] for n in by_name(frame, name) if n["role"] != "filler"}
        if not found & roles:
            wrong[name] = sorted(found) or "not found"
    assert wrong == {}


def rows(view: Node) -> list[list[Node]]:
    """The cells of the first rows of a table or tree (as far as the reader read), row by row."""
    columns = sum(i["role"] == "table column header" for i in view["items"])
    cells = [i for i in view["items"] if i["role"] == "table cell"]
    return [cells[at : at + columns] for at in range(0, len(cells), max(columns, 1))]


def test_each_row_of_the_standards_and_the_timetable_is_read_by_name(frame: Node) -> None:
    """A row is announced from its first cell: the standard's reference, title and state, the
    session's time. (A second cell may be empty: the tree's "Key standard" mark.)"""
    for name in ("Standards", "Sessions"):
        [view] = [n for n in by_name(frame, name) if n["role"] in {"tree", "tree table", "table"}]
        read = rows(view)
        assert len(read) >= 3 and view["child_count"] > 20, (name, view["items"])
        assert [r for r in read if not r[0]["name"].strip()] == [], name


def test_the_check_names_an_unnamed_button_and_an_unnamed_menu_item() -> None:
    """The walk itself, on a made-up tree: what a screen reader could not name is listed."""

    def n(role: str, name: str = "", states: tuple[str, ...] = (), *children: Node) -> Node:
        return {"role": role, "name": name, "states": list(states), "children": list(children)}

    on = ("showing", "focusable")
    frame = n(
        "frame",
        "Window",
        ("showing",),
        n("push button", "", on),
        n("push button", "Hidden", ()),  # not on screen: not checked
        n("push button", "", ()),
        n("label", "", ("showing",)),  # neither focusable nor acted on
        n("unknown", "Handle", on),
        n(
            "menu bar",
            "",
            ("showing",),
            n("menu item", "Visit", ("showing",), n("popup menu", "", (), n("menu item"))),
        ),
    )
    assert offenders(frame) == [
        "push button ''",
        "unknown 'Handle'",
        "menu bar '' > menu item 'Visit' > popup menu '' > menu item ''",
    ]


def test_the_passphrase_dialog_is_read_by_name_and_role(
    desktop: atspi_desktop.Desktop, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On a laptop with no keyring the demo visit's key needs a passphrase: the dialog that
    asks for it, as a screen reader reads it (issue 19)."""
    home = tmp_path_factory.mktemp("no-keyring")
    tree = read_app(desktop, home, ["Passphrase again", "Use this passphrase"], None)
    dialogs = [c for c in tree["children"] if c["role"] == "dialog" and showing(c)]
    assert [d["name"] for d in dialogs] == ["Choose a passphrase"]
    dialog = dialogs[0]
    assert offenders(dialog) == []
    roles = {n["name"]: n["role"] for n, _ in walk(dialog)}
    assert roles["Passphrase"] == roles["Passphrase again"] == "password text"
    assert roles["Use this passphrase"] == roles["Cancel"] == "push button"
    assert roles["What the passphrase is for"] == roles["If the passphrase is forgotten"] == "label"
    [field] = [n for n in by_name(dialog, "Passphrase") if n["role"] == "password text"]
    assert "focused" in field["states"]  # the keyboard starts in it
