"""This process's keys: every visit's, the staff store's, the staff signing key's, the outbox's.

One ``VisitKeys`` (``storage.visit_keys``) per process, with whoever can be asked for the
passphrase when there is no usable keyring: the window installs its dialog
(``set_passphrase_asker``); a command line asks on the terminal, or reads
``REVIEWER_APP_PASSPHRASE`` (for scripts on a computer without a keyring), or, with neither,
stops with ``PassphraseNeeded``'s sentence.

    key = visit_key(paths, visit_id)               # an existing visit's (cached until lock())
    key = visit_key(paths, visit_id, create=True)  # a kit opened: the visit's key, new if none
    key = laptop_key(paths, STAFF_STORE)           # the laptop's own files: made on first use
    lock()                                         # Ctrl+L, idle, `visit lock`
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from storage import visit_keys
from storage.files import temp_leftovers, write_atomic
from storage.visit_keys import (
    DEVICE_KEY,
    OUTBOX,
    STAFF_SIGNING_KEY,
    STAFF_STORE,
    AskPassphrase,
    KeyMissing,
    KeyringUnavailable,
    PassphraseRequest,
    VisitKeyError,
    VisitKeys,
    WrongPassphrase,
)

__all__ = [
    "DEVICE_KEY",
    "OUTBOX",
    "KeyLost",
    "PASSPHRASE_ENV",
    "PassphraseRequest",
    "VisitKeyError",
    "STAFF_SIGNING_KEY",
    "STAFF_STORE",
    "describe",
    "is_locked",
    "keys",
    "fetching_ahead",
    "prefetch",
    "prepare_password_store",
    "laptop_key",
    "laptop_key_in",
    "lock",
    "set_passphrase_asker",
    "visit_key",
]

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "REVIEWER_APP_PASSPHRASE"


class KeyLost(VisitKeyError):
    """A kit opened for a visit whose folder holds files under a key that is gone."""

    def __init__(self, account: str, folder: Path) -> None:
        super().__init__(
            f"The key of {visit_keys.describe(account)} is not in this computer's password "
            f"store (keyring), and its folder {folder} holds what that key encrypted: move "
            "that folder aside, then open the kit again and import the team's bundles (work "
            "not yet in a bundle is lost with the key)."
        )
        self.account, self.folder = account, folder


_asker: list[AskPassphrase | None] = [None]
_guard = threading.Lock()


def set_passphrase_asker(ask: AskPassphrase | None) -> None:
    """Who is asked for the passphrase from now on (the window's dialog); ``None``: the
    command line's way (``REVIEWER_APP_PASSPHRASE``, then the terminal)."""
    _asker[0] = ask


def keys() -> VisitKeys:
    return VisitKeys(ask_passphrase=_asker[0] or _ask_headless)


def visit_key(paths: AppPaths, visit_id: str, *, create: bool = False) -> bytes:
    """The key of ``visit_id``; with ``create``, a new one when none is kept (a kit opened for
    a visit this laptop may already have: its key is kept, never replaced). Raises a
    ``storage.visit_keys.VisitKeyError`` with a sentence."""
    return _get(visit_id, paths.visit_folder(visit_id), create=create, config=paths.config)


def laptop_key(paths: AppPaths, account: str) -> bytes:
    """The key of one of the laptop's own files (``STAFF_STORE``, ``STAFF_SIGNING_KEY``,
    ``OUTBOX``, ``DEVICE_KEY``), made on first use, kept like a visit's (wrapped in
    ``paths.data / account``'s folder when there is no keyring)."""
    return _get(account, paths.data / "keys" / account, create=True, config=paths.config)


def laptop_key_in(data: Path, account: str) -> bytes:
    """``laptop_key`` of the installation whose data folder is ``data`` (what holds a
    workspace knows its data folder, not its ``AppPaths``)."""
    return _get(account, data / "keys" / account, create=True, config=None)


def _get(account: str, folder: Path, *, create: bool, config: Path | None) -> bytes:
    """``config``: the config folder, where the password store found last time is remembered
    (None: keyring finds it)."""
    chain = VisitKeys(ask_passphrase=_asker[0] or _ask_headless, read=_reader(config))
    with _guard:  # two threads creating one visit's key would make two
        try:
            return chain.get(account, folder)
        except (KeyMissing, KeyringUnavailable) as exc:
            # No keyring at all says "unavailable" for a key never made: a new one is made
            # only where nothing it would lock away exists yet (no file made with a key).
            if not create:
                raise
            if _holds_encrypted_files(folder):
                if isinstance(exc, KeyMissing):
                    raise KeyLost(account, folder) from exc
                raise
            folder.mkdir(parents=True, exist_ok=True)
            if config is not None:
                _prepare_once(config)
            return chain.create(account, folder)


def _holds_encrypted_files(folder: Path) -> bool:
    """Whether ``folder`` already holds what a key encrypted (a workspace, blobs): a key made
    now would not open it. What a write of the key file killed half way left behind (its
    temporary file: no key was kept) is not such a file: it is removed."""
    if not folder.is_dir():
        return False
    for leftover in temp_leftovers(visit_keys.key_file(folder)):
        leftover.unlink(missing_ok=True)
    return any(entry.name != visit_keys.KEY_FILE for entry in folder.iterdir())


# -- the password store, ready before it is needed ------------------------------------------

_ahead: list[str] = []  # the visit whose key ``prefetch`` is fetching
_prepared: list[Path] = []  # the config folder whose password store was made ready
BACKEND_FILE = "password-store"  # in the config folder: the keyring backend found last time
_OWN_SEARCH = ("keyring.backends.fail.", "keyring.backends.null.", "keyring.backends.chainer.")
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


def prepare_password_store(paths: AppPaths) -> None:
    """Have the keyring's backend chosen. keyring finds it by loading every backend it knows
    (some 150 ms of a window's start here): the one it found last time is remembered in the
    config folder and loaded straight away, as long as it still answers; otherwise keyring
    searches again. Left to keyring when the user chose one (``PYTHON_KEYRING_BACKEND``, its
    own config file) and when one is set already (the tests')."""
    _prepare(paths.config)


def _prepare(config: Path) -> None:
    import keyring  # noqa: PLC0415 (start-up: only when a key is wanted)

    if (
        getattr(keyring.core, "_keyring_backend", None) is not None
        or os.environ.get("PYTHON_KEYRING_BACKEND")
        or _keyring_config_file().exists()
    ):
        return
    remembered = config / BACKEND_FILE
    with contextlib.suppress(OSError, UnicodeDecodeError):
        name = remembered.read_text("utf-8").strip()
        if name.startswith("keyring.backends."):
            try:
                backend = keyring.core.load_keyring(name)
                if backend.priority > 0:  # (a backend that cannot work here raises or says 0)
                    keyring.set_keyring(backend)
                    return
            except Exception as exc:  # gone, or no longer works here: search again
                log.info("the remembered password store %s: %s", name, type(exc).__name__)
    found = keyring.get_keyring()
    name = f"{type(found).__module__}.{type(found).__qualname__}"
    if name.startswith("keyring.backends.") and not name.startswith(_OWN_SEARCH):
        with contextlib.suppress(OSError):
            remembered.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(remembered, name.encode("utf-8"))


def _keyring_config_file() -> Path:
    """keyring's own configuration file (``keyring.util.platform_.config_root()``, without
    importing keyring: its location on Linux, the only system read directly)."""
    if sys.platform.startswith("linux"):
        root = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
        return Path(root) / "python_keyring" / "keyringrc.cfg"
    from keyring.util import platform_ as keyring_folders  # noqa: PLC0415

    return Path(keyring_folders.config_root()) / "keyringrc.cfg"


def _prepare_once(config: Path) -> None:
    """``_prepare`` the first time keyring is wanted (called with ``_guard`` held)."""
    if not _prepared:
        _prepared.append(config)
        try:
            _prepare(config)
        except Exception as exc:  # keyring's own search happens at the first key instead
            log.info("the password store is not ready ahead (%s)", type(exc).__name__)


def _reader(
    config: Path | None, read_ahead: dict[tuple[str, str], Callable[[], str | None]] | None = None
) -> visit_keys.ReadKeyring | None:
    """How a key is read before keyring is asked: straight from the Secret Service when that
    is the store keyring found last time (``secret_service``: no keyring imported, a quarter
    of a second of a window's start), or from ``read_ahead`` (``_read_in_child``); else
    keyring, made ready first (``_prepare_once``)."""
    if config is None:
        return None

    def read(service: str, account: str) -> str | None:
        if _reads_directly(config):
            answer = (read_ahead or {}).pop((service, account), None)
            if answer is not None:
                found = answer()
            else:
                from reviewer_app.app import secret_service  # noqa: PLC0415

                found = secret_service.read_password(service, account)
            if found is not None:
                return found
        _prepare_once(config)  # keyring is asked next
        return None

    return read


def _read_in_child(service: str, account: str) -> Callable[[], str | None] | None:
    """The Secret Service read in a child process forked now; the answer, got by calling what
    this returns (it waits for the child, once). None where that cannot be done safely.

    As a window starts, reading the key in this process costs some 15-20 ms of the GIL
    (importing jeepney and cryptography, the D-Bus exchange) while the main thread imports
    the window's modules: the two wait on each other on one core. A child forked before any
    other thread or Qt exists does it on the other core, and hands back only the answer, by a
    pipe (only these two processes hold its ends); it ends with ``os._exit`` (no exit hooks,
    none of this process's buffers written twice). Linux only, where the Secret Service is
    read directly; with another thread already running a fork is not safe, and the key is
    read in this process as before.
    """
    if sys.platform != "linux" or threading.active_count() != 1:
        return None
    readable, writable = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        return None
    if pid == 0:  # the child: read, answer, end
        code = 1
        try:
            os.close(readable)
            from reviewer_app.app import secret_service  # noqa: PLC0415

            found = secret_service.read_password(service, account)
            reply = memoryview(b"-" if found is None else b"+" + found.encode("utf-8"))
            while reply:
                reply = reply[os.write(writable, reply) :]
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    done: list[str | None] = []

    def answer() -> str | None:
        if not done:
            chunks = []
            try:
                while chunk := os.read(readable, 4096):
                    chunks.append(chunk)
            finally:
                os.close(readable)
                os.waitpid(pid, 0)
            data = b"".join(chunks)
            done.append(data[1:].decode("utf-8") if data[:1] == b"+" else None)
        return done[0]

    return answer


def _reads_directly(config: Path) -> bool:
    """Whether the key may be read from the Secret Service without keyring: keyring found it
    last time (remembered in ``config``), and nobody chose another store since (keyring's
    environment variables, its config file, a backend set in this process)."""
    if any(name == "PYTHON_KEYRING_BACKEND" or "KEYRING_PROPERTY_" in name for name in os.environ):
        return False
    core = sys.modules.get("keyring.core")
    chosen = getattr(core, "_keyring_backend", None) if core is not None else None
    if chosen is not None and f"{type(chosen).__module__}.{type(chosen).__qualname__}" != (
        SECRET_SERVICE
    ):
        return False
    try:
        remembered = (config / BACKEND_FILE).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return False
    return remembered == SECRET_SERVICE and not _keyring_config_file().exists()


def prefetch(paths: AppPaths, visit_id: str | None) -> None:
    """On a thread of its own, as a window starts: the key of the visit about to open fetched
    (into memory, where ``visit_key`` finds it), or, with no visit to open, the password store
    made ready, while the window is being built. Never asks for a passphrase: without a
    keyring the window asks. Read straight from the Secret Service, the key is read by a child
    process forked here (``_read_in_child``), on the other core."""
    read_ahead: dict[tuple[str, str], Callable[[], str | None]] = {}
    if visit_id and _reads_directly(paths.config):
        answer = _read_in_child(visit_keys.SERVICE, visit_id)
        if answer is not None:
            read_ahead[(visit_keys.SERVICE, visit_id)] = answer

    def fetch() -> None:
        try:
            if visit_id:
                chain = VisitKeys(ask_passphrase=None, read=_reader(paths.config, read_ahead))
                chain.get(visit_id, paths.visit_folder(visit_id))
            else:
                _prepare_once(paths.config)
        except Exception as exc:  # no key here, no keyring: the window finds out, and says
            log.info("no key fetched ahead (%s)", type(exc).__name__)
        finally:
            for unused in read_ahead.values():  # (the child waited for, whatever happened)
                with contextlib.suppress(Exception):
                    unused()
            _ahead.clear()
            _guard.release()

    # Taken here: whoever asks for a key meanwhile waits for this one (and for the store).
    _guard.acquire()
    _ahead[:] = [visit_id] if visit_id else []
    threading.Thread(target=fetch, name="key-prefetch", daemon=True).start()


def fetching_ahead(visit_id: str) -> bool:
    """Whether ``prefetch`` is still fetching this visit's key: then the GUI thread need not
    wait for it (a worker asking for the key waits, and is asked a passphrase through the
    window's dialog if the key cannot be had without one)."""
    return _guard.locked() and visit_id in _ahead


describe = visit_keys.describe
is_locked = visit_keys.is_locked


def lock() -> None:
    """Every key (and the session's passphrase) leaves this process's memory."""
    visit_keys.lock()


def _ask_headless(request: PassphraseRequest) -> str | None:
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        if request.retry:  # the script's passphrase was wrong: say so (asking again is useless)
            raise WrongPassphrase(request.account)
        return given
    if not (sys.stdin and sys.stdin.isatty()):
        return None
    import getpass  # noqa: PLC0415 (a terminal's prompt: kept off the window's start)

    what = visit_keys.describe(request.account)
    if request.new:
        first = getpass.getpass(
            f"There is no password store (keyring) here: choose a passphrase for {what}: "
        )
        if not first or getpass.getpass("Type it again: ") != first:
            print("The two passphrases differ; nothing was changed.", file=sys.stderr)
            return None
        return first
    prompt = "That passphrase was wrong. " if request.retry else ""
    return getpass.getpass(f"{prompt}Passphrase for {what}: ") or None
