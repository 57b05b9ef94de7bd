"""The team's side of the reviewer's window (issue 4): bundles, register, conflicts, overview.

``ui.team.import_export.install(window)`` adds the Team menu, bundle drops and the conflicts
badge; ``ui.team.team_judgement.TeamJudgementLine`` is the standard page's team judgement line.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ui.errors import report_error


def reporter(parent: QWidget | None, what: str) -> Callable[[BaseException], None]:
    """An ``on_error`` for ``when_done`` that tells the user once (``report_error``)."""

    def report(exc: BaseException) -> None:
        report_error(parent, exc, what)

    return report
