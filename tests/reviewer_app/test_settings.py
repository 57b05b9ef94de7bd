"""Settings: declared once, saved atomically, upgraded in turn, never fatal when the file is bad."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import DECLARED, MAX_RECENT_KITS, SETTINGS_FILE, VERSION, Settings


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return AppPaths.from_environment()


def test_a_fresh_laptop_has_the_declared_defaults_and_no_file(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    for s in DECLARED:
        assert settings.get(s.name) == s.default
    assert not (paths.config / SETTINGS_FILE).exists()


def test_round_trip(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    settings.set("last_visit_id", "visit-1")
    settings.remember_kit("/kits/a.rvkit")
    settings.remember_kit("/kits/b.rvkit")
    settings.remember_kit("/kits/a.rvkit")
    settings.save()
    again = Settings.load(paths)
    assert again.get("last_visit_id") == "visit-1"
    assert again.get("recent_kits") == ["/kits/a.rvkit", "/kits/b.rvkit"]
    data = json.loads((paths.config / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert data["version"] == VERSION
    assert not list(paths.config.glob(".settings-*"))  # no temporary file left behind


def test_set_checks_the_declared_type(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    with pytest.raises(TypeError):
        settings.set("last_visit_id", 3)
    with pytest.raises(TypeError):
        settings.set("recent_kits", "one.rvkit")
    with pytest.raises(TypeError):
        settings.set("recent_kits", [1, 2])
    with pytest.raises(KeyError):
        settings.set("no_such_setting", "x")
    with pytest.raises(KeyError):
        settings.get("no_such_setting")


def test_recent_kits_keep_the_newest_ten(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    for n in range(15):
        settings.remember_kit(f"/kits/{n}.rvkit")
    kits = settings.get("recent_kits")
    assert len(kits) == MAX_RECENT_KITS
    assert kits[0] == "/kits/14.rvkit"


def test_get_returns_a_copy_of_a_list(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    settings.get("recent_kits").append("sneaky")
    assert settings.get("recent_kits") == []


@pytest.mark.parametrize(
    "content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'{"version": "two"}']
)
def test_a_bad_file_gives_defaults_and_is_kept_aside(
    paths: AppPaths, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    paths.config.mkdir(parents=True)
    (paths.config / SETTINGS_FILE).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(paths)
    assert settings.get("last_visit_id") == ""
    kept = list(paths.config.glob(f"{SETTINGS_FILE}.bad-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert "unreadable" in caplog.text
    settings.set("last_visit_id", "v")
    settings.save()
    assert Settings.load(paths).get("last_visit_id") == "v"


def test_a_value_of_the_wrong_type_falls_back_to_its_default_alone(paths: AppPaths) -> None:
    paths.config.mkdir(parents=True)
    (paths.config / SETTINGS_FILE).write_text(
        json.dumps({"version": VERSION, "last_visit_id": 42, "recent_kits": ["/k.rvkit"]})
    )
    settings = Settings.load(paths)
    assert settings.get("last_visit_id") == ""
    assert settings.get("recent_kits") == ["/k.rvkit"]


def test_old_files_are_upgraded_in_order(paths: AppPaths) -> None:
    paths.config.mkdir(parents=True)
    (paths.config / SETTINGS_FILE).write_text(json.dumps({"last_visit": "v0"}))  # no version
    assert Settings.load(paths).get("last_visit_id") == "v0"
    (paths.config / SETTINGS_FILE).write_text(
        json.dumps({"version": 1, "last_visit_id": "v1", "last_kit": "/old.rvkit"})
    )
    settings = Settings.load(paths)
    assert settings.get("last_visit_id") == "v1"
    assert settings.get("recent_kits") == ["/old.rvkit"]
    settings.save()
    data = json.loads((paths.config / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert data["version"] == VERSION and "last_kit" not in data


def test_a_newer_file_keeps_what_this_version_does_not_know(paths: AppPaths) -> None:
    paths.config.mkdir(parents=True)
    newer = {"version": VERSION + 1, "last_visit_id": "v", "future_thing": {"a": 1}}
    (paths.config / SETTINGS_FILE).write_text(json.dumps(newer))
    settings = Settings.load(paths)
    assert settings.get("last_visit_id") == "v"
    settings.save()
    data = json.loads((paths.config / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert data["future_thing"] == {"a": 1} and data["version"] == VERSION + 1


def test_one_copy_per_process(paths: AppPaths) -> None:
    assert Settings.shared(paths) is Settings.shared(paths)


def test_a_save_writes_only_what_this_copy_changed(paths: AppPaths) -> None:
    window = Settings.load(paths)  # read at start, kept for the session
    elsewhere = Settings.load(paths)
    elsewhere.set("central_url", "https://central.example.nhs.uk")
    elsewhere.save()
    window.remember_kit("/media/usb/visit.rvkit")
    window.save()  # once wrote its stale central_url back: a silent sign-out

    on_disk = Settings.load(paths)
    assert on_disk.get("central_url") == "https://central.example.nhs.uk"
    assert on_disk.get("recent_kits") == ["/media/usb/visit.rvkit"]
    assert window.get("central_url") == "https://central.example.nhs.uk"  # seen from now on
    window.set("central_url", "")  # its own later change does win
    window.save()
    assert Settings.load(paths).get("central_url") == ""


def test_a_save_over_a_damaged_file_keeps_this_copys_values(paths: AppPaths) -> None:
    settings = Settings.load(paths)
    settings.set("central_url", "https://central.example.nhs.uk")
    settings.save()
    settings.path.write_bytes(b"\x00garbage")
    settings.remember_kit("/k.rvkit")
    settings.save()
    assert Settings.load(paths).get("central_url") == "https://central.example.nhs.uk"


def test_the_shared_copy_follows_a_save_made_elsewhere(paths: AppPaths) -> None:
    shared = Settings.shared(paths)
    shared.remember_kit("/k.rvkit")  # changed here, not yet saved
    other = Settings.load(paths)  # another process
    other.set("risk_confirmation_working_days", 5)
    other.save()
    again = Settings.shared(paths)
    assert again is shared and again.get("risk_confirmation_working_days") == 5
    assert again.get("recent_kits") == ["/k.rvkit"]  # its own change is kept
