"""A visit's key: kept in a real password store (gnome-keyring) and found again; wrapped with a
passphrase where there is no keyring, asked for once a session; and every way of not having it
(missing, damaged, wrong passphrase, no keyring to ask) ends in its own sentence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, NoKeyringError

from storage import visit_keys
from storage.visit_keys import (
    KEY_FILE,
    SERVICE,
    STAFF_STORE,
    KeyDamaged,
    KeyMissing,
    KeyringUnavailable,
    PassphraseNeeded,
    PassphraseRequest,
    VisitKeys,
    WrongPassphrase,
    is_locked,
    lock,
)
from tests.keyring_service import SecretService

VISIT = "4b1f3c1e-0d7a-4c55-9a57-1f0c2b5d6e7f"


class NoKeyring(KeyringBackend):
    """A computer with no password store: what keyring's fail backend raises."""

    priority = 1

    def __init__(self, error: type[Exception] = NoKeyringError) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error("no keyring here")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error("no keyring here")

    def delete_password(self, service: str, username: str) -> None:
        raise self.error("no keyring here")


class Dialog:
    """The passphrase dialog: answers from a list, and remembers what it was asked."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.asked: list[PassphraseRequest] = []

    def __call__(self, request: PassphraseRequest) -> str | None:
        self.asked.append(request)
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts locked, with a cheap scrypt (the real cost is bench-sized: 2^15)."""
    monkeypatch.setattr(visit_keys, "SCRYPT_N", 2**10)
    lock()
    yield
    lock()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


