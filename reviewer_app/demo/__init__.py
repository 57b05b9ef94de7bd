"""The demo visit and synthetic kits for benchmarks."""

from __future__ import annotations

import json

from reviewer_app.app.paths import DEMO_DIR


def demo_visit_id() -> str:
    """The demo visit's id, read without the kit model (``kits.demo_visit().visit_id``): the
    window's start fetches its key before importing the rest."""
    with open(DEMO_DIR / "visit.json", encoding="utf-8") as fh:
        return str(json.load(fh)["visit_id"])
