from __future__ import annotations

import multiprocessing

from reviewer_app.app.cli import run

if __name__ == "__main__":
    # In the one-folder bundle, a second process (reading the next team bundle ahead) starts
    # as this program: this lets it run what it was started for instead of the app.
    multiprocessing.freeze_support()
    run()
