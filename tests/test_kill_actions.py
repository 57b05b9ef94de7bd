"""Kill -9 over the multi-step actions (kit open, bundle import, backup, report, photo add):
nothing acknowledged is lost, nothing is left half done, the files stay sound, and the next entry
point cleans what the kill left. Two kills per action, the rounds of bench/kill_actions.py.

Also the leftover rule those rounds rely on: a blob store removes the ``.incoming-*`` files of
killed writes, but only stale ones (another process may be writing a fresh one).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from bench.kill_actions import (
    ACTIONS,
    BENCH_PASSPHRASE,
    NO_KEYRING,
    PASSPHRASE_ENV,
    PREPARE,
    Round,
)
from storage import attachments, visit_keys
from storage.attachments import INCOMING_PREFIX, BlobStore
from tests.keys import TEST_KEY

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGKILL needs a POSIX system"),
]

#: Delays (seconds) that fall inside each child's run here: after start-up, before the end.
DELAYS = {
    "kit_open": (0.4, 1.2),
    "bundle_import": (0.6, 1.6),
    "backup": (0.3, 0.9),
    "report": (0.8, 1.8),
    "photo_add": (0.8, 2.2),
}


@pytest.fixture
def passphrase_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys wrapped with the bench's passphrase here and in the children (no keyring): the
    children's keys are ones this process can read (bench.kill_actions.use_passphrase_keys)."""
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    monkeypatch.setenv(PASSPHRASE_ENV, BENCH_PASSPHRASE)
    visit_keys.lock()


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.usefixtures("passphrase_keys")
def test_killed_action_loses_nothing_and_leaves_nothing_half_done(
    name: str, tmp_path: Path
) -> None:
    action = PREPARE[name](tmp_path)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    rounds: list[Round] = []
    for attempt in range(6):  # two rounds, more (sooner) if no child was caught running
        delay = rng.uniform(*DELAYS[name]) / 2 ** max(0, attempt - 1)
        rounds.append(action.round(rng, delay))
        if attempt >= 1 and any(r.killed for r in rounds):
            break
    for result in rounds:
        assert result.problems == [], result.problems
        assert (result.lost, result.half_done, result.integrity_failures) == (0, 0, 0)
    assert any(r.killed for r in rounds), "every child ended before its kill: delays too long"


def test_the_next_add_removes_stale_incoming_files_and_keeps_fresh_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "blobs"
    root.mkdir()
    left = root / f"{INCOMING_PREFIX}killed"
    left.write_bytes(b"half a photo")
    BlobStore(root, TEST_KEY).put_bytes(b"an attachment")  # seconds later: another process's, maybe
    assert left.exists()
    # Minutes later (the limit lowered to stand for them: a file's change time cannot be set
    # back), the next store's first add removes it.
    monkeypatch.setattr(attachments, "STALE_INCOMING_SECONDS", 0.0)
    BlobStore(root, TEST_KEY).put_bytes(b"the next attachment")
    assert list(root.glob(f"{INCOMING_PREFIX}*")) == []
