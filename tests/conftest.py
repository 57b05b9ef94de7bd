"""Test set-up shared by every test.

- Qt runs offscreen (no display in CI).
- The OS keyring is replaced by an in-memory backend in this process; ``secret_service`` is a
  real one (gnome-keyring) for the app's subprocesses (tests/keyring_service.py). Every visit
  key leaves memory after each test. ``wrapped_keys``: visit keys wrapped with a passphrase in
  files, as with no keyring (subprocesses get ``REVIEWER_APP_PASSPHRASE``).
- Every folder the app writes goes to a fresh temporary ``REVIEWER_APP_HOME``.
- The demo kit is built once a session (``demo_kit_file``); ``open_demo_session`` opens it as a
  member under the test's own ``REVIEWER_APP_HOME`` and closes what it opened; ``session`` is
  the demo visit opened as m-cns (a module may define its own ``session`` instead).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")

import keyring  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402
from keyring.errors import KeyringLocked  # noqa: E402

from reviewer_app.app.keys import PASSPHRASE_ENV  # noqa: E402
from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.demo.kits import build_demo_kit  # noqa: E402
from reviewer_app.visit.session import VisitSession  # noqa: E402
from reviewer_app.visit.workspaces import open_kit, open_session  # noqa: E402
from storage import visit_keys  # noqa: E402
from tests import keyring_service  # noqa: E402

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


TEST_PASSPHRASE = "a passphrase only the tests know"


class MemoryKeyring(KeyringBackend):
    """A keyring that forgets everything when the process ends. ``refused``: services it
    behaves as a locked keyring for (the ``wrapped_keys`` fixture)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.refused: set[str] = set()

    def get_password(self, service: str, username: str) -> str | None:
        if service in self.refused:
            raise KeyringLocked("the test keyring refuses this service")
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if service in self.refused:
            raise KeyringLocked("the test keyring refuses this service")
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Keys and tokens kept in memory, in this process only. A subprocess of the app has no
    keyring: it reads a visit's key from its wrapped file with ``REVIEWER_APP_PASSPHRASE``
    (see ``wrapped_keys``). Every key held in memory is dropped after the test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv(PASSPHRASE_ENV, TEST_PASSPHRASE)
    yield backend
    keyring.set_keyring(previous)
    visit_keys.lock()


@pytest.fixture
def wrapped_keys(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    """Visit keys wrapped with ``TEST_PASSPHRASE`` in files beside the workspaces, as on a
    laptop with no keyring: for tests whose subprocesses open visits the test made in this
    process (or the other way round). scrypt's cost is lowered (the file records it)."""
    memory_keyring.refused.add(visit_keys.SERVICE)
    monkeypatch.setattr(visit_keys, "SCRYPT_N", 2**10)
    return memory_keyring


@pytest.fixture(autouse=True)
def app_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh REVIEWER_APP_HOME for every test: no test sees another's files or the user's
    (nor the settings another test's process-wide copy holds)."""
    from reviewer_app.app.settings import Settings  # noqa: PLC0415

    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("REVIEWER_APP_HOME", str(home))
    yield home
    Settings.forget_shared()


@pytest.fixture(scope="session")
def demo_kit_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo kit, built once for the whole test session (tests only read it)."""
    out = tmp_path_factory.mktemp("demo-kit") / "demo.rvkit"
    build_demo_kit(out)
    return out


@pytest.fixture
def open_demo_session(demo_kit_file: Path, app_home: Path) -> Iterator[Callable[..., VisitSession]]:
    """``open_demo_session(member="m-cns")``: the demo kit opened as ``member`` in this test's
    REVIEWER_APP_HOME; every session it opened is closed when the test ends."""
    opened: list[VisitSession] = []

    def open_(member: str = "m-cns") -> VisitSession:
        paths = AppPaths.from_environment()
        visit_id = open_kit(demo_kit_file, member, paths=paths, demo=True).visit_id
        session = open_session(paths, visit_id).result(timeout=30)
        opened.append(session)
        return session

    yield open_
    for session in reversed(opened):
        session.close()


@pytest.fixture
def session(open_demo_session: Callable[..., VisitSession]) -> VisitSession:
    """The demo visit opened as m-cns (sub-team A), closed when the test ends."""
    return open_demo_session()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``small_disk("8k")``: a tmpfs of that size mounted for the test, as full as a laptop at
    the end of a long visit (root only; the test is skipped with the reason where mounting is
    not allowed). Unmounted afterwards."""
    import subprocess  # noqa: PLC0415

    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"small-{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip() or 'not root'}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def secret_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[keyring_service.SecretService]:
    """A real password store for subprocesses: gnome-keyring on a private session bus, with an
    unlocked login keyring in a HOME of its own (``secret_service.env``), stopped afterwards.
    Skipped, with the reason, where gnome-keyring is not installed; under CI, where
    scripts/system-deps.sh installs it, its absence fails the test instead."""
    missing = keyring_service.missing_programs()
    if missing:
        reason = f"{' and '.join(missing)} not installed (`bash scripts/system-deps.sh` adds them)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test with a real keyring: {reason}")
        pytest.skip(reason)
    with keyring_service.running(tmp_path_factory.mktemp("keyring")) as service:
        yield service
