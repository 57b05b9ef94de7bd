"""The live central service fixtures (see central_helpers.py)."""

from __future__ import annotations

from tests.server.central_helpers import central, demo_central

__all__ = ["central", "demo_central"]
