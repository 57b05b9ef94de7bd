"""A window's start reads the visit's key straight from the Secret Service (no keyring imported):
the same entry keyring keeps, from a real gnome-keyring; anything out of the ordinary (no
entry, a locked keyring, no bus) is left to keyring, which explains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection

from reviewer_app.app import keys
from reviewer_app.app.secret_service import DEFAULT_COLLECTION, SERVICE_PATH, read_password
from tests.keyring_service import SecretService

ROOT = Path(__file__).resolve().parents[2]
VISIT = "4b1f3c1e-0d7a-4c55-9a57-1f0c2b5d6e7f"


def _keep(service: SecretService, name: str, account: str, secret: str) -> None:
    """What the app does to keep a key: keyring's Secret Service backend, in its own process."""
    code = (
        "import sys, keyring\n"
        "from keyring.backends import SecretService\n"
        "SecretService.Keyring().set_password(*sys.argv[1:4])\n"
    )
    subprocess.run([sys.executable, "-c", code, name, account, secret], check=True, env=service.env)


def test_reads_what_keyring_kept(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    key = "0f" * 32
    _keep(secret_service, "reviewer-app/visit-key", VISIT, key)
    _keep(secret_service, "another/app", VISIT, "ünïcode, and not a key")

    assert read_password("reviewer-app/visit-key", VISIT) == key
    assert read_password("another/app", VISIT) == "ünïcode, and not a key"
    # Not there: keyring is asked (it tells missing from kept elsewhere).
    assert read_password("reviewer-app/visit-key", "someone else") is None


def test_a_locked_keyring_is_left_to_keyring(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    _keep(secret_service, "reviewer-app/visit-key", VISIT, "0f" * 32)
    assert read_password("reviewer-app/visit-key", VISIT) == "0f" * 32
    with open_dbus_connection(bus="SESSION") as conn:
        service = DBusAddress(
            SERVICE_PATH, "org.freedesktop.secrets", "org.freedesktop.Secret.Service"
        )
        conn.send_and_get_reply(
            new_method_call(service, "Lock", "ao", ([DEFAULT_COLLECTION],)), timeout=5
        )
    assert read_password("reviewer-app/visit-key", VISIT) is None  # keyring unlocks (a prompt)


def test_without_a_session_bus_keyring_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert read_password("reviewer-app/visit-key", VISIT) is None
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    assert read_password("reviewer-app/visit-key", VISIT) is None


def test_a_window_start_finds_the_key_without_importing_keyring(
    secret_service: SecretService, tmp_path: Path
) -> None:
    """The first start has keyring find the store (and remembers it); the next reads the key
    from it directly: same key, no keyring imported."""
    env = {**secret_service.env, "REVIEWER_APP_HOME": str(tmp_path / "home")}
    env.pop("REVIEWER_APP_PASSPHRASE", None)
    code = (
        "import json, sys\n"
        "from reviewer_app.app import keys\n"
        "from reviewer_app.app.paths import AppPaths\n"
        "paths = AppPaths.from_environment()\n"
        f"key = keys.visit_key(paths, {VISIT!r}, create=sys.argv[1] == 'create')\n"
        "print(json.dumps([key.hex(), 'keyring' in sys.modules]))\n"
    )

    def start(how: str) -> tuple[str, bool]:
        out = subprocess.run(
            [sys.executable, "-c", code, how],
            check=True,
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        found, imported = json.loads(out.stdout.strip().splitlines()[-1])
        return found, imported

    made, _ = start("create")
    remembered = tmp_path / "home" / "config" / keys.BACKEND_FILE
    assert remembered.read_text("utf-8") == keys.SECRET_SERVICE
    assert secret_service.lookup("reviewer-app/visit-key", VISIT) == [made]
    assert start("open") == (made, False)

    # Another store chosen since (keyring's own setting): keyring is asked again.
    env["PYTHON_KEYRING_BACKEND"] = keys.SECRET_SERVICE
    assert start("open") == (made, True)


def test_the_window_reads_the_key_ahead_in_a_child_process(
    secret_service: SecretService, tmp_path: Path
) -> None:
    """As a window starts (``keys.prefetch``), the key is read by a child process on the other
    core: the same key reaches the window, the window's process never imports the D-Bus and
    cipher libraries, and no child is left behind."""
    env = {**secret_service.env, "REVIEWER_APP_HOME": str(tmp_path / "home")}
    env.pop("REVIEWER_APP_PASSPHRASE", None)
    made = subprocess.run(
        [sys.executable, "-c", _CREATE, VISIT], check=True, env=env, cwd=ROOT, capture_output=True
    )
    code = (
        "import json, os, sys\n"
        "from reviewer_app.app import keys\n"
        "from reviewer_app.app.paths import AppPaths\n"
        "paths = AppPaths.from_environment()\n"
        "keys.prefetch(paths, sys.argv[1])\n"
        "key = keys.visit_key(paths, sys.argv[1])  # (waits for the prefetch)\n"
        "try:\n"
        "    os.waitpid(-1, os.WNOHANG)\n"
        "    left = True\n"
        "except ChildProcessError:\n"
        "    left = False\n"
        "loaded = [m for m in ('jeepney', 'cryptography', 'keyring') if m in sys.modules]\n"
        "print(json.dumps([key.hex(), loaded, left]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, VISIT],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    key, loaded, left = json.loads(out.stdout.strip().splitlines()[-1])
    assert key == made.stdout.decode().strip().splitlines()[-1]
    assert loaded == [] and not left


_CREATE = (
    "import sys\n"
    "from reviewer_app.app import keys\n"
    "from reviewer_app.app.paths import AppPaths\n"
    "print(keys.visit_key(AppPaths.from_environment(), sys.argv[1], create=True).hex())\n"
)
