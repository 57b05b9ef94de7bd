"""The live central service fixtures for the client and outbox tests (see
tests/server/central_helpers.py): defined once there, made visible here as tests/server does."""

from __future__ import annotations

from tests.server.central_helpers import central, demo_central

__all__ = ["central", "demo_central"]
