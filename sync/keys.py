"""Ed25519 signing keys for visit kits, and the keys this laptop trusts.

Programme staff sign kits with a private key (``generate_key`` makes one; keep it safe, give it a
passphrase). Laptops hold the public halves in a :class:`TrustStore`: the keys the app ships with
(``resources/keys``), the ones the user added (``reviewer-app keys trust``, into
``config/trusted_keys``) and, in demo mode only, the demo key.

A key is named by its **key id**: the first 16 hex digits of the SHA-256 of its 32 raw public
bytes. Files are PEM: PKCS#8 for private keys (encrypted when there is a passphrase) and
SubjectPublicKeyInfo for public keys (``<private key file>.pub``).

At rest: a private key with no passphrase of its own is never left in the clear. Given
``at_rest`` (the installation's signing-key key, ``reviewer_app.app.keys.laptop_key(paths,
STAFF_SIGNING_KEY)``), its PEM is sealed with it (``storage.blob_crypto``: AES-256-GCM, no
passphrase to ask for); such a file opens on this installation only. A plain PEM loaded with
``at_rest`` is re-written sealed, in place. A passphrase-protected PEM stays as it is.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storage import blob_crypto
from storage.files import write_atomic

log = logging.getLogger(__name__)

PUBLIC_SUFFIX = ".pub"
KEY_ID_LENGTH = 16
_MAX_KEY_FILE = 64 * 1024  # a PEM key is a few hundred bytes; refuse to slurp anything big


class KeyFileError(ValueError):
    """A key file cannot be used; the message says why and what to do."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's id: the first 16 hex digits of SHA-256 of its 32 raw public bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_LENGTH]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """``public_key`` as a PEM SubjectPublicKeyInfo, the format of ``.pub`` files."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_path(private_path: Path) -> Path:
    """Where the public half of the key at ``private_path`` lives: the same name plus ``.pub``."""
    return private_path.with_name(private_path.name + PUBLIC_SUFFIX)


def generate_key(
    out: Path, passphrase: bytes | None = None, *, at_rest: bytes | None = None
) -> str:
    """Make a new signing key; write it to ``out`` and its public half to ``out`` + ``.pub``.

    The private key file is created with mode 0600 (on systems that have modes) and is encrypted
    with ``passphrase`` when one is given, else sealed with ``at_rest`` when given (see the
    module's note). Existing files are never overwritten: losing a signing key that laptops
    already trust is worse than an error. Returns the new key's id.
    """
    if passphrase is not None and not passphrase:
        raise KeyFileError("The passphrase is empty; give a passphrase or none at all.")
    pub = public_path(out)
    for path in (out, pub):
        if path.exists():
            raise KeyFileError(f"{path} already exists; choose another name for the new key.")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    if not passphrase and at_rest is not None:
        pem = blob_crypto.encrypt_bytes(pem, at_rest)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    pub.write_bytes(public_key_pem(key.public_key()))
    return key_id(key.public_key())


def load_signing_key(
    path: Path, passphrase: bytes | None = None, *, at_rest: bytes | None = None
) -> Ed25519PrivateKey:
    """The private key in ``path`` (PEM PKCS#8), decrypted with ``passphrase`` if it has one,
    or unsealed with ``at_rest`` (see the module's note; a plain PEM is re-written sealed with
    it).

    Raises :class:`KeyFileError` when the file cannot be read, holds no private key (a public key
    included), is not Ed25519, needs a passphrase that was not given, or the passphrase is wrong,
    or is sealed with another installation's key. A passphrase given for an unencrypted key is
    ignored.
    """
    data = _read_key_file(path, at_rest)
    key = _load_private(path, data, passphrase)
    if at_rest is not None and b"-----BEGIN PRIVATE KEY-----" in data:
        _seal_in_place(path, data, at_rest)  # a plain key file left by an older version
    return key


def _seal_in_place(path: Path, pem: bytes, at_rest: bytes) -> None:
    """Re-write the plain key file ``path`` sealed (whole or not at all, mode 0600)."""
    try:
        write_atomic(path, blob_crypto.encrypt_bytes(pem, at_rest), mode=0o600)
    except OSError as exc:  # a read-only medium: it still signs; say so in the log
        log.warning("the key file %s could not be re-written encrypted: %s", path, exc)


