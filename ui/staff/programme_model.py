"""The Programme page's table: one row per visit (the provider, its state, then a column per
step after the visit), each step's cell on two short lines, an overdue step marked in words, in
bold and with a warning icon on a warm background (never by colour alone), a step not reached
yet in the placeholder colour; the headers carry the median days to each step."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QStyle, QWidget

from reviewer_app.staff.timeline import STEP_NAMES, STEPS, Step, Timeline, VisitLine, show_date
from ui.staff.common import Col, RecordModel
from ui.text_style import tone

# Two short lines each, so that every step's column fits a laptop's width.
HEADERS = {
    "visit_end": "Visit date",
    "feedback_sheet": "Feedback\nsheet",
    "v1_finalised": "V1\nfinalised",
    "pack_sent": "Pack\nsent",
    "comments_returned": "Comments\nreturned",
    "v2_finalised": "V2\nfinalised",
}


class TimelineModel(RecordModel):
    """One row per visit: the visit, its state, then a column per step; the headers carry the
    median days to each step."""

    def __init__(self, parent: QWidget) -> None:
        self.page = parent
        self.steps: tuple[str, ...] = STEPS
        self.medians: dict[str, str] = {}
        warning = parent.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        bold = QFont(parent.font())
        bold.setBold(True)
        self.overdue_brush = QBrush(QColor(tone(parent, "#fbe0cf", "#5c2b12")))
        self.waiting_brush = parent.palette().brush(QPalette.ColorRole.PlaceholderText)

        def step_col(step: str) -> Col:
            def cell(v: VisitLine) -> Step:
                return v.step(step)

            return Col(
                HEADERS.get(step, STEP_NAMES[step]),
                lambda v: cell_text(step, cell(v)),
                tip=lambda v: _tip(v, step),
                extra={
                    Qt.ItemDataRole.ForegroundRole: (
                        lambda v: (
                            self.waiting_brush if not (cell(v).reached or cell(v).overdue) else None
                        )
                    ),
                    Qt.ItemDataRole.DecorationRole: lambda v: warning if cell(v).overdue else None,
                    Qt.ItemDataRole.FontRole: lambda v: bold if cell(v).overdue else None,
                    Qt.ItemDataRole.BackgroundRole: (
                        lambda v: self.overdue_brush if cell(v).overdue else None
                    ),
                },
            )

        super().__init__(
            [
                Col("Provider", provider, tip=lambda v: v.title),
                Col("State", lambda v: v.state_name),
                *(step_col(s) for s in STEPS),
            ],
            parent,
        )

    def headers(self) -> Sequence[str]:
        titles = [c.title for c in self.columns]
        for i, step in enumerate(self.steps, start=2):
            median = self.medians.get(step)
            if median and step != "visit_end" and i < len(titles):
                titles[i] = f"{titles[i]}\nmedian {median}"
        return titles

    def show(self, line_up: Timeline) -> None:
        self.medians = {s: line_up.median_text(s) for s in line_up.steps}
        self.set_rows(line_up.by_state())
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)


def cell_text(step: str, cell: Step) -> str:
    """A step's cell, on two short lines so that every step fits a laptop's width: the date
    and the days from the visit, or OVERDUE and when it was due. The year is the visit date's
    (its own column); the tooltip gives the whole date."""
    if step == "visit_end":
        return show_date(cell.at) if cell.reached else ""
    if cell.reached:
        days = "" if cell.days is None else f"\n{cell.days} day{'s' if cell.days != 1 else ''}"
        return f"{_day_month(cell.at)}{days}"
    if cell.overdue:
        return f"OVERDUE\ndue {_day_month(cell.due)}"
    return f"due {_day_month(cell.due)}" if cell.due else ""


def _day_month(iso: str) -> str:
    return show_date(iso).rsplit(" ", 1)[0] if iso[:4].isdigit() else iso


def provider(v: VisitLine) -> str:
    return v.organisations[0] if v.organisations else v.title


def _tip(v: VisitLine, step: str) -> str:
    cell = v.step(step)
    name = STEP_NAMES[step]
    if cell.reached:
        return f"{name}: {show_date(cell.at)}, {cell.days} days after the visit"
    if step == "visit_end":
        return "The visit's date"
    if cell.overdue:
        return f"{name} is overdue: it was due by {show_date(cell.due)}"
    return f"{name}: due by {show_date(cell.due)}" if cell.due else f"{name}: not yet"
