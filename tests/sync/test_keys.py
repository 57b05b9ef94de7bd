"""Signing keys and the trust store, on real key files."""

from __future__ import annotations

import hashlib
import logging
import stat
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.keys import (
    KeyFileError,
    TrustStore,
    generate_key,
    key_id,
    load_public_key,
    load_signing_key,
    public_path,
)


def test_generate_key_writes_a_private_key_and_its_public_half(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "staff_key"
    kid = generate_key(out)

    private = load_signing_key(out)
    public = load_public_key(public_path(out))
    assert out.with_name("staff_key.pub") == public_path(out)
    assert key_id(private.public_key()) == key_id(public) == kid
    assert out.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public_path(out).read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    if sys.platform != "win32":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_key_id_is_the_start_of_the_sha256_of_the_raw_public_key() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key_id(public) == hashlib.sha256(raw).hexdigest()[:16]
    assert len(key_id(public)) == 16


def test_generate_key_never_overwrites_a_key(tmp_path: Path) -> None:
    out = tmp_path / "staff_key"
    generate_key(out)
    before = out.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        generate_key(out)
    assert out.read_bytes() == before


def test_a_key_with_a_passphrase_needs_the_right_one(tmp_path: Path) -> None:
    out = tmp_path / "staff_key"
    kid = generate_key(out, passphrase=b"correct horse")
    assert out.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")

    with pytest.raises(KeyFileError, match="protected by a passphrase"):
        load_signing_key(out)
    with pytest.raises(KeyFileError, match="Wrong passphrase"):
        load_signing_key(out, b"battery staple")
    assert key_id(load_signing_key(out, b"correct horse").public_key()) == kid


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="empty"):
        generate_key(tmp_path / "k", passphrase=b"")
    assert not (tmp_path / "k").exists()


def _write_ec_key(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / "ec_key"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = folder / "ec_key.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def test_loading_the_wrong_kind_of_file_says_what_is_wrong(tmp_path: Path) -> None:
    out = tmp_path / "staff_key"
    generate_key(out)
    ec_private, ec_public = _write_ec_key(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not a key")

    with pytest.raises(KeyFileError, match="is a public key"):
        load_signing_key(public_path(out))
    with pytest.raises(KeyFileError, match="is a private key"):
        load_public_key(out)
    with pytest.raises(KeyFileError, match="not a key file"):
        load_signing_key(text)
    with pytest.raises(KeyFileError, match="not a key file"):
        load_public_key(text)
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_signing_key(ec_private)
    with pytest.raises(KeyFileError, match="Ed25519"):
        load_public_key(ec_public)
    with pytest.raises(KeyFileError, match="Cannot read"):
        load_public_key(tmp_path / "nowhere.pub")


def test_trust_store_loads_keys_from_folders_and_skips_bad_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    shipped.mkdir()
    user.mkdir()
    a = generate_key(shipped / "a")
    b = generate_key(user / "b")
    (user / "broken.pub").write_text("-----BEGIN PUBLIC KEY-----\nnonsense\n")
    _write_ec_key(user)
    (user / "b").unlink()  # private keys in the folder are not *.pub and are ignored anyway

    with caplog.at_level(logging.WARNING, logger="sync.keys"):
        store = TrustStore([shipped, user, tmp_path / "does-not-exist"])

    assert set(store.keys()) == {a, b}
    assert a in store
    assert len(store) == 2
    assert "broken.pub" in caplog.text
    assert "ec_key.pub" in caplog.text


def test_trust_store_add_copies_the_key_and_trusts_it_from_then_on(tmp_path: Path) -> None:
    out = tmp_path / "staff_key"
    kid = generate_key(out)
    trusted = tmp_path / "config" / "trusted_keys"
    store = TrustStore([trusted])
    assert store.keys() == {}

    assert store.add(public_path(out), into=trusted) == kid
    assert (trusted / f"{kid}.pub").is_file()
    assert kid in store
    assert set(TrustStore([trusted]).keys()) == {kid}
    assert store.add(public_path(out), into=trusted) == kid  # again: harmless
    assert [p.name for p in trusted.iterdir()] == [f"{kid}.pub"]


def test_trust_store_add_refuses_a_private_key(tmp_path: Path) -> None:
    out = tmp_path / "staff_key"
    generate_key(out)
    trusted = tmp_path / "trusted"
    with pytest.raises(KeyFileError, match="is a private key"):
        TrustStore([]).add(out, into=trusted)
    assert not trusted.exists()


def test_trust_store_verify_names_the_key_that_signed(tmp_path: Path) -> None:
    folder = tmp_path / "trusted"
    folder.mkdir()
    kid_a = generate_key(tmp_path / "a")
    kid_b = generate_key(tmp_path / "b")
    generate_key(tmp_path / "stranger")
    for name in ("a", "b"):
        TrustStore([]).add(public_path(tmp_path / name), into=folder)
    store = TrustStore([folder])
    data = b"the exact bytes of a manifest"

    sig_b = load_signing_key(tmp_path / "b").sign(data)
    assert store.verify(data, sig_b) == kid_b
    assert store.verify(data, load_signing_key(tmp_path / "a").sign(data)) == kid_a
    assert store.verify(data + b" ", sig_b) is None
    assert store.verify(data, bytes(64)) is None
    assert store.verify(data, b"short") is None
    assert store.verify(data, load_signing_key(tmp_path / "stranger").sign(data)) is None
