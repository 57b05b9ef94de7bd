"""The key that encrypts a visit's workspace, blobs and backups (or the staff store, or the
staff signing key): one random 256-bit key each, kept in the OS keyring, or, on a computer
without one, wrapped by a passphrase in a small file beside what it encrypts.

    keys = VisitKeys(ask_passphrase=dialog)       # dialog(request) -> str | None
    key = keys.create(visit_id, folder)           # a new visit: a new key, kept
    key = keys.get(visit_id, folder)              # every later open (cached until lock())
    lock()                                        # Ctrl+L, idle: every key leaves memory

In the keyring: service ``SERVICE``, user name the visit id (``STAFF_STORE``,
``STAFF_SIGNING_KEY`` for the staff's two), the key as 64 hex digits. With no usable keyring
(none installed, locked, broken) the key is wrapped: scrypt (n=2^15, r=8, p=1, ~0.3 s here;
the file records its parameters) derives a key from the passphrase and a random salt, and
AES-256-GCM seals the visit key with the file's other fields as associated data, in
``<folder>/visit-key.json`` (mode 0600). The passphrase is asked for through the caller's
``ask_passphrase`` (no UI here) and kept in memory for the session, so that several visits
wrapped with it are asked for once; ``lock()`` forgets it with the keys.

What can go wrong each has its exception with one sentence (``VisitKeyError``): the keyring
cannot be reached, the key is missing (a keyring reset), the key kept is damaged, the
passphrase is wrong (with the way back when it is forgotten: the visit can be opened again
from its kit and the team's bundles), no passphrase given. Imports nothing of ours but
``storage.files``.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.files import write_atomic

log = logging.getLogger(__name__)

SERVICE = "reviewer-app/visit-key"
STAFF_STORE = "staff-store"
STAFF_SIGNING_KEY = "staff-signing-key"
OUTBOX = "outbox"
DEVICE_KEY = "device-key"
KEY_FILE = "visit-key.json"
KEY_BYTES = 32
FORMAT = "reviewer-app wrapped key"
VERSION = 1
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_MAX_SCRYPT_N = 2**20  # a file asking for more is damaged (or hostile), not obeyed
ATTEMPTS = 3
WAY_BACK = (
    "If it is forgotten, the visit can be opened again from its kit and the team's bundles "
    "(export a bundle whenever you can: work not yet in one cannot be recovered without it)."
)


class VisitKeyError(Exception):
    """The key cannot be had; the message is one sentence that says what to do."""


class KeyringUnavailable(VisitKeyError):
    def __init__(self, account: str, reason: str) -> None:
        super().__init__(
            f"The password store (keyring) that keeps the key of {_name(account)} cannot be "
            f"reached ({reason}): unlock it, or sign in to the desktop, and try again. If "
            "this computer has no password store and the key was kept in a key file beside the "
            "visit that is gone, it can be opened again from its kit and the team's bundles "
            "(work not yet in a bundle is lost with the key)."
        )
        self.account = account


class KeyMissing(VisitKeyError):
    def __init__(self, account: str) -> None:
        super().__init__(
            f"The key of {_name(account)} is not in this computer's password store (keyring), "
            "so it cannot be opened here; it can be opened again from its kit and the team's "
            "bundles (work not yet in a bundle is lost with the key)."
        )
        self.account = account


class KeyDamaged(VisitKeyError):
    def __init__(self, account: str, where: str) -> None:
        super().__init__(
            f"The key of {_name(account)} kept in {where} is damaged, so it cannot be opened "
            "here; it can be opened again from its kit and the team's bundles (work not yet in "
            "a bundle is lost with the key)."
        )
        self.account, self.where = account, where


class WrongPassphrase(VisitKeyError):
    def __init__(self, account: str) -> None:
        super().__init__(f"That passphrase does not open {_name(account)}. {WAY_BACK}")
        self.account = account


class PassphraseNeeded(VisitKeyError):
    def __init__(self, account: str) -> None:
        super().__init__(
            f"{_name(account)[0].upper()}{_name(account)[1:]} stays locked: "
            "it needs its passphrase to be opened."
        )
        self.account = account


def describe(account: str) -> str:
    """How the account is named in a sentence: \"visit V\", \"the staff store\"..."""
    return _name(account)


_LAPTOP_NAMES = {
    STAFF_STORE: "the staff workspace",
    STAFF_SIGNING_KEY: "the staff signing key",
    OUTBOX: "the outbox of findings waiting to be sent",
    DEVICE_KEY: "this laptop's device key",
}


def _name(account: str) -> str:
    return _LAPTOP_NAMES.get(account, f"visit {account}")


@dataclass(frozen=True, slots=True)
class PassphraseRequest:
    """What the dialog asks: ``new`` (choose one: ask twice), ``retry`` (the last one was wrong)."""

    account: str
    new: bool
    retry: bool = False


