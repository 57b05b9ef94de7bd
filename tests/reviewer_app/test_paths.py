from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.app.device import device_id
from reviewer_app.app.paths import AppPaths


def test_everything_is_under_reviewer_app_home(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    for folder in (paths.data, paths.config, paths.cache, paths.logs, paths.visits, paths.staging):
        assert folder.is_relative_to(app_home)


def test_without_the_variable_the_platform_folders_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REVIEWER_APP_HOME")
    paths = AppPaths.from_environment()
    assert "ReviewerApp" in str(paths.data)
    assert "ReviewerApp" in str(paths.config)


def test_nothing_is_created_until_needed(app_home: Path) -> None:
    AppPaths.from_environment()
    assert list(app_home.iterdir()) == []


def test_device_id_is_made_once_and_kept(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    first = device_id(paths)
    assert device_id(paths) == first
    assert paths.device_id_file.read_text().strip() == first
