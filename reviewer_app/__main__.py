from __future__ import annotations

import sys

from reviewer_app.app.cli import run

if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        # In the one-folder bundle, a second process (reading the next team bundle ahead)
        # starts as this program: this lets it run what it was started for instead of the app.
        # (Only there: importing multiprocessing costs every start a few milliseconds.)
        import multiprocessing  # noqa: PLC0415

        multiprocessing.freeze_support()
    run()