def test_the_real_keyring_keeps_the_key_for_the_next_session(
    secret_service: SecretService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from keyring.backends import SecretService as secret_backend

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    previous = keyring.get_keyring()
    keyring.set_keyring(secret_backend.Keyring())  # type: ignore[no-untyped-call]
    try:
        keys = VisitKeys(ask_passphrase=Dialog())  # never asked: the keyring is there
        key = keys.create(VISIT, tmp_path)
        assert len(key) == 32
        assert secret_service.lookup(SERVICE, VISIT) == [key.hex()]
        assert not (tmp_path / KEY_FILE).exists()
        lock()
        assert is_locked()
        assert VisitKeys().get(VISIT, tmp_path) == key  # a new session finds it there

        # The entry removed (a keyring reset): one sentence, and the way back.
        keys.forget(VISIT, tmp_path)
        assert secret_service.lookup(SERVICE, VISIT) == []
        with pytest.raises(KeyMissing) as missing:
            keys.get(VISIT, tmp_path)
        assert str(missing.value) == (
            f"The key of visit {VISIT} is not in this computer's password store (keyring), so "
            "it cannot be opened here; it can be opened again from its kit and the team's "
            "bundles (work not yet in a bundle is lost with the key)."
        )

        # The entry damaged (another program wrote over it).
        keyring.set_password(SERVICE, STAFF_STORE, "not a key at all")
        with pytest.raises(KeyDamaged) as damaged:
            keys.get(STAFF_STORE, tmp_path)
        assert str(damaged.value) == (
            "The key of the staff workspace kept in this computer's password store (keyring) "
            "is damaged, so it cannot be opened here; it can be opened again from its kit and "
            "the team's bundles (work not yet in a bundle is lost with the key)."
        )
    finally:
        keyring.set_keyring(previous)


def test_a_kept_key_is_never_replaced(tmp_path: Path) -> None:
    key = VisitKeys().create(VISIT, tmp_path)
    with pytest.raises(FileExistsError, match="already kept"):
        VisitKeys().create(VISIT, tmp_path)
    lock()
    assert VisitKeys().get(VISIT, tmp_path) == key


def test_a_wrapped_key_is_never_replaced(no_keyring: None, tmp_path: Path) -> None:
    VisitKeys(ask_passphrase=Dialog("correct horse battery")).create(VISIT, tmp_path)
    with pytest.raises(FileExistsError, match="already kept"):
        VisitKeys(ask_passphrase=Dialog("another")).create(VISIT, tmp_path)


def test_the_key_is_cached_until_lock(tmp_path: Path) -> None:
    keys = VisitKeys()
    key = keys.create(VISIT, tmp_path)
    keyring.delete_password(SERVICE, VISIT)  # only memory has it now
    assert keys.get(VISIT, tmp_path) == key and not is_locked()
    lock()
    with pytest.raises(KeyMissing):
        keys.get(VISIT, tmp_path)


def test_with_no_keyring_the_key_is_wrapped_by_a_passphrase_asked_once_a_session(
    no_keyring: None, tmp_path: Path
) -> None:
    first, second = tmp_path / "visit-1", tmp_path / "visit-2"
    dialog = Dialog("correct horse battery")
    keys = VisitKeys(ask_passphrase=dialog)
    key_1 = keys.create("visit-1", first)
    key_2 = keys.create("visit-2", second)  # the session's passphrase: not asked again
    assert dialog.asked == [PassphraseRequest("visit-1", new=True)]
    key_file = first / KEY_FILE
    assert key_file.stat().st_mode & 0o077 == 0
    text = key_file.read_text()
    assert key_1.hex() not in text and "correct horse" not in text
    assert json.loads(text)["kdf"]["name"] == "scrypt"

    lock()
    dialog = Dialog("correct horse battery")
    keys = VisitKeys(ask_passphrase=dialog)
    assert keys.get("visit-1", first) == key_1
    assert keys.get("visit-2", second) == key_2
    assert dialog.asked == [PassphraseRequest("visit-1", new=False)]  # once for both


def test_a_wrong_passphrase_is_refused_with_the_way_back(no_keyring: None, tmp_path: Path) -> None:
    key = VisitKeys(ask_passphrase=Dialog("correct horse battery")).create(VISIT, tmp_path)
    lock()
    dialog = Dialog("wrong", "correct horse battery")
    assert VisitKeys(ask_passphrase=dialog).get(VISIT, tmp_path) == key
    assert [r.retry for r in dialog.asked] == [False, True]

    lock()
    with pytest.raises(WrongPassphrase) as refused:
        VisitKeys(ask_passphrase=Dialog("one", "two", "three")).get(VISIT, tmp_path)
    assert str(refused.value) == (
        f"That passphrase does not open visit {VISIT}. If it is forgotten, the visit can be "
        "opened again from its kit and the team's bundles (export a bundle whenever you can: "
        "work not yet in one cannot be recovered without it)."
    )
    with pytest.raises(PassphraseNeeded, match="stays locked: it needs its passphrase"):
        VisitKeys(ask_passphrase=Dialog(None)).get(VISIT, tmp_path)  # cancelled
    with pytest.raises(PassphraseNeeded):
        VisitKeys().get(VISIT, tmp_path)  # nobody to ask (a headless command)


def test_a_damaged_key_file_says_so(no_keyring: None, tmp_path: Path) -> None:
    VisitKeys(ask_passphrase=Dialog("correct horse battery")).create(VISIT, tmp_path)
    path = tmp_path / KEY_FILE
    good = json.loads(path.read_text())
    damages = [
        b"{ not json",
        b"",
        json.dumps({**good, "wrapped_key": good["wrapped_key"][:-8]}).encode(),
        json.dumps({**good, "account": "another-visit"}).encode(),
        json.dumps({**good, "kdf": {**good["kdf"], "n": 2**40}}).encode(),
    ]
    for damaged in damages:
        path.write_bytes(damaged)
        lock()
        with pytest.raises(KeyDamaged) as caught:
            VisitKeys(ask_passphrase=Dialog("correct horse battery")).get(VISIT, tmp_path)
        assert str(caught.value).startswith(
            f"The key of visit {VISIT} kept in the key file {path} is damaged, so it cannot be "
            "opened here; it can be opened again from its kit and the team's bundles"
        )
    # Sealed fields changed (a cheaper scrypt written in): the passphrase no longer opens it.
    path.write_text(json.dumps({**good, "kdf": {**good["kdf"], "n": 2**4}}))
    lock()
    with pytest.raises(WrongPassphrase):
        VisitKeys(ask_passphrase=Dialog(*["correct horse battery"] * 3)).get(VISIT, tmp_path)


def test_a_locked_keyring_and_no_key_file_says_to_unlock_it(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring(KeyringLocked))
    try:
        with pytest.raises(KeyringUnavailable) as caught:
            VisitKeys().get(VISIT, tmp_path)
    finally:
        keyring.set_keyring(previous)
    assert str(caught.value) == (
        f"The password store (keyring) that keeps the key of visit {VISIT} cannot be reached "
        "(it is locked): unlock it, or sign in to the desktop, and try again. If this "
        "computer has no password store and the key was kept in a key file beside the visit "
        "that is gone, it can be opened again from its kit and the team's bundles (work not "
        "yet in a bundle is lost with the key)."
    )


def test_lock_overwrites_the_keys_it_held(tmp_path: Path) -> None:
    VisitKeys().create(VISIT, tmp_path)
    held = list(visit_keys._keys.values())
    assert held and any(held[0])
    lock()
    assert not any(held[0]) and is_locked()


def test_every_key_is_new_and_random(tmp_path: Path) -> None:
    keys = {VisitKeys().create(f"visit-{i}", tmp_path) for i in range(5)}
    assert len(keys) == 5 and all(len(k) == 32 for k in keys)
