"""Kill -9 over every multi-step action: nothing acknowledged is lost, nothing is left half done.

Five actions, each run in a child process that is killed with SIGKILL after a random delay spread
over the step's duration (bench/kill_finalise.py does the same for finalising, and
bench/kill_edits.py for ordinary edits):

- ``kit_open``: ``reviewer-app visit open KIT --as LEAD --demo`` (a kit of 60 evidence files,
  opened into no workspace or into the one already there);
- ``bundle_import``: ``reviewer-app bundle import --visit ID FILE`` (a bundle of a reviewer's
  judgements into the lead's workspace as it was before);
- ``backup``: a child that records an edit and then takes ``Workspace.backup`` in a loop;
- ``report``: ``reviewer-app report --visit ID -o FILE`` (the worked demo visit, with photos);
- ``photo_add``: a child that adds photos in a loop, as the window's session does
  (``BlobStore.add_photo`` then the photo operation, ``reviewer_app.visit.session._add_photo``).

A step is *acknowledged* once the child said it was done (exit 0 for a command, a ``done N``
line for a loop). After each kill the files are read without the app (SQLCipher with the
visit's key, hashes of the decrypted blobs, pypdf): ``PRAGMA integrity_check``, every
acknowledged step there, no step half done. Then the next entry point runs (the same action,
in this process) and must clean what the kill left: staging folders, ``.part`` files,
backup temporaries, ``.incoming-*`` blob temporaries.

    .venv/bin/python bench/kill_actions.py [--action all] [--kills 50] [--seed N]

Every workspace is encrypted: its key is wrapped with ``BENCH_PASSPHRASE`` (no keyring, here
and in the children: ``use_passphrase_keys``), so that this process reads the keys its
children made.

``bench/run_all.py`` runs it with ``--quick`` (5 kills per action, about a minute).
tests/test_kill_actions.py drives the same rounds, a few per action.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.kill_finalise import paths_for  # noqa: E402
from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.visit.workspaces import workspace_path  # noqa: E402
from storage import attachments, encrypted_sqlite, visit_keys  # noqa: E402
from storage.attachments import INCOMING_PREFIX, BlobStore  # noqa: E402
from storage.visit_keys import key_file, read_key_file  # noqa: E402

ACTIONS = ("kit_open", "bundle_import", "backup", "report", "photo_add")
LEAD = "m-lead"
REVIEWER = "m-cns"  # the bundle's author: a reviewer on the demo team
BUNDLE_OPS = 20_000
CHILD_TIMEOUT = 120.0
BENCH_PASSPHRASE = "kill-actions bench passphrase"
PASSPHRASE_ENV = "REVIEWER_APP_PASSPHRASE"
NO_KEYRING = "keyring.backends.fail.Keyring"


def use_passphrase_keys() -> None:
    """Keys wrapped with ``BENCH_PASSPHRASE`` in this process and its children (no keyring):
    a key a child made is one this process can read (a test's in-memory keyring is its own).
    The test sets the same with monkeypatch."""
    import keyring  # noqa: PLC0415
    from keyring.backends import fail  # noqa: PLC0415

    keyring.set_keyring(fail.Keyring())
    os.environ["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    os.environ[PASSPHRASE_ENV] = BENCH_PASSPHRASE


def visit_key_of(file: Path) -> bytes:
    """The key of the visit whose workspace (or backup of it) is ``file``, read from its
    wrapped key file each time (a kit opened into no workspace makes a new key)."""
    folder = file.parent if file.name == "workspace.sqlite" else file.parent.parent
    key = read_key_file(key_file(folder), folder.name).open(
        os.environ.get(PASSPHRASE_ENV, BENCH_PASSPHRASE)
    )
    if key is None:
        raise RuntimeError(f"the bench passphrase does not open the key of {folder}")
    return key


def _blob_digest(root: Path, key: bytes, sha: str) -> tuple[str, int] | None:
    """The SHA-256 and size of a blob's plaintext (decrypted), None when it is missing or
    cannot be read whole."""
    import hashlib  # noqa: PLC0415

    store = BlobStore(root, key)
    if not store.has(sha):
        return None
    digest, size = hashlib.sha256(), 0
    try:
        with store.open(sha) as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except Exception:  # noqa: BLE001 (damaged, cut short: not whole)
        return None
    return digest.hexdigest(), size


# -- the child -------------------------------------------------------------------------------------


@dataclass
class Child:
    """What a killed (or finished) child said: its complete stdout lines and how it ended."""

    killed: bool
    lines: list[str]
    exit_code: int
    stderr: str = ""


def run_child(command: list[str], home: Path, delay: float) -> Child:
    """Start ``command`` with ``REVIEWER_APP_HOME=home``, SIGKILL it after ``delay`` seconds
    unless it ended first. Only lines ending in a newline count: a half-printed line was never
    acknowledged."""
    env = {**os.environ, "REVIEWER_APP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("REVIEWER_APP_TEST_PAUSE", None)
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: list[str] = []
    errors: list[str] = []
    readers = [
        threading.Thread(target=_collect, args=(proc.stdout, lines), daemon=True),
        threading.Thread(target=_collect, args=(proc.stderr, errors), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=CHILD_TIMEOUT)
    for reader in readers:
        reader.join(timeout=10)
    visit_keys.lock()  # a child may have made a new key for a visit (a kit opened afresh)
    return Child(killed, lines, proc.returncode, "".join(errors)[-2000:])


def _collect(stream: object, into: list[str]) -> None:
    assert hasattr(stream, "readline")
    for line in stream:  # type: ignore[attr-defined]
        if line.endswith("\n"):
            into.append(line.rstrip("\n"))
    stream.close()  # type: ignore[attr-defined]


def app_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "reviewer_app", *args]


def script_command(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


# -- one round's outcome -----------------------------------------------------------------------


@dataclass
class Round:
    """One kill: what the child had acknowledged, and what the files say about it."""

    killed: bool = False
    acknowledged: int = 0
    lost: int = 0
    half_done: int = 0
    integrity_failures: int = 0
    leftovers: int = 0  # left by the kill, then cleaned by the next entry point
    notes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def note(self, name: str, n: int = 1) -> None:
        self.notes[name] = self.notes.get(name, 0) + n

    def problem(self, kind: str, text: str) -> None:
        """A failed check: ``kind`` is "lost", "half_done" or "integrity" (counted), or
        "other" (a recovery that did not clean up or did not work)."""
        if kind == "lost":
            self.lost += 1
        elif kind == "half_done":
            self.half_done += 1
        elif kind == "integrity":
            self.integrity_failures += 1
        self.problems.append(text)


def integrity(file: Path) -> str:
    """``PRAGMA integrity_check`` of a workspace or backup ("ok" when sound)."""
    try:
        with reading(file) as conn:
            return "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))[:300]
    except (*encrypted_sqlite.DatabaseError, encrypted_sqlite.WrongKey) as exc:
        return f"cannot be read: {exc}"


@contextlib.contextmanager
def reading(file: Path) -> Iterator[sqlite3.Connection]:
    """``file`` opened read-only with its visit's key (SQLCipher), without the app."""
    import sqlcipher3  # noqa: PLC0415

    conn = sqlcipher3.connect(f"file:{file}?mode=ro", uri=True, isolation_level=None)
    try:
        encrypted_sqlite.apply_key(conn, visit_key_of(file), file)
        yield conn
    finally:
        conn.close()


def check_workspace(file: Path, result: Round) -> bool:
    """The workspace passes ``integrity_check``; False (and counted) when it does not."""
    found = integrity(file)
    if found != "ok":
        result.problem("integrity", f"{file.name}: integrity_check: {found}")
        return False
    return True


def local_value(conn: sqlite3.Connection, key: str) -> object:
    row = conn.execute("SELECT value FROM local WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def staging_entries(paths: AppPaths) -> list[Path]:
    return sorted(paths.staging.iterdir()) if paths.staging.is_dir() else []


# -- kit open --------------------------------------------------------------------------------------


@dataclass
class KitOpen:
    """A 60-document kit and what a complete workspace of it holds."""

    home: Path
    kit: Path
    visit_id: str
    counts: dict[str, int]

    @classmethod
    def prepare(cls, work: Path) -> KitOpen:
        from reviewer_app.demo.kits import build_demo_kit  # noqa: PLC0415
        from reviewer_app.visit.workspaces import open_kit  # noqa: PLC0415

        kit = work / "kit.rvkit"
        build_demo_kit(kit, evidence_files=60, evidence_mb=60)
        reference = paths_for(work / "reference")
        visit_id = open_kit(kit, LEAD, paths=reference, demo=True).visit_id
        with reading(workspace_path(reference, visit_id)) as conn:
            counts = _kit_counts(conn)
        return cls(work / "kit-open", kit, visit_id, counts)

    def command(self) -> list[str]:
        return app_command("visit", "open", str(self.kit), "--as", LEAD, "--demo")

    def round(self, rng: random.Random, delay: float) -> Round:
        """Half the rounds open into no workspace, half reopen the one already there."""
        paths = paths_for(self.home)
        if rng.random() < 0.5:
            shutil.rmtree(paths.visits, ignore_errors=True)
        child = run_child(self.command(), self.home, delay)
        result = Round(killed=child.killed)
        acked = child.exit_code == 0 and self.visit_id in child.lines
        result.acknowledged = int(acked)
        result.leftovers = len(staging_entries(paths))
        self.check(paths, result, acked=acked)
        self.recover(paths, result)
        return result

    def check(self, paths: AppPaths, result: Round, *, acked: bool) -> None:
        """No workspace, or one whose kit rows are all there with every evidence file whole."""
        file = workspace_path(paths, self.visit_id)
        if not file.exists():
            if acked:
                result.problem("lost", "the opened visit has no workspace")
            return
        if not check_workspace(file, result):
            return
        with reading(file) as conn:
            # A kill before the new file's one creating commit leaves it empty (no schema yet).
            made = conn.execute("PRAGMA user_version").fetchone()[0] > 0
            has_kit = made and conn.execute("SELECT count(*) FROM kit_info").fetchone()[0]
            if not has_kit:
                # The file and its schema are made before the kit's transaction: an empty
                # workspace (or one with no schema yet) is "no visit yet" (no list shows it);
                # the next open fills it.
                result.note("workspaces made but no kit yet")
                if acked:
                    result.problem("lost", "the opened visit's workspace has no kit")
                return
            counts = _kit_counts(conn)
            evidence = conn.execute("SELECT file, sha256, size FROM kit_evidence").fetchall()
        if counts != self.counts:
            result.problem("half_done", f"kit rows {counts}, expected {self.counts}")
        blobs = paths.visit_folder(self.visit_id) / "blobs"
        key = visit_key_of(file)
        for name, sha, size in evidence:
            if _blob_digest(blobs, key, sha) != (sha, size):
                result.problem("half_done", f"evidence {name} missing or not whole")

    def recover(self, paths: AppPaths, result: Round) -> None:
        """Open the kit again (the next entry point): complete, and no staging folder left."""
        from reviewer_app.visit.workspaces import open_kit  # noqa: PLC0415

        open_kit(self.kit, LEAD, paths=paths, demo=True)
        left = staging_entries(paths)
        if left:
            result.problem("other", f"staging not cleaned by the next open: {left}")
        self.check(paths, result, acked=True)


def _kit_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = ("kit_info", "kit_sections", "kit_standards", "kit_self_assessment", "kit_evidence")
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


# -- bundle import ---------------------------------------------------------------------------------


@dataclass
class BundleImport:
    """A reviewer's bundle of ``BUNDLE_OPS`` judgement parts and the lead's workspace before it."""

    home: Path
    visit_id: str
    bundle: Path
    bundle_id: str
    pristine: Path

    @classmethod
    def prepare(cls, work: Path) -> BundleImport:
        from bench.big_bundle import honest_ops, write_bundle  # noqa: PLC0415
        from reviewer_app.demo.kits import build_demo_kit  # noqa: PLC0415
        from reviewer_app.visit.workspaces import open_kit  # noqa: PLC0415

        kit = work / "demo.rvkit"
        build_demo_kit(kit)
        home = work / "bundle-import"
        paths = paths_for(home)
        visit_id = open_kit(kit, LEAD, paths=paths, demo=True).visit_id
        with reading(workspace_path(paths, visit_id)) as conn:
            info = conn.execute("SELECT kit_id, manifest_json FROM kit_info").fetchone()
            refs = [r[0] for r in conn.execute("SELECT ref FROM kit_standards ORDER BY position")]
        key = bytes.fromhex(json.loads(info[1])["team_key"])
        bundle = work / "reviewer.rvbundle"
        ops = honest_ops(BUNDLE_OPS, refs)
        write_bundle(bundle, ops, count=BUNDLE_OPS, visit=visit_id, kit=info[0], key=key)
        pristine = work / "bundle-pristine"
        shutil.copytree(paths.visit_folder(visit_id), pristine)
        with zipfile.ZipFile(bundle) as zf:
            bundle_id = json.loads(zf.read("manifest.json"))["bundle_id"]
        return cls(home, visit_id, bundle, bundle_id, pristine)

    def command(self) -> list[str]:
        return app_command("bundle", "import", "--visit", self.visit_id, str(self.bundle))

    def round(self, _rng: random.Random, delay: float) -> Round:
        """Each round imports into the lead's workspace as it was before the bundle."""
        paths = paths_for(self.home)
        folder = paths.visit_folder(self.visit_id)
        shutil.rmtree(folder)
        shutil.copytree(self.pristine, folder)
        child = run_child(self.command(), self.home, delay)
        result = Round(killed=child.killed)
        acked = child.exit_code == 0
        result.acknowledged = int(acked)
        self.check(paths, result, acked=acked)
        self.recover(paths, result)
        return result

    def check(self, paths: AppPaths, result: Round, *, acked: bool) -> None:
        """None or all of the bundle's operations; a receipt only for an import that is there."""
        from bench.big_bundle import DEVICE  # noqa: PLC0415
        from reviewer_app.team.bundles import HISTORY_KEY  # noqa: PLC0415

        file = workspace_path(paths, self.visit_id)
        if not check_workspace(file, result):
            return
        with reading(file) as conn:
            ops = conn.execute("SELECT count(*) FROM ops WHERE device_id = ?", (DEVICE,))
            imported = ops.fetchone()[0]
            history = local_value(conn, HISTORY_KEY) or []
        assert isinstance(history, list)
        receipts = [r for r in history if r.get("bundle_id") == self.bundle_id]
        if imported not in (0, BUNDLE_OPS):
            result.problem("half_done", f"{imported} of the bundle's {BUNDLE_OPS} ops imported")
        if acked and imported != BUNDLE_OPS:
            result.problem("lost", f"import acknowledged, {imported} ops there")
        if acked and not receipts:
            result.problem("lost", "import acknowledged, no receipt in the history")
        if receipts and imported != BUNDLE_OPS:
            result.problem("half_done", "a receipt names an import whose ops are not there")
        if imported == BUNDLE_OPS and not receipts:
            # The ops commit, then the receipt is added in a transaction of its own: a kill in
            # between leaves a whole import that the history does not list (yet).
            result.note("imports whole but without a receipt")

    def recover(self, paths: AppPaths, result: Round) -> None:
        """Import again (the next entry point): all ops and a receipt."""
        from reviewer_app.team.bundles import import_visit_bundles  # noqa: PLC0415

        [receipt] = import_visit_bundles(paths, self.visit_id, [self.bundle])
        if not receipt.ok:
            result.problem("other", f"importing again was refused: {receipt.refused_file}")
        # A bundle's staging folder has no lock: the next import leaves it, and only
        # clean_staging (the next kit open or window start) removes it, once it has been idle
        # for STAGING_IDLE_SECONDS. Counted, not failed; removed here as that hour would.
        left = staging_entries(paths)
        result.note("bundle staging folders left for clean_staging", len(left))
        for folder in left:
            shutil.rmtree(folder, ignore_errors=True)
        self.check(paths, result, acked=True)


# -- backup ----------------------------------------------------------------------------------------

BACKUP_CHILD = """
import sys, uuid
from storage import Workspace
file, member, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
ws = Workspace.open(
    file, key=key, device_id="bench-backup", keep_backups=1_000_000, backup=False
)
print("ready", flush=True)
n = 0
while True:
    n += 1
    [op] = ws.record(member, "note", str(uuid.uuid4()), {"text": f"before backup {n}"})
    target = ws.backup("manual")
    print("done", n, op.op_id, target, flush=True)
"""


@dataclass
class Backup:
    """The worked demo visit: a child edits, then backs up, in a loop."""

    home: Path
    visit_id: str
    checked: set[Path] = field(default_factory=set)

    @classmethod
    def prepare(cls, work: Path) -> Backup:
        from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit  # noqa: PLC0415

        home = work / "backup"
        return cls(home, create_demo_visit(paths_for(home), DemoVisitOptions(photos=2)))

    @property
    def file(self) -> Path:
        return workspace_path(paths_for(self.home), self.visit_id)

    def command(self) -> list[str]:
        return script_command(BACKUP_CHILD, str(self.file), LEAD, visit_key_of(self.file).hex())

    def round(self, _rng: random.Random, delay: float) -> Round:
        child = run_child(self.command(), self.home, delay)
        result = Round(killed=child.killed)
        done = [line.split() for line in child.lines if line.startswith("done ")]
        result.acknowledged = len(done)
        folder = self.file.parent / "backups"
        result.leftovers = len(list(folder.glob(".workspace-*.tmp*")))
        self.check(result, done)
        self.recover(result)
        return result

    def check(self, result: Round, done: list[list[str]]) -> None:
        """Every acknowledged edit and backup there; every file named like a backup whole."""
        if not check_workspace(self.file, result):
            return
        with reading(self.file) as conn:
            for _done, _n, op_id, _target in done:
                if conn.execute("SELECT 1 FROM ops WHERE op_id = ?", (op_id,)).fetchone() is None:
                    result.problem("lost", f"acknowledged edit {op_id} is not in the workspace")
        for _done, _n, op_id, target in done:
            if not Path(target).is_file():
                result.problem("lost", f"acknowledged backup {target} is missing")
            elif Path(target) not in self.checked:
                self._check_backup(Path(target), result, op_id)
        for backup in sorted((self.file.parent / "backups").glob("workspace-*.sqlite")):
            if backup not in self.checked:
                self._check_backup(backup, result, None)

    def _check_backup(self, backup: Path, result: Round, op_id: str | None) -> None:
        """A file that looks like a backup passes integrity_check (and holds the edit made
        just before it)."""
        self.checked.add(backup)
        found = integrity(backup)
        if found != "ok":
            result.problem("half_done", f"backup {backup.name}: {found}")
            return
        if op_id is not None:
            with reading(backup) as conn:
                row = conn.execute("SELECT 1 FROM ops WHERE op_id = ?", (op_id,)).fetchone()
            if row is None:
                result.problem("lost", f"backup {backup.name} lacks the edit made before it")

    def recover(self, result: Round) -> None:
        """Back up again (the next entry point): no temporary file left; old backups removed
        so the folder stays small over many rounds."""
        from storage import Workspace  # noqa: PLC0415

        with Workspace.open(
            self.file, key=visit_key_of(self.file), device_id="bench-check", backup=False
        ) as ws:
            made = ws.backup("manual")
        folder = self.file.parent / "backups"
        left = list(folder.glob(".workspace-*.tmp*"))
        if left:
            result.problem("other", f"backup temporaries left after the next backup: {left}")
        if integrity(made) != "ok":
            result.problem("integrity", f"backup {made.name} after recovery is damaged")
        for old in folder.glob("workspace-*.sqlite"):
            old.unlink()
        self.checked.clear()


# -- report ----------------------------------------------------------------------------------------


@dataclass
class Report:
    """The worked demo visit's draft report (with photos) written by the command line."""

    home: Path
    visit_id: str
    out: Path
    pages: int = 0

    @classmethod
    def prepare(cls, work: Path) -> Report:
        from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit  # noqa: PLC0415

        home = work / "report"
        visit_id = create_demo_visit(paths_for(home), DemoVisitOptions(photos=4))
        out = work / "out" / "report.pdf"
        out.parent.mkdir()
        return cls(home, visit_id, out)

    def command(self) -> list[str]:
        return app_command("report", "--visit", self.visit_id, "-o", str(self.out))

    @property
    def part(self) -> Path:
        return self.out.with_name(f".{self.out.name}.part")

    def round(self, rng: random.Random, delay: float) -> Round:
        """Half the rounds write over the last report, half where there is none."""
        if rng.random() < 0.5:
            self.out.unlink(missing_ok=True)
        child = run_child(self.command(), self.home, delay)
        result = Round(killed=child.killed)
        acked = child.exit_code == 0
        result.acknowledged = int(acked)
        result.leftovers = int(self.part.exists())
        self.check(result, acked=acked)
        self.recover(result)
        return result

    def check(self, result: Round, *, acked: bool) -> None:
        """No report, or a whole PDF that pypdf reads to its last page."""
        check_workspace(workspace_path(paths_for(self.home), self.visit_id), result)
        if not self.out.exists():
            if acked:
                result.problem("lost", "the report was acknowledged and is not there")
            return
        pages = pdf_pages(self.out)
        if pages is None or (self.pages and pages != self.pages):
            result.problem("half_done", f"{self.out.name} is not a whole PDF ({pages} pages)")

    def recover(self, result: Round) -> None:
        """Write the report again (the next write): whole, and no ``.part`` file left."""
        from reviewer_app.report.headless import write_report  # noqa: PLC0415

        write_report(paths_for(self.home), self.visit_id, "pdf", self.out)
        if self.part.exists():
            result.problem("other", f"{self.part.name} left after the next write")
        self.pages = self.pages or (pdf_pages(self.out) or 0)
        self.check(result, acked=True)


def pdf_pages(file: Path) -> int | None:
    """The number of pages pypdf reads from ``file`` (every page parsed), None when it cannot."""
    from pypdf import PdfReader  # noqa: PLC0415

    try:
        reader = PdfReader(file, strict=True)
        for page in reader.pages:
            page.get_contents()
        return len(reader.pages)
    except Exception:  # noqa: BLE001 (any failure to read means "not a whole PDF")
        return None


# -- photo add -------------------------------------------------------------------------------------

PHOTO_CHILD = """
import io, os, sys, uuid
from PIL import Image
from storage import Workspace
from reviewer_app.visit.session import _add_photo
file, member, key = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
ws = Workspace.open(file, key=key, device_id="bench-photo", backup=False)
print("ready", flush=True)
n = 0
while True:
    n += 1
    pixels = Image.frombytes("RGB", (320, 240), os.urandom(320 * 240 * 3))
    photo = io.BytesIO()
    pixels.resize((2400, 1800)).save(photo, format="PNG", compress_level=1)
    photo_id = str(uuid.uuid4())
    fields = {"ref": "", "caption": f"photo {n}", "observation_id": "", "author": member}
    change = _add_photo(ws, member, photo_id, photo.getvalue(), fields)
    print("done", n, photo_id, change.fields["sha256"], flush=True)
"""


@dataclass
class PhotoAdd:
    """A visit whose photos a child adds in a loop, as the window's session does."""

    home: Path
    visit_id: str
    verified: set[str] = field(default_factory=set)

    @classmethod
    def prepare(cls, work: Path) -> PhotoAdd:
        from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit  # noqa: PLC0415

        home = work / "photo-add"
        return cls(home, create_demo_visit(paths_for(home), DemoVisitOptions(photos=0)))

    @property
    def file(self) -> Path:
        return workspace_path(paths_for(self.home), self.visit_id)

    @property
    def blobs(self) -> Path:
        return self.file.parent / "blobs"

    def command(self) -> list[str]:
        return script_command(PHOTO_CHILD, str(self.file), LEAD, visit_key_of(self.file).hex())

    def round(self, _rng: random.Random, delay: float) -> Round:
        child = run_child(self.command(), self.home, delay)
        result = Round(killed=child.killed)
        done = [line.split() for line in child.lines if line.startswith("done ")]
        result.acknowledged = len(done)
        result.leftovers = len(self.incoming())
        self.check(result, done)
        self.recover(result)
        return result

    def incoming(self) -> list[Path]:
        return sorted(self.blobs.glob(f"{INCOMING_PREFIX}*"))

    def check(self, result: Round, done: list[list[str]]) -> None:
        """Every acknowledged photo there; every photo's blob there and matching its hash."""
        if not check_workspace(self.file, result):
            return
        with reading(self.file) as conn:
            rows = conn.execute(
                "SELECT entity_id, value FROM field_state WHERE entity = 'photo' "
                "AND field = 'sha256'"
            ).fetchall()
        photos = {entity_id: json.loads(value) for entity_id, value in rows}
        for _done, _n, photo_id, sha in done:
            if photos.get(photo_id) != sha:
                result.problem("lost", f"acknowledged photo {photo_id} is not in the workspace")
        for photo_id, sha in photos.items():
            if sha in self.verified:
                continue
            found = _blob_digest(self.blobs, visit_key_of(self.file), sha)
            if found is None or found[0] != sha:
                result.problem("half_done", f"photo {photo_id}: blob {sha[:12]} missing or bad")
            else:
                self.verified.add(sha)

    def recover(self, result: Round) -> None:
        """Add a photo again, some minutes later (the staleness limit is set to zero to stand
        for them): no ``.incoming-*`` file left. A fresh one is kept, since another process
        may be writing it: that the round's own are stale is what the limit stands in for."""
        with _stale_after(0.0):
            self._add_one()
        left = self.incoming()
        if left:
            result.problem("other", f"{len(left)} .incoming-* files left after the next add")
        self.check(result, [])

    def _add_one(self) -> None:
        from reviewer_app.visit.session import _add_photo  # noqa: PLC0415
        from storage import Workspace  # noqa: PLC0415

        photo = _png(os.urandom(64 * 48 * 3))
        fields = {"ref": "", "caption": "after the kill", "observation_id": "", "author": LEAD}
        with Workspace.open(
            self.file, key=visit_key_of(self.file), device_id="bench-check", backup=False
        ) as ws:
            _add_photo(ws, LEAD, os.urandom(16).hex(), photo, fields)


def _png(raw: bytes) -> bytes:
    import io  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    out = io.BytesIO()
    Image.frombytes("RGB", (64, 48), raw).save(out, format="PNG")
    return out.getvalue()


@contextlib.contextmanager
def _stale_after(seconds: float) -> Iterator[None]:
    """``STALE_INCOMING_SECONDS`` set to ``seconds`` for a while: the time that would pass
    between a crash and the next add, without waiting for it."""
    kept = attachments.STALE_INCOMING_SECONDS
    attachments.STALE_INCOMING_SECONDS = seconds
    try:
        yield
    finally:
        attachments.STALE_INCOMING_SECONDS = kept


# -- the bench -------------------------------------------------------------------------------------

Action = KitOpen | BundleImport | Backup | Report | PhotoAdd
PREPARE: dict[str, Callable[[Path], Action]] = {
    "kit_open": KitOpen.prepare,
    "bundle_import": BundleImport.prepare,
    "backup": Backup.prepare,
    "report": Report.prepare,
    "photo_add": PhotoAdd.prepare,
}
LOOPS = ("backup", "photo_add")  # children that repeat their step until killed


def step_seconds(name: str, action: Action) -> float:
    """How long one run of the step takes here, start-up included: a command's whole run, or
    a loop child's time to its third "done" line. Kills are spread over 0..1.1 times this."""
    start = time.perf_counter()
    if name in LOOPS:
        child = _run_until_done(action.command(), action.home, 3)
    else:
        child = run_child(action.command(), action.home, CHILD_TIMEOUT)
        if child.exit_code != 0:
            raise RuntimeError(f"{name} did not work: {child.stderr}")
    del child
    return time.perf_counter() - start


def _run_until_done(command: list[str], home: Path, steps: int) -> Child:
    env = {**os.environ, "REVIEWER_APP_HOME": str(home), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if sum(x.startswith("done ") for x in lines) >= steps:
            break
    proc.kill()
    proc.wait()
    proc.stdout.close()
    if len(lines) < steps:
        raise RuntimeError(f"the loop child stopped early: {lines}")
    return Child(True, lines, proc.returncode)


@dataclass
class Tally:
    name: str
    rounds: list[Round] = field(default_factory=list)
    seconds: float = 0.0
    one_run: float = 0.0

    def kills(self) -> int:
        return sum(r.killed for r in self.rounds)

    def total(self, attribute: str) -> int:
        return sum(getattr(r, attribute) for r in self.rounds)

    def notes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rounds:
            for key, n in r.notes.items():
                out[key] = out.get(key, 0) + n
        return out

    @property
    def failed(self) -> bool:
        return any(r.problems for r in self.rounds)


def run_action(name: str, kills: int, rng: random.Random, work: Path) -> Tally:
    """Prepare the action, time one run, then kill it ``kills`` times."""
    started = time.perf_counter()
    action = PREPARE[name](work)
    tally = Tally(name, one_run=step_seconds(name, action))
    if name in ("backup", "photo_add"):
        action.recover(Round())  # the timing run was killed too: start from a clean folder
    while tally.kills() < kills:
        result = action.round(rng, rng.uniform(0.0, tally.one_run * 1.1))
        tally.rounds.append(result)
        if result.problems:
            print(
                f"{name} round {len(tally.rounds)}: {'; '.join(result.problems[:3])}",
                file=sys.stderr,
            )
    tally.seconds = time.perf_counter() - started
    return tally


def report(tally: Tally) -> None:
    notes = ", ".join(f"{k}: {n}" for k, n in sorted(tally.notes().items())) or "none"
    print(
        f"{tally.name}: kills {tally.kills()} ({len(tally.rounds) - tally.kills()} runs ended "
        f"first; one run {tally.one_run:.2f} s), steps acknowledged "
        f"{tally.total('acknowledged')}, acknowledged lost {tally.total('lost')}, half-done "
        f"steps {tally.total('half_done')}, integrity failures "
        f"{tally.total('integrity_failures')}, leftovers cleaned by the next entry point "
        f"{tally.total('leftovers')}, noted: {notes}, seconds {tally.seconds:.0f}"
        + ("  FAIL" if tally.failed else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--action", choices=(*ACTIONS, "all"), default="all")
    parser.add_argument("--kills", type=int, default=50, help="kills per action")
    parser.add_argument("--quick", action="store_true", help="5 kills per action (make bench)")
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()
    kills = 5 if args.quick else args.kills
    names = ACTIONS if args.action == "all" else (args.action,)
    rng = random.Random(args.seed)
    use_passphrase_keys()
    print(f"kill -9 over {', '.join(names)}: {kills} kills each (seed {args.seed})", flush=True)
    failed = False
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"bench-kill-{name}-") as folder:
            tally = run_action(name, kills, rng, Path(folder))
        report(tally)
        sys.stdout.flush()
        failed = failed or tally.failed
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
