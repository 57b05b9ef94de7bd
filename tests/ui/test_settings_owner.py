"""Settings have one owner (issue 13, item 8).

The window read the settings once; signing in saved its own copy with the service's address;
the window's next save (opening a kit remembers it) wrote its old copy back, and the laptop was
silently signed out. Here the lead signs in through the sync centre's real dialog against a real
service on 127.0.0.1, opens a kit, and is still signed in; and a sign-in made by the command line
in another process while the window is open survives the window's own saves.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.central.service import signed_in_url
from tests.server import central_helpers
from tests.ui.test_sync_centre import signs_in_as  # noqa: F401 (a fixture)
from ui.app import AppController

central = central_helpers.central
demo_central = central_helpers.demo_central


@pytest.fixture
def controller(qtbot: QtBot, app_home: Path) -> Iterator[AppController]:
    c = AppController(AppPaths.from_environment(), demo=True)
    qtbot.addWidget(c.start_screen)
    c.start()
    yield c
    c.shutdown()


def test_signing_in_then_opening_a_kit_keeps_the_laptop_signed_in(
    qtbot: QtBot,
    controller: AppController,
    demo_central: central_helpers.Central,  # noqa: F811
    demo_kit_file: Path,
    signs_in_as: Any,  # noqa: F811
) -> None:
    paths = controller.paths
    screen = controller.start_screen
    signs_in_as(demo_central.url, demo_central.tokens["lead"])
    qtbot.mouseClick(screen.sync.button, Qt.MouseButton.LeftButton)
    centre = screen.sync.window
    assert centre is not None
    qtbot.mouseClick(centre.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: signed_in_url(paths) == demo_central.url, timeout=WAIT)
    centre.close()

    with qtbot.waitSignal(controller.window_shown, timeout=WAIT):
        controller.opener.open_kit(demo_kit_file)  # remembered in the settings: a save
    controller.flush()

    assert Settings.load(paths).get("central_url") == demo_central.url  # on disk
    assert signed_in_url(paths) == demo_central.url
    assert str(demo_kit_file.resolve()) in Settings.load(paths).get("recent_kits")


def test_a_sign_in_by_another_process_survives_the_windows_saves(
    qtbot: QtBot, controller: AppController, app_home: Path
) -> None:
    paths = controller.paths
    script = (
        "from reviewer_app.app.paths import AppPaths\n"
        "from reviewer_app.app.settings import Settings\n"
        "s = Settings.load(AppPaths.from_environment())\n"
        "s.set('central_url', 'https://central.example.nhs.uk')\n"
        "s.save()\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    controller.settings.remember_kit(app_home / "k.rvkit")  # the window's own change
    controller.settings.save()

    on_disk = Settings.load(paths)
    assert on_disk.get("central_url") == "https://central.example.nhs.uk"
    assert on_disk.get("recent_kits")[0] == str(app_home / "k.rvkit")
    assert controller.settings.get("central_url") == "https://central.example.nhs.uk"
