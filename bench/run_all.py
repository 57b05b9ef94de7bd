"""Run every benchmark in bench/ and print its figures (`make bench`).

Benchmarks print figures; they are not timed tests and never fail on a budget.

Every visit is encrypted, its key kept in the desktop's password store: the benchmarks run
with a real one, as on a reviewer's laptop (gnome-keyring's Secret Service on a private session
bus, started here when there is no session bus and stopped at the end). Without one, the key
would be wrapped with a passphrase (``REVIEWER_APP_PASSPHRASE``), and each process would pay
scrypt (~0.3 s) once: a dialog on a real laptop, not part of any budgeted step.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
SCRIPTS = [
    "edit_latency.py",
    "kit_import.py",
    "standards_import.py",
    "kill_edits.py",
    "startup.py",
    "navigation.py",
    "doc_index.py --runs 1 --files 50",  # indexing 50 real PDFs of 10 pages, and searching
    "ui_stall.py",
    "merge.py --runs 5",  # DESIGN.md: a figure counts in a run of at least five
    "big_bundle.py",
    "big_photo.py",
    "kill_actions.py --quick",  # 5 kills per action, about a minute and a half
    "push_blobs.py",  # 200 MB of attachments to the local service, against a raw upload
    "submissions.py",  # the central service: SQLite, and PostgreSQL with two processes
    "report.py",  # the draft report, 500 and 1000 standards x 3, PDF and DOCX
]


@contextlib.contextmanager
def password_store() -> Iterator[dict[str, str]]:
    """The environment the benchmarks run in: with a Secret Service to keep the keys."""
    from tests import keyring_service  # noqa: PLC0415 (the tests' real keyring, reused)

    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("keys: the session's own password store", flush=True)
        yield dict(os.environ)
        return
    missing = keyring_service.missing_programs()
    if missing:
        print(f"keys: wrapped with a passphrase ({', '.join(missing)} not installed)", flush=True)
        yield {**os.environ, "REVIEWER_APP_PASSPHRASE": "bench passphrase"}
        return
    with (
        tempfile.TemporaryDirectory(prefix="rv-bench-keyring-") as root,
        keyring_service.running(Path(root)) as service,
    ):
        print("keys: a Secret Service password store (gnome-keyring)", flush=True)
        yield {**os.environ, "DBUS_SESSION_BUS_ADDRESS": service.address}


def main() -> int:
    with password_store() as env:
        for entry in SCRIPTS:
            name, *args = entry.split()
            script = HERE / name
            if not script.exists():
                continue
            print(f"\n== {entry} ==", flush=True)
            subprocess.run([sys.executable, str(script), *args], check=False, env=env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
