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

import getpass
import os
import sys
import threading
from pathlib import Path

from reviewer_app.app.paths import AppPaths
from storage import visit_keys
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
    "laptop_key",
    "laptop_key_in",
    "lock",
    "set_passphrase_asker",
    "visit_key",
]

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
    folder = paths.visit_folder(visit_id)
    return _get(visit_id, folder, create=create)


def laptop_key(paths: AppPaths, account: str) -> bytes:
    """The key of one of the laptop's own files (``STAFF_STORE``, ``STAFF_SIGNING_KEY``,
    ``OUTBOX``, ``DEVICE_KEY``), made on first use, kept like a visit's (wrapped in
    ``paths.data / account``'s folder when there is no keyring)."""
    return laptop_key_in(paths.data, account)


def laptop_key_in(data: Path, account: str) -> bytes:
    """``laptop_key`` of the installation whose data folder is ``data`` (what holds a
    workspace knows its data folder, not its ``AppPaths``)."""
    return _get(account, data / "keys" / account, create=True)


def _get(account: str, folder: Path, *, create: bool) -> bytes:
    chain = keys()
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
            return chain.create(account, folder)


def _holds_encrypted_files(folder: Path) -> bool:
    """Whether ``folder`` already holds what a key encrypted (a workspace, blobs): a key made
    now would not open it."""
    return folder.is_dir() and any(
        entry.name not in (visit_keys.KEY_FILE,) for entry in folder.iterdir()
    )


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
