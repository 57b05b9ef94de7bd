"""The file names the window suggests for the feedback sheet and the draft report: a long
visit title is shortened at a word boundary, never mid-word ("...NHS Trus.pdf")."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from ui.lead.dialogs import ReportFiles
from ui.lead.reports import ReportPrinter, file_title

TITLE = "Review of haemoglobin disorder services, Riverside University Hospitals NHS Trust"


class _Window(QWidget):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.session = SimpleNamespace(data=SimpleNamespace(visit=SimpleNamespace(title=title)))


def suggested_names(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, title: str) -> list[str]:
    asked: list[str] = []

    def ask_save(_cls: Any, _parent: Any, _title: str, suggested: str, _filters: str) -> None:
        asked.append(suggested)

    monkeypatch.setattr(ReportFiles, "ask_save", classmethod(ask_save))
    window = _Window(title)
    qtbot.addWidget(window)
    printer = ReportPrinter(window, AppPaths.from_environment())
    printer.feedback_sheet()
    printer.draft_report()
    return asked


def test_a_long_title_is_shortened_at_a_word_boundary(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, app_home: Path
) -> None:
    assert suggested_names(qtbot, monkeypatch, TITLE) == [
        "Feedback - Review of haemoglobin disorder services, Riverside University Hospitals "
        "NHS.pdf",
        "Draft report - Review of haemoglobin disorder services, Riverside University "
        "Hospitals NHS.pdf",
    ]


def test_a_short_title_is_kept_whole() -> None:
    assert file_title("Review of Example NHS Trust") == "Review of Example NHS Trust"
    assert file_title("A/B: services?") == "AB services"
    assert file_title("???") == "visit"
