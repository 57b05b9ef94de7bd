"""The start screen with a damaged visit: a row that says so and offers the backups, never an
empty list or an error (pytest-qt, offscreen). The damage is real bytes flipped in the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from helpers import WAIT, message_boxes
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import (
    WorkspaceDamaged,
    open_kit,
    open_session,
    workspace_backups,
    workspace_path,
)
from tests.keys import app_key
from ui.start_screen import DAMAGED_TITLE, StartScreen, VisitRole
from ui.workspace_problem import WorkspaceProblemDialog

MARK = "Rota-gap-seen-on-ward-7"
PAGE, RESERVE, SALT = 4096, 16 + 64, 16  # SQLCipher 4's page, its IV + HMAC-SHA512, the salt


@pytest.fixture
def visit(paths: AppPaths, demo_kit_file: Path) -> str:
    """The demo visit with notes holding MARK, and a backup of each open after an edit."""
    visit_id = open_kit(demo_kit_file, "m-cns", paths=paths, demo=True).visit_id
    for text in (f"{MARK}: nights", f"{MARK}: weekends"):
        session = open_session(paths, visit_id).result(timeout=30)
        session.add_note("HN-101", text).result(timeout=30)
        session.close()
    open_session(paths, visit_id).result(timeout=30).close()
    assert len(workspace_backups(paths, visit_id)) == 3
    return visit_id


def _flip(file: Path, text: bytes) -> None:
    """Flip a byte of every page of the (encrypted) workspace whose plaintext holds ``text``.

    SQLCipher 4 with a raw key: each page is AES-256-CBC under the key itself, its IV in the
    page's reserved tail (IV, then the HMAC that now fails), page 1 after a 16-byte salt."""
    key = app_key(file)
    data = bytearray(file.read_bytes())
    hits = 0
    for start in range(0, len(data), PAGE):
        begin = start + (SALT if start == 0 else 0)
        end = start + PAGE - RESERVE
        decrypt = Cipher(algorithms.AES(key), modes.CBC(bytes(data[end : end + 16]))).decryptor()
        plain = decrypt.update(bytes(data[begin:end])) + decrypt.finalize()
        at = plain.find(text)
        if at >= 0:
            data[begin + at] ^= 0xFF
            hits += 1
    assert hits > 0
    file.write_bytes(bytes(data))


def _in_the_title(paths: AppPaths, visit: str) -> None:
    """The kit's manifest, which the list reads for the title: the list itself fails."""
    _flip(workspace_path(paths, visit), b"Review of haemoglobin")


def _in_a_note(paths: AppPaths, visit: str) -> None:
    _flip(workspace_path(paths, visit), MARK.encode())


@pytest.mark.parametrize("damage", [_in_the_title, _in_a_note])
def test_a_damaged_visit_is_a_row_that_says_so_and_opens_its_backups(
    qtbot: QtBot,
    paths: AppPaths,
    visit: str,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[AppPaths, str], None],
) -> None:
    damage(paths, visit)
    backups = workspace_backups(paths, visit)
    screen = StartScreen(paths, demo=True)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=WAIT)
    row = screen.model.index(0, 0)
    listed = row.data(VisitRole)
    assert listed.damaged and listed.backups == tuple(backups)
    text = row.data()
    assert "damaged" in text.lower() or DAMAGED_TITLE in text
    assert f"go back to one of {len(backups)} backups" in text and "the newest from" in text
    assert row.data(Qt.ItemDataRole.DecorationRole) is not None  # the warning icon
    assert screen.recent.isVisible() and not screen.no_visits.isVisible()

    shown: list[WorkspaceDamaged] = []

    def ask(cls: Any, parent: Any, problem: WorkspaceDamaged, title: str = "") -> None:
        shown.append(problem)

    monkeypatch.setattr(WorkspaceProblemDialog, "ask", classmethod(ask))
    screen.recent.setCurrentIndex(row)
    qtbot.keyClick(screen.recent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    qtbot.waitUntil(lambda: not screen.opener.working, timeout=WAIT)
    assert shown[0].backups == backups
    assert message_boxes() == []  # the problem dialog, not an error message
    assert workspace_backups(paths, visit) == backups
