from __future__ import annotations

from reviewer_app.app.cli import run

if __name__ == "__main__":
    run()
