"""Logging to a file in the app's log folder (made only when something is logged).

The file is rolled over when a run first writes to it and it has grown past ``MAX_BYTES``
(keeping ``KEEP`` old files). Rolling once per run, rather than with ``logging.handlers``, keeps
that module (and the socket and pickle modules it pulls in) out of the app's start-up.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from reviewer_app.app.paths import AppPaths

LOG_FILE = "reviewer-app.log"
MAX_BYTES = 2_000_000
KEEP = 3


class _LazyFolderHandler(logging.FileHandler):
    """Creates the log folder on the first record, so a quiet run writes nothing."""

    def _open(self) -> Any:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True)
        _roll_over(path)
        return super()._open()


def _roll_over(path: Path) -> None:
    try:
        if path.stat().st_size < MAX_BYTES:
            return
    except FileNotFoundError:
        return
    for n in range(KEEP - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{n + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


def setup_logging(paths: AppPaths, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    target = str((paths.logs / LOG_FILE).resolve())
    for old in [h for h in root.handlers if isinstance(h, _LazyFolderHandler)]:
        if old.baseFilename == target:
            return
        root.removeHandler(old)  # another REVIEWER_APP_HOME (tests run many in one process)
        old.close()
    handler = _LazyFolderHandler(target, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
