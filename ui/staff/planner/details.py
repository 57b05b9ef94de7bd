"""Visit details: programme, title, network, dates, venue; organisations, sites, components."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff.planner import Component, Organisation, Site
from reviewer_app.staff.pool import parse_date
from ui.staff.common import Col, RecordModel, button, button_row, selected_row, status_label, table

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor

TEXT_FIELDS = (
    ("programme", "&Programme", "e.g. Haemoglobin Disorders Peer Review Programme 2026/27"),
    ("title", "&Title", "e.g. Review of haemoglobin disorder services, Riverside Hospitals"),
    ("network", "&Network", "the network or region (optional)"),
    ("venue", "&Venue", "where the team meets"),
)
DATE_FIELDS = (("start_date", "&First day"), ("end_date", "&Last day"))


class RecordList(QGroupBox):
    """A small editable table over one of the plan's lists of records, with Add and Remove."""

    def __init__(  # noqa: PLR0917
        self,
        editor: PlanEditor,
        title: str,
        attr: str,
        labels: dict[str, str],
        make: Callable[[int], Any],
        parent: QWidget,
    ) -> None:
        super().__init__(title, parent)
        self.editor = editor
        self.attr = attr
        self.make = make
        names = list(labels)
        self.model = RecordModel(
            [Col(labels[n], _getter(n), edit=self._editor(n)) for n in names], self
        )
        self.view = table(self, self.model, title)
        self.view.setMinimumHeight(self.fontMetrics().lineSpacing() * 7)
        noun = title.lower().rstrip("s")
        add = button(self, f"Add {noun}", self.add)
        remove = button(self, f"Remove {noun}", self.remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(button_row(add, remove))
        self.model.rejected.connect(editor.details.say)

    @property
    def items(self) -> list[Any]:
        return getattr(self.editor.plan, self.attr)  # type: ignore[no-any-return]

    def refresh(self) -> None:
        self.model.set_rows(self.items)

    def _editor(self, name: str) -> Callable[[int, str], str]:
        def edit(row: int, text: str) -> str:
            text = text.strip()
            if name in ("id", "name") and not text:
                return f"The {name} cannot be empty."
            if name == "id" and any(i.id == text for j, i in enumerate(self.items) if j != row):
                return f'Another row already has the id "{text}".'
            self.items[row] = replace(self.items[row], **{name: text})
            self.model.rows = list(self.items)
            self.editor.changed()
            return ""

        return edit

    def add(self) -> None:
        self.items.append(self.make(len(self.items) + 1))
        self.refresh()
        self.editor.changed()
        index = self.model.index(len(self.items) - 1, 1)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove(self) -> None:
        row = selected_row(self.view)
        if 0 <= row < len(self.items):
            del self.items[row]
            self.refresh()
            self.editor.changed()


def _getter(name: str) -> Callable[[Any], str]:
    return lambda r: str(getattr(r, name))


class DetailsTab(QWidget):
    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setAccessibleName("Visit details")
        editor.details = self  # the record lists report through say()
        outer = QVBoxLayout(self)
        form = QFormLayout()
        self.boxes: dict[str, QLineEdit] = {}
        for name, label, hint in TEXT_FIELDS:
            box = QLineEdit(self)
            box.setPlaceholderText(hint)
            box.setAccessibleName(label.replace("&", ""))
            box.textEdited.connect(lambda text, n=name: self._text(n, text))
            form.addRow(label, box)
            self.boxes[name] = box
        dates = QHBoxLayout()
        for name, label in DATE_FIELDS:
            box = QLineEdit(self)
            box.setPlaceholderText("2026-12-03 or 03/12/2026")
            box.setAccessibleName(label.replace("&", ""))
            box.editingFinished.connect(lambda n=name: self._date(n))
            caption = QLabel(label, self)
            caption.setBuddy(box)
            dates.addWidget(caption)
            dates.addWidget(box)
            self.boxes[name] = box
        form.addRow("Dates", dates)
        outer.addLayout(form)
        lists = QHBoxLayout()
        self.organisations = RecordList(
            editor,
            "Organisations",
            "organisations",
            {"id": "Id", "name": "Name"},
            lambda n: Organisation(f"org-{n}", "New organisation"),
            self,
        )
        self.sites = RecordList(
            editor,
            "Sites",
            "sites",
            {
                "id": "Id",
                "name": "Name",
                "organisation": "Organisation id",
                "reviewed_as": "Reviewed as",
            },
            lambda n: Site(f"site-{n}", "New site"),
            self,
        )
        self.components = RecordList(
            editor,
            "Components",
            "components",
            {"id": "Id", "name": "Name", "site": "Site id"},
            lambda n: Component(f"c{n}", "New component"),
            self,
        )
        lists.addWidget(self.organisations)
        lists.addWidget(self.sites)
        outer.addLayout(lists)
        outer.addWidget(self.components, 1)
        self.status = status_label(self, "Details status")
        outer.addWidget(self.status)

    def say(self, text: str) -> None:
        self.status.setText(text)

    def refresh(self) -> None:
        plan = self.editor.plan
        for name, box in self.boxes.items():
            if not box.hasFocus():
                box.setText(str(getattr(plan, name)))
        for part in (self.organisations, self.sites, self.components):
            part.refresh()
        self.components.view.setColumnWidth(1, 320)

    def _text(self, name: str, text: str) -> None:
        setattr(self.editor.plan, name, text.strip())
        self.editor.changed()

    def _date(self, name: str) -> None:
        box = self.boxes[name]
        value = parse_date(box.text())
        if value is None:
            self.say(f'"{box.text()}" is not a date; write it like 2026-12-03 or 03/12/2026.')
            return
        self.say("")
        if value != getattr(self.editor.plan, name):
            setattr(self.editor.plan, name, value)
            self.editor.changed()
        box.setText(value)