def _load_private(path: Path, data: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    if b"PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyFileError(
            f"{path} is a public key; give the private key file (the one without .pub)."
        )
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if encrypted and not passphrase:
        raise KeyFileError(f"{path} is protected by a passphrase; give the passphrase.")
    try:
        key = serialization.load_pem_private_key(data, passphrase if encrypted else None)
    except ValueError as exc:
        if encrypted:
            raise KeyFileError(f"Wrong passphrase for the key in {path}.") from exc
        raise KeyFileError(f"{path} is not a private key file (PEM PKCS#8 expected).") from exc
    except (TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{path} is not a usable private key file: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(
            f"{path} holds a {_kind(key)} key; kits are signed with Ed25519 keys "
            "(make one with `reviewer-app keys generate`)."
        )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The public key in ``path`` (PEM SubjectPublicKeyInfo, a ``.pub`` file).

    Raises :class:`KeyFileError` when the file cannot be read, holds no public key (a private key
    included: trust is given to public halves only) or is not Ed25519.
    """
    data = _read_key_file(path)
    if b"PRIVATE KEY-----" in data:
        raise KeyFileError(
            f"{path} is a private key; give its public half ({public_path(path).name}) "
            "and keep the private key to yourself."
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(f"{path} is not a public key file (PEM expected).") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} holds a {_kind(key)} key; kit keys are Ed25519.")
    return key


def _read_key_file(path: Path, at_rest: bytes | None = None) -> bytes:
    """The PEM in ``path``; a sealed one unsealed with ``at_rest``."""
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_KEY_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"Cannot read the key file {path}: {exc.strerror or exc}.") from exc
    if data.startswith(blob_crypto.MAGIC) and len(data) <= _MAX_KEY_FILE:
        data = _unseal(path, data, at_rest)
    if len(data) > _MAX_KEY_FILE or b"-----BEGIN" not in data:
        raise KeyFileError(f"{path} is not a key file (PEM expected).")
    return data


def _unseal(path: Path, data: bytes, at_rest: bytes | None) -> bytes:
    if at_rest is None:
        raise KeyFileError(
            f"{path} is a key file encrypted for this computer's Reviewer App; "
            "choose it in the app (or its commands) on the computer that made it."
        )
    try:
        return blob_crypto.decrypt_bytes(data, at_rest, what=str(path))
    except blob_crypto.WrongBlobKey as exc:
        raise KeyFileError(
            f"{path} was encrypted with another computer's (or an earlier installation's) key, "
            "so it cannot be opened here; sign with a key file you can open, or make a new key "
            "and have laptops trust it."
        ) from exc
    except blob_crypto.BlobCryptoError as exc:
        raise KeyFileError(f"{path} is damaged ({exc}); it cannot be used.") from exc


def _kind(key: object) -> str:
    name = type(key).__name__.lstrip("_")
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.removesuffix(suffix)
    return name or "different"


class TrustStore:
    """The public keys this laptop trusts to sign kits, read from ``*.pub`` files in folders.

    Folders that do not exist are skipped (a fresh laptop has no ``trusted_keys`` yet); a file
    that is not an Ed25519 public key is skipped with a logged warning, so one bad file cannot
    stop every kit from opening.
    """

    def __init__(self, dirs: Sequence[Path]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for folder in dirs:
            self._load_folder(folder)

    def _load_folder(self, folder: Path) -> None:
        try:
            paths = sorted(folder.glob(f"*{PUBLIC_SUFFIX}"))
        except OSError as exc:
            log.warning("cannot list trusted keys in %s: %s", folder, exc)
            return
        for path in paths:
            try:
                key = load_public_key(path)
            except KeyFileError as exc:
                log.warning("skipping trusted key file %s: %s", path, exc)
                continue
            self._keys.setdefault(key_id(key), key)

    @classmethod
    def of(cls, keys: Sequence[Ed25519PublicKey]) -> TrustStore:
        """A store of exactly ``keys`` (the central service keeps its keys in its database)."""
        store = cls([])
        for key in keys:
            store._keys.setdefault(key_id(key), key)
        return store

    def keys(self) -> dict[str, Ed25519PublicKey]:
        """The trusted keys by key id (a copy)."""
        return dict(sorted(self._keys.items()))

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, pub_path: Path, into: Path) -> str:
        """Trust the public key in ``pub_path`` from now on: write it to ``<into>/<key_id>.pub``.

        Creates ``into`` when needed. Adding a key that is already there is harmless. Raises
        :class:`KeyFileError` when ``pub_path`` is not an Ed25519 public key. Returns the key id.
        """
        key = load_public_key(pub_path)
        kid = key_id(key)
        into.mkdir(parents=True, exist_ok=True)
        target = into / f"{kid}{PUBLIC_SUFFIX}"
        write_atomic(target, public_key_pem(key))
        self._keys[kid] = key
        return kid

    def verify(self, data: bytes, signature: bytes) -> str | None:
        """The id of the trusted key that made ``signature`` over ``data``, or None if none did."""
        for kid, key in self._keys.items():
            try:
                key.verify(signature, data)
            except InvalidSignature:
                continue
            return kid
        return None