AskPassphrase = Callable[[PassphraseRequest], str | None]
"""Returns the passphrase typed, or None when the person cancelled."""

ReadKeyring = Callable[[str, str], str | None]
"""``read(service, account)``: a quicker way to the keyring's entry, tried first (the window's
start: ``reviewer_app.app.secret_service``); None when it cannot tell: keyring is asked."""

_lock = threading.Lock()
_keys: dict[tuple[str, str, str], bytearray] = {}  # (service, account, folder)
_passphrase: list[str] = []  # the session's, once one opened a key


def lock() -> None:
    """Drop every key and the session's passphrase from this process's memory (the key bytes
    are overwritten; copies a caller made are the caller's to drop)."""
    with _lock:
        for key in _keys.values():
            key[:] = bytes(len(key))
        _keys.clear()
        _passphrase.clear()


def is_locked() -> bool:
    """True when no key is held in memory."""
    with _lock:
        return not _keys


class VisitKeys:
    """Keys kept in the keyring under ``service``, or wrapped beside what they encrypt."""

    def __init__(
        self,
        ask_passphrase: AskPassphrase | None = None,
        *,
        service: str = SERVICE,
        read: ReadKeyring | None = None,
    ) -> None:
        self.ask_passphrase = ask_passphrase
        self.service = service
        self.read = read

    def create(self, account: str, folder: Path) -> bytes:
        """A new random key for ``account``, kept in the keyring, or wrapped with a passphrase
        in ``folder`` when there is no usable keyring: the session's passphrase, or a new one
        asked for (``new=True``). Never replaces a key already kept (that would lose what it
        encrypts): ``FileExistsError`` then; ``get`` it instead."""
        if self._kept_somewhere(account, folder):
            raise FileExistsError(f"a key is already kept for {_name(account)}; it is not replaced")
        key = os.urandom(KEY_BYTES)
        if not self._keep_in_keyring(account, key):
            with _lock:
                session = list(_passphrase)
            # The session's passphrase when there is one: one passphrase for every visit.
            passphrase = session[0] if session else self._passphrase(account, new=True)
            write_key_file(key_file(folder), account, key, passphrase)
        self._remember(account, folder, key)
        return key

    def get(self, account: str, folder: Path) -> bytes:
        """The key of ``account``: from memory, the keyring, or the wrapped file in ``folder``
        (asking for the passphrase up to ``ATTEMPTS`` times). Raises a ``VisitKeyError``."""
        with _lock:
            cached = _keys.get((self.service, account, _where(folder)))
            if cached is not None:
                return bytes(cached)
        wrapped = key_file(folder)
        keyring_problem = ""
        try:
            kept = self.read(self.service, account) if self.read is not None else None
            if kept is None:
                kept = _keyring().get_password(self.service, account)
        except Exception as exc:  # NoKeyringError, a locked or broken keyring: all the same here
            log.warning("cannot read the keyring (%s)", type(exc).__name__)
            kept, keyring_problem = None, _keyring_reason(exc)
        if kept is not None:
            key = _from_hex(kept, account)
        elif wrapped.exists():
            key = self._unwrap(account, wrapped)
        elif keyring_problem:
            raise KeyringUnavailable(account, keyring_problem)
        else:
            raise KeyMissing(account)
        self._remember(account, folder, key)
        return key

    def forget(self, account: str, folder: Path) -> None:
        """Remove the key everywhere (the visit was removed from this laptop)."""
        with _lock:
            cached = _keys.pop((self.service, account, _where(folder)), None)
            if cached is not None:
                cached[:] = bytes(len(cached))
        try:
            _keyring().delete_password(self.service, account)
        except Exception as exc:  # not there, or no keyring: nothing to remove
            log.info("keyring: nothing removed (%s)", type(exc).__name__)
        key_file(folder).unlink(missing_ok=True)

    def _kept_somewhere(self, account: str, folder: Path) -> bool:
        if key_file(folder).exists():
            return True
        try:
            return _keyring().get_password(self.service, account) is not None
        except Exception:  # no usable keyring: nothing kept there
            return False

    def _keep_in_keyring(self, account: str, key: bytes) -> bool:
        keyring = _keyring()
        try:
            keyring.set_password(self.service, account, key.hex())
            if keyring.get_password(self.service, account) == key.hex():
                return True
            log.warning("the keyring did not keep the key; wrapping it with a passphrase")
        except Exception as exc:  # NoKeyringError, a locked or broken keyring: all the same here
            log.warning("no usable keyring (%s); wrapping the key", type(exc).__name__)
        return False

    def _remember(self, account: str, folder: Path, key: bytes) -> None:
        with _lock:
            _keys[(self.service, account, _where(folder))] = bytearray(key)

    def _passphrase(self, account: str, *, new: bool, retry: bool = False) -> str:
        if self.ask_passphrase is None:
            raise PassphraseNeeded(account)
        given = self.ask_passphrase(PassphraseRequest(account, new=new, retry=retry))
        if not given:
            raise PassphraseNeeded(account)
        if new:
            with _lock:
                _passphrase[:] = [given]
        return given

    def _unwrap(self, account: str, path: Path) -> bytes:
        wrapped = read_key_file(path, account)
        with _lock:
            session = list(_passphrase)
        for passphrase in session:  # the session's passphrase first: no question asked
            key = wrapped.open(passphrase)
            if key is not None:
                return key
        for attempt in range(ATTEMPTS):
            passphrase = self._passphrase(account, new=False, retry=attempt > 0 or bool(session))
            key = wrapped.open(passphrase)
            if key is not None:
                with _lock:
                    _passphrase[:] = [passphrase]
                return key
        raise WrongPassphrase(account)


