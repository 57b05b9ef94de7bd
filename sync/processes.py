"""Worker processes that end with the app: a pool of one spawned process for slow, crashable
reading (a kit's documents, a team bundle read ahead).

A ``ProcessPoolExecutor`` worker waits on a queue whose writing end it holds itself, so when
the app is killed (a laptop's battery, kill -9) the worker never sees the end of its queue and
lives on, idle, holding 40 MB. Each worker here watches its parent and ends when it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK_S = 1.0  # how often a worker looks for its parent


def single_worker_pool() -> ProcessPoolExecutor:
    """A pool of one worker process, started afresh ("spawn"), that ends when this process does."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    )


def _watch_parent(parent: int) -> None:
    """(In the worker.) End this process once ``parent`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
