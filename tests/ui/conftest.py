"""Fixtures shared by the window tests (tests/ui); plain helpers are in tests/ui/helpers.py.

- ``paths``: the AppPaths of this test's own REVIEWER_APP_HOME.
- ``screenshot``: ``screenshot(widget, "name.png")`` in a test that checks behaviour. Such a
  test runs in two copies: in the main suite (``[checks]``) the call does nothing; the copy
  marked ``screenshots`` (``pytest -m screenshots``, ``make screenshots``) saves the picture to
  tests/artifacts. Both make the same assertions, so a picture is only ever taken of a screen
  that passed them. A test that only takes a picture is marked ``screenshots`` itself and
  calls ``helpers.save_screenshot``.
- ``laptops``: ``laptops("m-lead")``, a laptop of the demo visit with its window shown
  (tests/ui/team_laptops.py).
- ``staff_window``: programme staff's window, shown, closed after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import Screenshot, save_screenshot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from team_laptops import Laptop, make_laptop

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import open_session
from ui.main_window import ReviewerWindow
from ui.staff.window import StaffWindow


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture(
    params=[
        pytest.param(False, id="checks"),
        pytest.param(True, id="screenshots", marks=pytest.mark.screenshots),
    ]
)
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    def take(shown: QWidget | QImage, name: str) -> None:
        if request.param:
            save_screenshot(shown, name)

    return take


@pytest.fixture
def laptops(tmp_path: Path, demo_kit_file: Path, qtbot: QtBot) -> Iterator[Callable[[str], Laptop]]:
    """``laptops("m-lead")``: a laptop with the visit open in a shown window."""
    made: list[Laptop] = []

    def make(member_id: str) -> Laptop:
        laptop = make_laptop(tmp_path / member_id, demo_kit_file, member_id)
        session: VisitSession = open_session(laptop.paths, laptop.visit_id).result(timeout=30)
        window = ReviewerWindow(session, laptop.paths)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        laptop.window = window
        made.append(laptop)
        return laptop

    yield make
    for laptop in made:
        if laptop.window is not None:
            laptop.window.close()


@pytest.fixture
def staff_window(qtbot: QtBot) -> Iterator[StaffWindow]:
    window = StaffWindow(AppPaths.from_environment())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