def _where(folder: Path) -> str:
    """The cache's name for a folder: two copies of the app's data on one computer (two
    people's, or a test's laptops) each have their own visits' keys."""
    return os.path.abspath(folder)


def key_file(folder: Path) -> Path:
    """Where a key wrapped with a passphrase is kept for what ``folder`` holds."""
    return Path(folder) / KEY_FILE


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A key file's content: the fields sealed as associated data, the nonce and the sealed key."""

    fields: dict[str, Any]
    salt: bytes
    nonce: bytes
    sealed: bytes

    def open(self, passphrase: str) -> bytes | None:
        """The key, or None when ``passphrase`` is not the one it was wrapped with."""
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415 (start-up time)
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

        kdf = self.fields["kdf"]
        wrapping = _derive(passphrase, self.salt, kdf["n"], kdf["r"], kdf["p"])
        try:
            return AESGCM(wrapping).decrypt(self.nonce, self.sealed, _aad(self.fields))
        except InvalidTag:
            return None


def write_key_file(
    path: Path, account: str, key: bytes, passphrase: str, *, n: int | None = None
) -> None:
    """Wrap ``key`` with ``passphrase`` into the new file ``path`` (whole or not at all, mode
    0600; ``FileExistsError`` when it is there: a kept key is never replaced);
    ``n``: scrypt's cost (``SCRYPT_N`` unless given)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    n = SCRYPT_N if n is None else n
    salt, nonce = os.urandom(16), os.urandom(12)
    fields: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "account": account,
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
    }
    sealed = AESGCM(_derive(passphrase, salt, n, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, key, _aad(fields)
    )
    document = {**fields, "nonce": _b64(nonce), "wrapped_key": _b64(sealed)}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(document, indent=1) + "\n").encode(), mode=0o600, exclusive=True)


def read_key_file(path: Path, account: str) -> WrappedKey:
    """The wrapped key in ``path``; ``KeyDamaged`` when the file is not one, or not this
    account's."""
    where = f"the key file {path}"
    try:
        document = json.loads(path.read_bytes())
        fields = {k: document[k] for k in ("format", "version", "account", "kdf", "cipher")}
        kdf = fields["kdf"]
        checks = (
            fields["format"] == FORMAT,
            fields["version"] == VERSION,
            fields["account"] == account,
            fields["cipher"] == "AES-256-GCM",
            kdf["name"] == "scrypt",
            all(isinstance(kdf[k], int) and not isinstance(kdf[k], bool) for k in "nrp"),
        )
        if not all(checks):
            raise ValueError("not this account's key file")
        salt, nonce = _unb64(kdf["salt"]), _unb64(document["nonce"])
        sealed = _unb64(document["wrapped_key"])
        sane = (
            2 <= kdf["n"] <= _MAX_SCRYPT_N and kdf["n"] & (kdf["n"] - 1) == 0,
            1 <= kdf["r"] <= 32 and 1 <= kdf["p"] <= 16,
            len(salt) >= 16 and len(nonce) == 12 and len(sealed) == KEY_BYTES + 16,
        )
        if not all(sane):
            raise ValueError("parameters out of range")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("key file %s cannot be read (%s)", path, type(exc).__name__)
        raise KeyDamaged(account, where) from None
    return WrappedKey(fields, salt, nonce, sealed)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # noqa: PLC0415

    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("not base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _from_hex(kept: str, account: str) -> bytes:
    try:
        key = bytes.fromhex(kept)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES or len(kept) != 2 * KEY_BYTES:
        raise KeyDamaged(account, "this computer's password store (keyring)")
    return key


def _keyring() -> Any:
    """The keyring module, imported on first use (it looks for backends: start-up time)."""
    import keyring  # noqa: PLC0415

    return keyring


def _keyring_reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "NoKeyringError":
        return "this computer has none"
    if name == "KeyringLocked":
        return "it is locked"
    return "it did not answer"
