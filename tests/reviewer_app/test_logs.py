from __future__ import annotations

import logging
from pathlib import Path

from reviewer_app.app import logs
from reviewer_app.app.paths import AppPaths


def test_a_quiet_run_writes_nothing_and_a_big_log_rolls_over(app_home: Path) -> None:
    paths = AppPaths.from_environment()
    logs.setup_logging(paths)
    assert not paths.logs.exists()
    paths.logs.mkdir(parents=True)
    log_file = paths.logs / logs.LOG_FILE
    log_file.write_bytes(b"x" * logs.MAX_BYTES)
    (paths.logs / f"{logs.LOG_FILE}.1").write_text("older\n")
    logging.getLogger("test").warning("a new run")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "a new run" in log_file.read_text()
    assert (paths.logs / f"{logs.LOG_FILE}.1").stat().st_size == logs.MAX_BYTES
    assert (paths.logs / f"{logs.LOG_FILE}.2").read_text() == "older\n"
