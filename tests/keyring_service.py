"""A real password store for tests: gnome-keyring's Secret Service on a private D-Bus bus.

:func:`running` starts ``dbus-daemon`` with a session bus of its own (no service activation, so
nothing else starts on it and nothing reaches the user's own bus) and ``gnome-keyring-daemon
--unlock``, which makes and unlocks a login keyring with the password it reads on stdin, in a
HOME under the given folder. :attr:`SecretService.env` is what a subprocess needs to find it,
as on a desktop (the keyring library picks its SecretService backend by itself);
:meth:`SecretService.lookup` reads an item straight from the service, not through the app.
:func:`machine_env` is a computer with no keyring at all. Both stop when the block ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import secretstorage
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection

PROGRAMS = ("dbus-daemon", "gnome-keyring-daemon")
SECRETS = "org.freedesktop.secrets"
LOGIN_PASSWORD = b"reviewer-app-tests"
START_SECONDS = 10.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_programs() -> list[str]:
    return [p for p in PROGRAMS if shutil.which(p) is None]


def machine_env(root: Path) -> dict[str, str]:
    """The environment of a computer with its own HOME (and XDG folders, and temporary folder)
    under ``root``, no session bus and so no keyring: what CI is."""
    home = root / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(root / "run"),  # empty: no bus at $XDG_RUNTIME_DIR/bus
        "TMPDIR": str(root / "tmp"),
    }
    for folder in (home, root / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    (root / "run").mkdir(mode=0o700, exist_ok=True)
    return env


@dataclass
class SecretService:
    root: Path
    address: str
    env: dict[str, str]

    def lookup(self, service: str, username: str) -> list[str]:
        """The secrets kept for ``service`` and ``username``, as the keyring library files them."""
        with closing(open_dbus_connection(bus=self.address)) as conn:
            items = secretstorage.search_items(conn, {"service": service, "username": username})
            return [item.get_secret().decode("utf-8") for item in items]


@contextmanager
def running(root: Path) -> Iterator[SecretService]:
    """A Secret Service with an unlocked login keyring, for the length of the block."""
    env = machine_env(root)
    (root / "bus.conf").write_text(BUS_CONFIG.format(folder=root / "run"), "utf-8")
    log = open(root / "daemons.log", "wb")  # noqa: SIM115 (closed below, after both daemons)
    started: list[subprocess.Popen[bytes]] = []
    try:
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={root / 'bus.conf'}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
        started.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            raise RuntimeError(f"dbus-daemon did not start: {_tail(root)}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        keyring_daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            env=env,
        )
        started.append(keyring_daemon)
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write(LOGIN_PASSWORD)  # the login keyring's password, then EOF
        keyring_daemon.stdin.close()
        _wait_until_unlocked(address, root)
        yield SecretService(root, address, env)
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        log.close()


def _wait_until_unlocked(address: str, root: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    with closing(open_dbus_connection(bus=address)) as conn:
        bus = Proxy(message_bus, conn)
        while not bus.NameHasOwner(SECRETS)[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gnome-keyring-daemon did not start: {_tail(root)}")
            time.sleep(0.01)
        if secretstorage.get_default_collection(conn).is_locked():
            raise RuntimeError(f"the login keyring is locked: {_tail(root)}")


def _tail(root: Path) -> str:
    try:
        return (root / "daemons.log").read_text("utf-8", errors="replace")[-2000:]
    except OSError:
        return "(no log)"
