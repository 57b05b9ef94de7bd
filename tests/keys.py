"""Keys for tests that open a workspace themselves (every workspace is encrypted).

- ``TEST_KEY``: the key of workspaces a storage test makes at a path of its own.
- ``app_key(file)``: the key the app keeps for a workspace it made (``open_kit``) at ``file``,
  from this process's keyring (the tests' in-memory one) or its memory: what a test needs to
  open that workspace the way the app would.
"""

from __future__ import annotations

from pathlib import Path

from storage.visit_keys import VisitKeys

TEST_KEY = bytes(range(32))
TEST_KEY_HEX = TEST_KEY.hex()


def app_key(file: Path) -> bytes:
    """The key of the app-made workspace ``file`` (``<visits>/<visit id>/workspace.sqlite``)."""
    folder = Path(file).parent
    return VisitKeys().get(folder.name, folder)
