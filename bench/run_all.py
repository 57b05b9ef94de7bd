"""Run every benchmark in bench/ and print its figures (`make bench`).

Benchmarks print figures; they are not timed tests and never fail on a budget.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
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


def main() -> int:
    for entry in SCRIPTS:
        name, *args = entry.split()
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n== {entry} ==", flush=True)
        subprocess.run([sys.executable, str(script), *args], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
