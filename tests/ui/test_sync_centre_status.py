"""The sync centre's remembered status (reviewer_app/central/status.py) and status line,
with no window, against a real service on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.errors
import pytest

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as laptop
from reviewer_app.central import tokens
from reviewer_app.central.status import status_path
from tests.server import central_helpers
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope
from ui.sync_centre.texts import status_lines

central = central_helpers.central
demo_central = central_helpers.demo_central


def test_the_status_is_remembered_without_the_token_and_survives_damage(
    demo_central: Central, app_home: Path
) -> None:
    paths = AppPaths.from_environment()
    token = demo_central.tokens["lead"]
    laptop.sign_in(paths, demo_central.url, token)
    laptop.enqueue_snapshot(paths, make_envelope(), {})
    report = laptop.sync(paths)
    status = laptop.load_status(paths)
    assert report.ok and status.online and status.user == "lead"
    assert [k.visit_id for k in status.kits] == [DEMO_VISIT_ID]
    assert status.kits[0].downloaded and not status.kits[0].opened_here
    assert status.visits[DEMO_VISIT_ID][0]["state"] == "received"
    assert token not in status_path(paths).read_text("utf-8")

    again = laptop.load_status(paths)  # as the window reads it after a restart
    assert again.last_sync_at == status.last_sync_at and again.kits == status.kits

    status_path(paths).write_text("{ not json", "utf-8")
    damaged = laptop.load_status(paths)
    assert damaged.signed_in and damaged.kits == [] and damaged.last_sync_at == ""

    laptop.sign_out(paths)
    gone = laptop.load_status(paths)
    assert not gone.signed_in and gone.url == ""
    assert status_lines(gone)[0].startswith("Not signed in.")


def test_a_sign_in_kept_in_memory_ends_with_the_app(
    demo_central: Central, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_keyring(*_a: object) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "set_password", no_keyring)
    monkeypatch.setattr(keyring, "get_password", no_keyring)
    paths = AppPaths.from_environment()
    result = laptop.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    assert not result.in_keyring
    assert "kept only until the app closes" in status_lines(laptop.load_status(paths))[0]
    monkeypatch.setattr(tokens, "_memory_tokens", {})  # the app closed and started again
    first, _ = status_lines(laptop.load_status(paths))
    assert "your sign-in ended when the app closed" in first


def test_a_revoked_token_asks_to_sign_in_again(demo_central: Central) -> None:
    from sync.server.accounts import revoke_tokens  # noqa: PLC0415

    paths = AppPaths.from_environment()
    laptop.sign_in(paths, demo_central.url, demo_central.tokens["lead"])
    revoke_tokens(demo_central.db, "lead")
    with pytest.raises(laptop.NotSignedIn, match="sign in again"):
        laptop.sync(paths)
