"""`reviewer-app visit lock` with no window, its help, and the idle time's setting (headless:
the window's side is tests/ui/test_lock.py)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from reviewer_app.app.cli import lock_listener_folder, main, private_folder
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings


def test_with_no_window_open_there_is_nothing_to_lock(
    app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["visit", "lock"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("No Reviewer App window is open; nothing to lock.\n", "")


def test_the_help_says_what_locking_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["visit", "lock", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "drops every key from memory" in text and "no network" in text
    with pytest.raises(SystemExit):
        main(["visit", "--help"])
    assert "lock the Reviewer App windows open on this laptop" in capsys.readouterr().out


def test_the_windows_sockets_are_in_a_folder_only_this_user_enters(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    folder = lock_listener_folder(paths)
    assert folder == lock_listener_folder(AppPaths.from_environment())  # one per data folder
    folder.parent.mkdir(mode=0o755, exist_ok=True)
    os.chmod(folder.parent, 0o755)  # as an older run, or another umask, might have left it
    private_folder(folder)
    for part in (folder.parent, folder):
        assert stat.S_IMODE(part.stat().st_mode) == 0o700
    folder.rmdir()


def test_the_idle_time_is_fifteen_minutes_unless_set(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    assert Settings.load(paths).get("idle_lock_minutes") == 15.0
    paths.config.mkdir(parents=True, exist_ok=True)
    (paths.config / "settings.json").write_text(
        json.dumps({"version": 2, "idle_lock_minutes": 5}), "utf-8"
    )
    assert Settings.load(paths).get("idle_lock_minutes") == 5.0  # JSON's 5 is a float's 5.0
    (paths.config / "settings.json").write_text(
        json.dumps({"version": 2, "idle_lock_minutes": "soon"}), "utf-8"
    )
    assert Settings.load(paths).get("idle_lock_minutes") == 15.0  # refused: the default
