"""Visit details: programme, title, network, dates, venue; organisations, sites, components.

Staff work by name: organisations and sites get their ids made for them (the kit needs ids, no
person should type one), a site chooses its organisation and a component its site from a list.
A component keeps a visible id: it is the short code spreadsheets use ("shc", "lht").
Dates are picked from a calendar; "Not set" (the earliest date) means no date yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff.planner import Component, Organisation, Site, VisitPlan
from ui.staff.common import Col, RecordModel, button, button_row, selected_row, status_label, table

if TYPE_CHECKING:
    from ui.staff.planner.page import PlanEditor

Index = QModelIndex | QPersistentModelIndex
TEXT_FIELDS = (
    ("programme", "&Programme", "e.g. Haemoglobin Disorders Peer Review Programme 2026/27"),
    ("title", "&Title", "e.g. Review of haemoglobin disorder services, Riverside Hospitals"),
    ("network", "&Network", "the network or region (optional)"),
    ("venue", "&Venue", "where the team meets"),
)
DATE_FIELDS = (("start_date", "&First day"), ("end_date", "&Last day"))
LABELS = {name: label.replace("&", "").lower() for name, label, *_ in (*TEXT_FIELDS, *DATE_FIELDS)}
NO_DATE = QDate(2000, 1, 1)  # shown as "Not set"
Choices = Callable[[], list[tuple[str, str]]]  # (id, name), "" first for none


@dataclass(frozen=True)
class Field:
    """One column of a record list: the record's attribute, its heading, and (for a link to
    another record) the choices offered, by name."""

    attr: str
    label: str
    choices: Choices | None = None
    required: bool = False


class ChoiceDelegate(QStyledItemDelegate):
    """Edits a link column with a combo box of names; the model is given the chosen id."""

    def __init__(self, choices: Choices, parent: QWidget) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, _option: QStyleOptionViewItem, _index: Index) -> Any:
        box = QComboBox(parent)
        box.setAccessibleName("Choose")
        for cid, name in self.choices():
            box.addItem(name or "(none)", cid)
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        current = index.data(Qt.ItemDataRole.UserRole)
        at = editor.findData(current)
        editor.setCurrentIndex(max(at, 0))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)


def new_id(prefix: str, taken: Sequence[str], name: str = "") -> str:
    """An id nobody types: from the name when there is one, unique among ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:24] or prefix
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class RecordList(QGroupBox):
    """A small editable table over one of the plan's lists of records, with Add and Remove."""

    def __init__(  # noqa: PLR0917
        self,
        editor: PlanEditor,
        title: str,
        attr: str,
        columns: Sequence[Field],
        make: Callable[[list[Any]], Any],
        parent: QWidget,
    ) -> None:
        super().__init__(title, parent)
        self.editor = editor
        self.attr = attr
        self.make = make
        self.model = RecordModel([self._column(f) for f in columns], self)
        self.view = table(self, self.model, title)
        self.view.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for i, f in enumerate(columns):
            if f.choices is not None:
                self.view.setItemDelegateForColumn(i, ChoiceDelegate(f.choices, self.view))
        self.view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.noun = noun = title.lower().removesuffix("s")
        self.add_button = button(self, f"Add {noun}", self.add)
        self.remove_button = button(self, f"Remove {noun}", self.remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        layout.addLayout(button_row(self.add_button, self.remove_button))
        self.model.rejected.connect(editor.details.say)
        # What else goes with a removed record (in the plan given), in the same edit.
        self.removed: Callable[[VisitPlan, Any], None] = lambda _plan, _record: None

    def _column(self, f: Field) -> Col:
        if f.choices is None:
            return Col(
                f.label,
                lambda r: str(getattr(r, f.attr)),
                edit=self._editor(f),
                tip=lambda r: str(getattr(r, f.attr)),
            )
        choices = f.choices

        def name(r: Any) -> str:
            value = getattr(r, f.attr)
            return next((n for cid, n in choices() if cid == value and cid), value)

        return Col(
            f.label,
            name,
            edit=self._editor(f),
            tip=lambda r: f"{name(r) or 'None'}: double-click to choose",
            extra={Qt.ItemDataRole.UserRole: lambda r: getattr(r, f.attr)},
        )

    @property
    def items(self) -> list[Any]:
        return self._items(self.editor.plan)

    def refresh(self) -> None:
        self.model.set_rows(self.items)

    def _editor(self, f: Field) -> Callable[[int, str], str]:
        def edit(row: int, text: str) -> str:
            text = text.strip()
            if f.required and not text:
                return f"The {f.label.lower()} cannot be empty."
            if f.attr == "id" and any(i.id == text for j, i in enumerate(self.items) if j != row):
                return f'Another row already has the id "{text}".'
            record = self.items[row]
            if f.attr == "name":
                name = f"Name the {self.noun} {text}"
            else:
                owner = record.name or f"the {self.noun}"
                name = f"Change {owner}'s {f.label.lower()}"

            def change(plan: VisitPlan) -> None:
                items = getattr(plan, self.attr)
                items[row] = replace(items[row], **{f.attr: text})

            self.editor.apply(name, change)
            self.model.rows = list(self.items)
            return ""

        return edit

    def add(self) -> None:
        def change(plan: VisitPlan) -> None:
            items = self._items(plan)
            items.append(self.make(items))

        self.editor.apply(f"Add {self.noun}", change)
        self.refresh()
        name_column = next(i for i, c in enumerate(self.model.columns) if c.title == "Name")
        index = self.model.index(len(self.items) - 1, name_column)
        self.view.setCurrentIndex(index)
        self.view.edit(index)

    def remove(self) -> None:
        row = selected_row(self.view)
        if not 0 <= row < len(self.items):
            return

        def change(plan: VisitPlan) -> None:
            self.removed(plan, self._items(plan).pop(row))

        gone = self.items[row]
        self.editor.apply(f"Remove {self.noun} {gone.name}".strip(), change)
        self.editor.details.refresh()  # the lists that pointed at it too

    def _items(self, plan: VisitPlan) -> list[Any]:
        return getattr(plan, self.attr)  # type: ignore[no-any-return]


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
        form.addRow("Dates", self._date_row())
        outer.addLayout(form)
        self._lists(outer)
        self.status = status_label(self, "Details status")
        outer.addWidget(self.status)

    def _date_row(self) -> QHBoxLayout:
        dates = QHBoxLayout()
        self.dates: dict[str, QDateEdit] = {}
        for name, label in DATE_FIELDS:
            box = QDateEdit(self)
            box.setCalendarPopup(True)
            box.setDisplayFormat("ddd d MMM yyyy")
            box.setMinimumDate(NO_DATE)
            box.setSpecialValueText("Not set")
            box.setAccessibleName(label.replace("&", ""))
            box.setDate(NO_DATE)
            box.dateChanged.connect(lambda value, n=name: self._date(n, value))
            caption = QLabel(label, self)
            caption.setBuddy(box)
            dates.addWidget(caption)
            dates.addWidget(box)
            self.dates[name] = box
        dates.addStretch(1)
        return dates

    def _lists(self, outer: QVBoxLayout) -> None:
        self.organisations = RecordList(
            self.editor,
            "Organisations",
            "organisations",
            [Field("name", "Name", required=True)],
            lambda items: Organisation(new_id("org", [o.id for o in items]), "New organisation"),
            self,
        )
        self.sites = RecordList(
            self.editor,
            "Sites",
            "sites",
            [
                Field("name", "Name", required=True),
                Field("organisation", "Organisation", choices=self._organisations),
                Field("reviewed_as", "Reviewed as"),
            ],
            lambda items: Site(
                new_id("site", [s.id for s in items]),
                "New site",
                self._only_organisation(),
            ),
            self,
        )
        self.components = RecordList(
            self.editor,
            "Components",
            "components",
            [
                Field("id", "Id", required=True),
                Field("name", "Name", required=True),
                Field("site", "Site", choices=self._sites),
            ],
            lambda items: Component(new_id("c", [c.id for c in items]), "New component"),
            self,
        )
        self.organisations.removed = self._organisation_removed
        self.sites.removed = self._site_removed
        header = self.components.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        lists = QHBoxLayout()
        lists.addWidget(self.organisations, 2)
        lists.addWidget(self.sites, 3)
        outer.addLayout(lists, 1)
        outer.addWidget(self.components, 1)

    def _only_organisation(self) -> str:
        """A new site belongs to the visit's organisation when there is just one."""
        orgs = self.editor.plan.organisations
        return orgs[0].id if len(orgs) == 1 else ""

    def _organisations(self) -> list[tuple[str, str]]:
        return [("", ""), *((o.id, o.name) for o in self.editor.plan.organisations)]

    def _sites(self) -> list[tuple[str, str]]:
        return [("", ""), *((s.id, s.name) for s in self.editor.plan.sites)]

    @staticmethod
    def _organisation_removed(plan: VisitPlan, gone: Organisation) -> None:
        plan.sites = [
            replace(s, organisation="") if s.organisation == gone.id else s for s in plan.sites
        ]

    @staticmethod
    def _site_removed(plan: VisitPlan, gone: Site) -> None:
        plan.components = [replace(c, site="") if c.site == gone.id else c for c in plan.components]

    def say(self, text: str) -> None:
        self.status.setText(text)

    def refresh(self) -> None:
        plan = self.editor.plan
        for name, box in self.boxes.items():
            text = str(getattr(plan, name))
            if box.text().strip() != text:  # not while typing: the plan keeps it stripped
                box.setText(text)
        for name, date_box in self.dates.items():
            value = QDate.fromString(str(getattr(plan, name)), Qt.DateFormat.ISODate)
            date_box.blockSignals(True)
            date_box.setDate(value if value.isValid() else NO_DATE)
            date_box.blockSignals(False)
        for part in (self.organisations, self.sites, self.components):
            part.refresh()

    def _text(self, name: str, text: str) -> None:
        self.editor.apply(
            f"Change the visit's {LABELS[name]}",
            lambda plan: setattr(plan, name, text.strip()),
            merge=f"details {name}",  # typing in one box is one edit
        )

    def _date(self, name: str, value: QDate) -> None:
        text = "" if value == NO_DATE else value.toString(Qt.DateFormat.ISODate)
        plan = self.editor.plan
        if text == getattr(plan, name):
            return

        def change(plan: VisitPlan) -> bool:
            setattr(plan, name, text)
            if name == "start_date" and text and (not plan.end_date or plan.end_date < text):
                plan.end_date = text  # a one-day visit unless staff say otherwise
                return True
            return False

        moved_end = self.editor.apply(
            f"Change the visit's {LABELS[name]}", change, merge=f"details {name}"
        )
        if moved_end:
            self.refresh()
        elif name == "end_date" and text and plan.start_date and text < plan.start_date:
            self.say("The last day is before the first day: choose the dates again.")
        else:
            self.say("")
