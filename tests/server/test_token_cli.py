"""The command line on a computer with no password store (CI, a bare server): the token comes
with each command, from `--token-stdin` or REVIEWER_APP_TOKEN, is used for that command, and
is kept nowhere; each step says so in one line. Real processes, a real service on 127.0.0.1,
no session bus (so the keyring library has no backend, as on such a computer). The laptop's
own keys are then wrapped with the passphrase the command is given (REVIEWER_APP_PASSPHRASE).
"""

from __future__ import annotations

from pathlib import Path

from reviewer_app.app.keys import PASSPHRASE_ENV
from tests.conftest import TEST_PASSPHRASE
from tests.keyring_service import machine_env
from tests.server.central_helpers import Central
from tests.server.test_keyring_cli import files_holding, run_app

NOTICE = (
    "reviewer-app: No password store (keyring) on this computer: using the token from {} for"
    " this command only; it is not kept.\n"
)


def test_with_no_keyring_each_command_takes_the_token_and_keeps_it_nowhere(
    demo_central: Central, app_home: Path, tmp_path: Path
) -> None:
    machine = tmp_path / "machine"
    # The laptop's own keys (the sending queue's) are wrapped with a passphrase there.
    env = {**machine_env(machine), PASSPHRASE_ENV: TEST_PASSPHRASE}
    token, url = demo_central.tokens["lead"], demo_central.url

    never = run_app(env, app_home, "sync")
    assert never.returncode == 2 and "run `reviewer-app central sign-in" in never.stderr

    signed_in = run_app(
        env, app_home, "central", "sign-in", "--url", url, "--token-stdin", stdin=token
    )
    assert signed_in.returncode == 0, signed_in.stderr
    assert "as lead" in signed_in.stderr and "the token cannot be kept" in signed_in.stderr
    assert "--token-stdin" in signed_in.stderr and "REVIEWER_APP_TOKEN" in signed_in.stderr

    asked = run_app(env, app_home, "sync")  # the address was kept; the token was not
    assert asked.returncode == 2
    assert asked.stderr.count("\n") == 1 and "no password store (keyring)" in asked.stderr
    assert "--token-stdin" in asked.stderr and "REVIEWER_APP_TOKEN" in asked.stderr

    piped = run_app(env, app_home, "sync", "--token-stdin", stdin=token + "\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == NOTICE.format("--token-stdin")
    assert "1 kit(s) downloaded" in piped.stdout

    from_env = run_app({**env, "REVIEWER_APP_TOKEN": token}, app_home, "sync")
    assert from_env.returncode == 0, from_env.stderr
    assert from_env.stderr == NOTICE.format("REVIEWER_APP_TOKEN")
    assert "0 kit(s) downloaded, 1 up to date" in from_env.stdout

    again = run_app(env, app_home, "sync")  # neither command kept it
    assert again.returncode == 2 and "no password store (keyring)" in again.stderr

    refused = run_app({**env, "REVIEWER_APP_TOKEN": "not-" + token}, app_home, "sync")
    assert refused.returncode == 2
    assert "did not accept the token from REVIEWER_APP_TOKEN" in refused.stderr

    written = {p.relative_to(app_home).as_posix() for p in app_home.rglob("*") if p.is_file()}
    assert {"config/settings.json", "logs/reviewer-app.log", "data/outbox.sqlite"} <= written
    assert url in (app_home / "config" / "settings.json").read_text("utf-8")
    assert files_holding(token, app_home, tmp_path) == []
