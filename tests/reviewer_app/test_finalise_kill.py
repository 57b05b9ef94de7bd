"""Finalising survives kill -9 at any moment: either no new version, or the version with its
outbox item, never a finalised version that is never sent; finalising again then works, or says
nothing changed only when the version is queued. And a snapshot an older app left without its
outbox item is queued when the workspace is opened.

The rounds are bench/kill_finalise.py's (``reviewer-app finalise --sign-off`` in a child
process, SIGKILL, the files checked with SQLCipher and the visit's key alone, then finalising
again). The children have no keyring: every visit key here is wrapped with the tests'
passphrase in a file beside its workspace (``wrapped_keys``).
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import threading
from pathlib import Path

import keyring
import pytest

from bench.kill_finalise import finalise_again, inspect, kill_round, paths_for, prepare
from reviewer_app.app.keys import OUTBOX, PASSPHRASE_ENV, laptop_key
from reviewer_app.app.paths import AppPaths
from storage import encrypted_sqlite, visit_keys
from tests.conftest import TEST_PASSPHRASE, MemoryKeyring
from tests.keys import app_key

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGKILL needs a POSIX system"),
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One finalisable worked demo visit for the module's rounds (each round amends it), its
    key wrapped in a file (made before any test's own keyring is in place)."""
    home = tmp_path_factory.mktemp("kill-finalise")
    with pytest.MonkeyPatch.context() as patch:
        memory = MemoryKeyring()
        memory.refused.add(visit_keys.SERVICE)
        patch.setattr(visit_keys, "SCRYPT_N", 2**10)
        patch.setenv(PASSPHRASE_ENV, TEST_PASSPHRASE)
        patch.setenv("REVIEWER_APP_HOME", str(home))
        previous = keyring.get_keyring()
        keyring.set_keyring(memory)
        try:
            return home, prepare(home)
        finally:
            keyring.set_keyring(previous)
            visit_keys.lock()


@pytest.fixture(autouse=True)
def _keys_in_files(wrapped_keys: object) -> None:
    """Visits this module makes keep their key in a file the children can unwrap."""


def test_killed_inside_the_transaction_leaves_no_version(prepared: tuple[Path, str]) -> None:
    home, visit_id = prepared
    result = kill_round(home, visit_id, 1, pause="after_snapshot")
    assert result.killed and result.integrity_ok
    assert not result.new_version  # the snapshot row was written, but never committed
    assert result.recovery == "finalised", result.problems
    assert result.problems == []


def test_killed_after_the_commit_the_version_is_queued_and_then_sent(
    prepared: tuple[Path, str],
) -> None:
    """The old code's window: the snapshot committed, the process gone before it was queued."""
    home, visit_id = prepared
    before = inspect(home, visit_id)
    result = kill_round(home, visit_id, 2, pause="after_commit")
    assert result.killed and result.integrity_ok
    assert result.new_version and result.with_item and result.orphans == []
    # Finalising again found the version queued only in the workspace, handed it to the
    # sending queue, and only then said nothing had changed.
    assert result.recovery == "unchanged"
    assert result.problems == []
    after = inspect(home, visit_id)
    assert len(after.versions) == len(before.versions) + 1
    assert {sid for _v, sid in after.versions} <= after.sending


def test_random_kills_never_leave_an_unsent_version(prepared: tuple[Path, str]) -> None:
    home, visit_id = prepared
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    for n in (3, 4):
        result = kill_round(home, visit_id, n, delay=rng.uniform(0.3, 2.5))
        assert result.integrity_ok and result.orphans == [], result.problems
        assert result.problems == []


def test_an_orphaned_snapshot_is_queued_on_open_and_sent(tmp_path: Path) -> None:
    """A workspace the old code left with a finalised version and no outbox item anywhere:
    finalising again queues it (on open) and only then says nothing has changed."""
    visit_id = prepare(tmp_path)
    first = finalise_again(tmp_path, visit_id)
    assert first["status"] == "finalised" and first["exit_code"] == 0
    paths = paths_for(tmp_path)
    file = paths.visits / visit_id / "workspace.sqlite"
    workspace = encrypted_sqlite.connect(file, app_key(file))
    workspace.isolation_level = "DEFERRED"  # commits below, as with sqlite3
    outbox = laptop_file(paths, paths.data / "outbox.sqlite")
    try:  # as the old code could leave it: no outbox table, nothing in the sending queue
        workspace.execute("DROP TRIGGER snapshot_outbox_never_delete")
        workspace.execute("DROP TABLE snapshot_outbox")
        workspace.commit()
        outbox.execute("DELETE FROM items")
        outbox.commit()
    finally:
        workspace.close()
        outbox.close()
    assert inspect(tmp_path, visit_id).orphans == [1]

    again = finalise_again(tmp_path, visit_id)
    assert (again["status"], again["version"], again["exit_code"]) == ("unchanged", 1, 2)
    state = inspect(tmp_path, visit_id)
    assert state.orphans == [] and state.sending == {first["snapshot_id"]}
    assert state.handed_over == state.queued == {first["snapshot_id"]}


def test_a_version_cut_off_before_its_hand_over_is_sent_by_opening_the_visit_or_a_sync(
    tmp_path: Path,
) -> None:
    """Killed after the commit, before the hand-over: opening the visit (the window) hands it to
    the sending queue, and so does a command-line sync (which opens no visit)."""
    from bench.kill_finalise import _env, _wait_for_pause, _watch, amend, finalise_command
    from reviewer_app.visit.workspaces import hand_over_every_visit, open_session

    home = tmp_path
    visit_id = prepare(home)
    for n, hand_over in ((1, "open"), (2, "sync")):
        amend(home, visit_id, n)
        proc = subprocess.Popen(
            finalise_command(visit_id),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(home, "after_commit"),
        )
        paused = threading.Event()
        threading.Thread(target=_watch, args=(proc, paused), daemon=True).start()
        _wait_for_pause(proc, paused, "after_commit")
        proc.kill()
        proc.wait()
        state = inspect(home, visit_id)
        newest = state.versions[-1][1]
        assert newest in state.queued and newest not in state.sending
        paths = paths_for(home)
        if hand_over == "open":
            open_session(paths, visit_id).result(timeout=60).close()
        else:
            hand_over_every_visit(paths)
        assert newest in inspect(home, visit_id).sending, hand_over


def laptop_file(paths: AppPaths, file: Path) -> sqlite3.Connection:
    """One of the laptop's own databases (the sending queue), encrypted or not."""
    if encrypted_sqlite.is_encrypted(file):
        conn = encrypted_sqlite.connect(file, laptop_key(paths, OUTBOX))
        conn.isolation_level = "DEFERRED"
        return conn
    return sqlite3.connect(file)
