"""A desktop a screen reader can read, for tests: Xvfb, a private session bus, and AT-SPI on it.

:func:`running` starts, under the given folder, an X server of its own (``Xvfb -displayfd``
picks a free display), ``dbus-daemon`` with a session bus of its own (as tests/keyring_service.py
does: no service activation, nothing reaches the user's bus) and ``at-spi-bus-launcher``, which
starts the accessibility bus and, when the first reader asks, the AT-SPI registry.
:attr:`Desktop.env` is what an application needs to show its windows there and expose them;
:meth:`Desktop.read` reads an application's accessible tree from the AT-SPI desktop with
tests/atspi_reader.py, run by Debian's ``/usr/bin/python3`` (the GObject bindings for AT-SPI are
Debian packages, not in the virtual environment). Everything stops when the block ends.

:class:`CannotStart` is raised where the X server or a bus cannot start on this machine (a test
skips then); :func:`missing_programs` names what scripts/system-deps.sh has not installed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney.bus_messages import message_bus
from jeepney.io.blocking import Proxy, open_dbus_connection

from tests import keyring_service

SYSTEM_PYTHON = Path("/usr/bin/python3")
BUS_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
READER = Path(__file__).with_name("atspi_reader.py")
START_SECONDS = 10.0
A11Y_BUS = "org.a11y.Bus"  # the launcher's name on the session bus: where apps find AT-SPI


class CannotStart(RuntimeError):
    """The X server or a bus did not start here (the reason is the message)."""


def missing_programs() -> list[str]:
    """What the desktop needs and this machine lacks (scripts/system-deps.sh installs it all)."""
    missing = [p for p in ("Xvfb", "dbus-daemon") if shutil.which(p) is None]
    missing += [str(p) for p in (BUS_LAUNCHER, SYSTEM_PYTHON) if not p.exists()]
    if SYSTEM_PYTHON.exists():
        probe = subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import gi; gi.require_version('Atspi', '2.0')"],
            capture_output=True,
            check=False,
        )
        if probe.returncode != 0:
            missing.append("the AT-SPI bindings for /usr/bin/python3 (gir1.2-atspi-2.0)")
    return missing


@dataclass
class Desktop:
    root: Path
    env: dict[str, str]

    def read(self, pid: int, until: list[str], timeout: float) -> dict[str, Any]:
        """The accessible tree of the application of process ``pid`` once every name in
        ``until`` is in it, or as it is at ``timeout`` (tests/atspi_reader.py says how)."""
        done = subprocess.run(
            [str(SYSTEM_PYTHON), str(READER), f"--pid={pid}", f"--timeout={timeout}"]
            + [f"--until={name}" for name in until],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout + 30,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the AT-SPI reader failed: {done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def log(self) -> str:
        """The end of what the X server and the buses said."""
        try:
            return (self.root / "desktop.log").read_text("utf-8", errors="replace")[-2000:]
        except OSError:
            return "(no log)"


@contextmanager
def running(root: Path) -> Iterator[Desktop]:
    """Xvfb, a session bus and the accessibility bus, for the length of the block."""
    env = keyring_service.machine_env(root)
    desktop = Desktop(root, env)
    (root / "bus.conf").write_text(keyring_service.BUS_CONFIG.format(folder=root / "run"), "utf-8")
    log = open(root / "desktop.log", "wb")  # noqa: SIM115 (closed below, after the daemons)
    started: list[subprocess.Popen[bytes]] = []
    try:
        read_end, write_end = os.pipe()
        try:
            started.append(
                subprocess.Popen(
                    ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1400x900x24"]
                    + ["-nolisten", "tcp"],
                    pass_fds=(write_end,),
                    stdout=log,
                    stderr=log,
                    env=env,
                    start_new_session=True,
                )
            )
            os.close(write_end)
            env["DISPLAY"] = ":" + _first_line(read_end, "Xvfb", desktop)
        finally:
            os.close(read_end)
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={root / 'bus.conf'}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        started.append(bus)
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = _first_line(bus.stdout.fileno(), "dbus-daemon", desktop)
        # The launcher owns org.a11y.Bus on the session bus and starts the accessibility bus
        # (and, through it, the registry) in its own process group: stopped as one below.
        started.append(
            subprocess.Popen(
                [str(BUS_LAUNCHER), "--launch-immediately"],
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
        )
        _wait_for_name(env["DBUS_SESSION_BUS_ADDRESS"], A11Y_BUS, desktop)
        yield desktop
    finally:
        for process in reversed(started):
            _stop_group(process)
        log.close()


def _first_line(fd: int, program: str, desktop: Desktop) -> str:
    """The first line ``program`` writes to ``fd``, within START_SECONDS, or CannotStart."""
    deadline = time.monotonic() + START_SECONDS
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        chunk = os.read(fd, 256) if ready else b""
        if not chunk:
            raise CannotStart(f"{program} did not start: {desktop.log()}")
        data += chunk
    return data.split(b"\n", 1)[0].decode().strip()


def _wait_for_name(address: str, name: str, desktop: Desktop) -> None:
    deadline = time.monotonic() + START_SECONDS
    with closing(open_dbus_connection(bus=address)) as conn:
        bus = Proxy(message_bus, conn)
        while not bus.NameHasOwner(name)[0]:
            if time.monotonic() > deadline:
                raise CannotStart(f"at-spi-bus-launcher did not start: {desktop.log()}")
            time.sleep(0.01)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` and what it started in its process group (its own: started here)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass
    with suppress(ProcessLookupError):  # whatever of the group is still there
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)
    if process.stdout is not None:
        process.stdout.close()
