"""Logging to a rotating file in the app's log folder (made only when something is logged)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from reviewer_app.paths import AppPaths

LOG_FILE = "reviewer-app.log"


class _LazyFolderHandler(logging.handlers.RotatingFileHandler):
    """Creates the log folder on the first record, so a quiet run writes nothing."""

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def setup_logging(paths: AppPaths, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    target = str((paths.logs / LOG_FILE).resolve())
    for old in [h for h in root.handlers if isinstance(h, _LazyFolderHandler)]:
        if old.baseFilename == target:
            return
        root.removeHandler(old)  # another REVIEWER_APP_HOME (tests run many in one process)
        old.close()
    handler = _LazyFolderHandler(
        target, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
