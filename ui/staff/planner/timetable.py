"""The timetable editor: sessions in time order, edited in place or in a dialog, with clashes
(same room or same person at overlapping times) shown on the rows they affect and listed
under the table. Clashes warn; they never stop anyone."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff.clashes import Clash, clashes_for, find_clashes, minutes, time_problem
from reviewer_app.staff.planner import Session, VisitPlan
from reviewer_app.staff.pool import parse_date
from ui.dialogs.base import FormDialog, warning_colour
from ui.staff.common import Col, RecordModel, button, button_row, selected_row, status_label, table

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor


CELLS = {
    "date": "date",
    "start": "start time",
    "end": "end time",
    "title": "title",
    "location": "location",
    "subteam": "sub-team",
}


def _in_order(sessions: list[Session]) -> list[Session]:
    return sorted(sessions, key=lambda s: (s.date, minutes(s.start) or 0, s.title))


def _named(session: Session) -> str:
    """A session as an edit's name says it: "Meeting with nurses (2026-12-03 09:00)"."""
    when = " ".join(p for p in (session.date, session.start) if p)
    title = session.title or "untitled"
    return f"{title} ({when})" if when else title


class SessionDialog(FormDialog):
    """One session: when, what, where, who and which standards; warns of clashes as you type."""

    def __init__(  # noqa: PLR0915 (one field after another)
        self, parent: QWidget | None, plan: VisitPlan, session: Session, refs: list[str]
    ) -> None:
        super().__init__(parent, "Timetable session")
        self.plan, self.session, self.refs = plan, session, set(refs)
        self.date = QLineEdit(session.date or plan.start_date, self)
        self.start = QLineEdit(session.start, self)
        self.start.setPlaceholderText("09:30")
        self.end = QLineEdit(session.end, self)
        self.end.setPlaceholderText("10:15")
        times = QHBoxLayout()
        for label, box in (("Date", self.date), ("From", self.start), ("To", self.end)):
            box.setAccessibleName(label)
            times.addWidget(QLabel(label, self))
            times.addWidget(box)
        self.title = QLineEdit(session.title, self)
        self.title.setAccessibleName("Title")
        self.location = QComboBox(self)
        self.location.setEditable(True)
        self.location.setAccessibleName("Location")
        self.location.addItems(
            sorted(
                {s.location for s in plan.timetable if s.location}
                | ({plan.venue} if plan.venue else set())
            )
        )
        self.location.setCurrentText(session.location)
        self.subteam = QComboBox(self)
        self.subteam.setEditable(True)
        self.subteam.setAccessibleName("Sub-team")
        self.subteam.addItems(["", *sorted({m.subteam for m in plan.team if m.subteam})])
        self.subteam.setCurrentText(session.subteam)
        self.attendees = QListWidget(self)
        self.attendees.setAccessibleName("Attendees")
        for m in plan.team:
            item = QListWidgetItem(f"{m.name} ({m.subteam})" if m.subteam else m.name)
            item.setData(Qt.ItemDataRole.UserRole, m.member_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked
                if m.member_id in session.attendees
                else Qt.CheckState.Unchecked
            )
            self.attendees.addItem(item)
        self.attendees.setMaximumHeight(self.fontMetrics().lineSpacing() * 8)
        self.standards = QLineEdit(", ".join(session.standards), self)
        self.standards.setAccessibleName("Standards discussed")
        self.standards.setPlaceholderText("refs, e.g. HN-201, HN-202")
        self.clash_label = QLabel(self)
        self.clash_label.setWordWrap(True)
        self.clash_label.setAccessibleName("Clashes")
        self.clash_label.setStyleSheet(f"color: {warning_colour(self)};")
        self.form.addRow("When", times)
        self.form.addRow("&Title", self.title)
        self.form.addRow("&Location", self.location)
        self.form.addRow("&Sub-team", self.subteam)
        self.form.addRow("&Attendees\n(none ticked:\nthe sub-team,\nor everyone)", self.attendees)
        self.form.addRow("S&tandards", self.standards)
        self.body.addWidget(self.clash_label)
        self.setMinimumSize(QSize(620, 0))
        for box in (self.date, self.start, self.end, self.title, self.standards):
            box.textChanged.connect(self.validate)
        self.location.currentTextChanged.connect(self.validate)
        self.subteam.currentTextChanged.connect(self.validate)
        self.attendees.itemChanged.connect(lambda _i: self.validate())
        self.validate()

    def value(self) -> Session:
        ticked = tuple(
            str(self.attendees.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.attendees.count())
            if self.attendees.item(i).checkState() == Qt.CheckState.Checked
        )
        refs = tuple(
            dict.fromkeys(
                r.strip() for r in self.standards.text().replace(";", ",").split(",") if r.strip()
            )
        )
        return replace(
            self.session,
            date=parse_date(self.date.text()) or self.date.text().strip(),
            start=self.start.text().strip(),
            end=self.end.text().strip(),
            title=self.title.text().strip(),
            location=self.location.currentText().strip(),
            subteam=self.subteam.currentText().strip(),
            attendees=ticked,
            standards=refs,
        )

    def problem(self) -> str:
        s = self.value()
        if not s.title:
            return "Give the session a title."
        if parse_date(self.date.text()) in (None, ""):
            return "Write the date like 2026-12-03."
        problem = time_problem(s)
        if problem:
            return problem
        unknown = [r for r in s.standards if self.refs and r not in self.refs]
        if unknown:
            return f"Not in the visit's standards: {', '.join(unknown)}."
        return ""

    def validate(self) -> None:
        super().validate()
        s = self.value()
        others = [o for o in self.plan.timetable if o.id != s.id]
        clashes = clashes_for(s.id, find_clashes([*others, s], self.plan.visit_details().team))
        self.clash_label.setText("\n".join(f"⚠ {c.message}" for c in clashes))
        self.clash_label.setVisible(bool(clashes))

    @classmethod
    def ask(
        cls, parent: QWidget | None, plan: VisitPlan, session: Session, refs: list[str]
    ) -> Session | None:
        dialog = cls(parent, plan, session, refs)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


class TimetableTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:  # noqa: PLR0915 (one table, many columns)
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Timetable")
        self.clashes: list[Clash] = []
        self.status = status_label(self, "Timetable status")
        layout = QVBoxLayout(self)
        self.add_button = button(self, "&Add session…", self.add)
        self.edit_button = button(self, "&Edit session…", self.edit)
        self.copy_button = button(
            self,
            "&Duplicate",
            self.duplicate,
            "A copy of the chosen session, to change its time or room",
        )
        self.remove_button = button(self, "&Remove", self.remove)
        layout.addLayout(
            button_row(self.add_button, self.edit_button, self.copy_button, self.remove_button)
        )
        warn = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

        def names(s: Session) -> str:
            plan = self.editor.plan
            people = [m.name if (m := plan.member(a)) else a for a in s.attendees]
            return ", ".join(people) or (f"sub-team {s.subteam}" if s.subteam else "everyone")

        self.model = RecordModel(
            [
                Col("Date", lambda s: s.date, edit=self._editor("date")),
                Col("From", lambda s: s.start, edit=self._editor("start")),
                Col("To", lambda s: s.end, edit=self._editor("end")),
                Col("Session", lambda s: s.title, edit=self._editor("title")),
                Col("Location", lambda s: s.location, edit=self._editor("location")),
                Col("Sub-team", lambda s: s.subteam, edit=self._editor("subteam")),
                Col("Attendees", names),
                Col("Standards", lambda s: ", ".join(s.standards)),
                Col(
                    "Clashes",
                    self._clash_text,
                    tip=self._clash_tip,
                    extra={
                        Qt.ItemDataRole.DecorationRole: lambda s: (
                            warn if clashes_for(s.id, self.clashes) else None
                        )
                    },
                ),
            ],
            self,
        )
        self.view = table(self, self.model, "Sessions")
        self.view.doubleClicked.connect(lambda i: self.edit() if i.column() >= 6 else None)
        self.model.rejected.connect(self.status.setText)
        self.model.edited.connect(self.refresh)
        layout.addWidget(self.view, 1)
        self.clash_list = QListWidget(self)
        self.clash_list.setAccessibleName("Clashes in the timetable")
        self.clash_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.clash_list.setStyleSheet(f"color: {warning_colour(self)};")
        layout.addWidget(self.clash_list)
        layout.addWidget(self.status)

    def _clash_text(self, s: Session) -> str:
        mine = clashes_for(s.id, self.clashes)
        kinds = sorted({"room" if c.kind == "room" else "people" for c in mine})
        return f"{' and '.join(kinds)} clash" if mine else ""

    def _clash_tip(self, s: Session) -> str:
        return "\n".join(c.message for c in clashes_for(s.id, self.clashes))

    def refresh(self) -> None:
        plan = self.editor.plan
        plan.timetable = _in_order(plan.timetable)
        self.clashes = find_clashes(plan.timetable, plan.visit_details().team)
        self.model.set_rows(plan.timetable)
        self.view.resizeColumnsToContents()
        self.view.setColumnWidth(3, min(self.view.columnWidth(3), 320))
        self.view.setColumnWidth(4, min(self.view.columnWidth(4), 240))
        self.view.setColumnWidth(6, min(self.view.columnWidth(6), 220))
        self.clash_list.clear()
        self.clash_list.addItems([f"⚠ {c.message}" for c in self.clashes])
        self.clash_list.setVisible(bool(self.clashes))
        count = len(plan.timetable)
        self.status.setText(
            f"{count} sessions"
            + (f"; {len(self.clashes)} clashes to look at" if self.clashes else "; no clashes")
            if count
            else "No sessions yet: add the visit's meetings, tours and reading time."
        )

    def _editor(self, name: str) -> Any:
        def edit(row: int, text: str) -> str:
            plan = self.editor.plan
            value = text.strip()
            if name == "date":
                value = parse_date(value) or ""
                if not value:
                    return f'"{text}" is not a date; write it like 2026-12-03.'
            updated = replace(plan.timetable[row], **{name: value})  # type: ignore[arg-type]
            if name in ("start", "end", "title") and time_problem(updated):
                return time_problem(updated)

            def change(plan: VisitPlan) -> None:
                plan.timetable[row] = updated

            was = _named(plan.timetable[row])
            self.editor.apply(f"Change the {CELLS[name]} of {was}", change)
            return ""

        return edit

    def _refs(self) -> list[str]:
        standards = self.editor.standards
        return [s.ref for s in standards.standards] if standards else []

    def add(self) -> None:
        plan = self.editor.plan
        last = plan.timetable[-1] if plan.timetable else None
        blank = Session(
            plan.new_session_id(),
            last.date if last else plan.start_date,
            last.end if last else "09:00",
            "",
            "",
            last.location if last else "",
        )
        session = SessionDialog.ask(self, plan, blank, self._refs())
        if session is not None:
            self.editor.apply(
                f"Add the session {_named(session)}", lambda plan: plan.timetable.append(session)
            )
            self.refresh()

    def edit(self) -> None:
        row = selected_row(self.view)
        plan = self.editor.plan
        if not 0 <= row < len(plan.timetable):
            self.status.setText("Choose a session first.")
            return
        session = SessionDialog.ask(self, plan, plan.timetable[row], self._refs())
        if session is not None:

            def change(plan: VisitPlan) -> None:
                plan.timetable[row] = session

            self.editor.apply(f"Change the session {_named(session)}", change)
            self.refresh()

    def duplicate(self) -> None:
        row = selected_row(self.view)
        plan = self.editor.plan
        if 0 <= row < len(plan.timetable):
            copied = replace(plan.timetable[row], id=plan.new_session_id())
            self.editor.apply(
                f"Duplicate the session {_named(copied)}",
                lambda plan: plan.timetable.append(copied),
            )
            self.refresh()

    def remove(self) -> None:
        row = selected_row(self.view)
        plan = self.editor.plan
        if 0 <= row < len(plan.timetable):
            gone = plan.timetable[row]

            def change(plan: VisitPlan) -> None:
                del plan.timetable[row]

            self.editor.apply(f"Remove the session {_named(gone)}", change)
            self.refresh()
