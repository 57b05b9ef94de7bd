"""The command line's token in a real password store: `reviewer-app central sign-in` keeps it in
gnome-keyring, `reviewer-app sync` in a new process finds it there, `central sign-out` takes it
out. Every command is its own process, as a user runs them, against a real service on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewer_app.central.tokens import KEYRING_SERVICE
from tests.keyring_service import SecretService
from tests.server.central_helpers import Central

ROOT = Path(__file__).resolve().parents[2]


def run_app(
    env: dict[str, str], home: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``reviewer-app ARGS`` in a new process with ``env`` and this REVIEWER_APP_HOME."""
    return subprocess.run(  # noqa: PLW1510 (callers check the exit code themselves)
        [sys.executable, "-m", "reviewer_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**env, "REVIEWER_APP_HOME": str(home)},
        cwd=ROOT,
        timeout=60,
    )


def files_holding(secret: str, *folders: Path) -> list[Path]:
    """Every file under ``folders`` with ``secret``, or the first 12 characters of it, in it."""
    needles = (secret.encode(), secret[:12].encode())
    return [
        path
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
        if any(n in path.read_bytes() for n in needles)
    ]


def test_the_token_signed_in_with_is_kept_in_the_keyring_for_the_next_command(
    demo_central: Central, secret_service: SecretService, app_home: Path, tmp_path: Path
) -> None:
    env, token, url = secret_service.env, demo_central.tokens["lead"], demo_central.url

    signed_in = run_app(
        env, app_home, "central", "sign-in", "--url", url, "--token-stdin", stdin=token + "\n"
    )
    assert signed_in.returncode == 0, signed_in.stderr
    assert "as lead" in signed_in.stdout and "password store (keyring)" in signed_in.stdout
    assert secret_service.lookup(KEYRING_SERVICE, url) == [token]

    synced = run_app(env, app_home, "sync")  # a new process: only the keyring knows the token
    assert synced.returncode == 0, synced.stderr
    assert "1 kit(s) downloaded" in synced.stdout
    assert "token" not in synced.stderr  # nothing to say about where the token came from

    # A token given for one command is that command's: used, and the keyring left as it was.
    other = run_app({**env, "REVIEWER_APP_TOKEN": demo_central.tokens["cns"]}, app_home, "sync")
    assert other.returncode == 0, other.stderr
    assert other.stderr == (
        "reviewer-app: using the token from REVIEWER_APP_TOKEN for this command only;"
        " it is not kept.\n"
    )
    assert secret_service.lookup(KEYRING_SERVICE, url) == [token]

    signed_out = run_app(env, app_home, "central", "sign-out")
    assert signed_out.returncode == 0, signed_out.stderr
    assert secret_service.lookup(KEYRING_SERVICE, url) == []

    after = run_app(env, app_home, "sync")
    assert after.returncode == 2
    assert after.stderr.startswith("reviewer-app: Not signed in")

    written = {p.relative_to(app_home).as_posix() for p in app_home.rglob("*") if p.is_file()}
    assert {"config/settings.json", "logs/reviewer-app.log", "data/outbox.sqlite"} <= written
    for secret in (token, demo_central.tokens["cns"]):
        assert files_holding(secret, app_home, secret_service.root, tmp_path) == []
