"""The staff signing key and the device key at rest: never a plain PEM on disk unless the
user gave the key file a passphrase of its own; an older version's plain PEM re-written sealed
on first load; a passphrase-protected key file given on the command line works as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reviewer_app.app.cli import main
from reviewer_app.app.device import device_key, device_key_file
from reviewer_app.app.keys import STAFF_SIGNING_KEY, laptop_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.staff import build
from storage import blob_crypto
from sync.keys import KeyFileError, generate_key, load_signing_key


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def _plain_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_a_key_generated_without_a_passphrase_is_sealed_and_signs_here(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "staff.key"
    assert main(["keys", "generate", "--out", str(out)]) == 0
    assert "opens here only" in capsys.readouterr().err
    data = out.read_bytes()
    assert data.startswith(blob_crypto.MAGIC) and b"PRIVATE KEY" not in data
    key = build.load_key_file(out, None)  # as the staff window loads it
    paths = AppPaths.from_environment()
    again = load_signing_key(out, at_rest=laptop_key(paths, STAFF_SIGNING_KEY))
    assert _raw(key) == _raw(again)
    with pytest.raises(KeyFileError, match="another computer's"):
        load_signing_key(out, at_rest=bytes(32))
    with pytest.raises(KeyFileError, match="encrypted for this computer"):
        load_signing_key(out)


def test_a_plain_key_file_is_rewritten_sealed_on_first_load(tmp_path: Path) -> None:
    out = tmp_path / "old.key"
    generate_key(out)  # as an older version wrote it: plain PEM
    assert b"-----BEGIN PRIVATE KEY-----" in out.read_bytes()
    first = build.load_key_file(out, None)
    assert out.read_bytes().startswith(blob_crypto.MAGIC)
    assert _raw(build.load_key_file(out, None)) == _raw(first)


def test_a_passphrase_protected_key_file_works_as_before_and_is_left_alone(
    tmp_path: Path,
) -> None:
    out = tmp_path / "carried.key"
    generate_key(out, b"correct horse")
    before = out.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in before
    key = build.load_key_file(out, "correct horse")
    assert _raw(key) == _raw(load_signing_key(out, b"correct horse"))
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        build.load_key_file(out, "wrong")
    assert out.read_bytes() == before


def test_the_device_key_is_sealed_and_an_old_plain_one_kept(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    file = device_key_file(paths)
    file.parent.mkdir(parents=True, exist_ok=True)
    old = Ed25519PrivateKey.generate()
    file.write_bytes(_plain_pem(old))  # an older version's
    assert _raw(device_key(paths)) == _raw(old)
    assert file.read_bytes().startswith(blob_crypto.MAGIC)
    assert _raw(device_key(paths)) == _raw(old)


def test_a_new_device_key_is_never_plain(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    key = device_key(paths)
    data = device_key_file(paths).read_bytes()
    assert data.startswith(blob_crypto.MAGIC) and b"PRIVATE KEY" not in data
    assert _raw(device_key(paths)) == _raw(key)
