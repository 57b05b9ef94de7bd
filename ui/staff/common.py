"""What the staff screens share: the context object, one table model for lists of records,
file choosers tests can replace, and small layout helpers.

``StaffContext`` is passed to every page (git-cola's habit, not a global): the staff worker
(``reviewer_app.staff.service.StaffService``, which owns the staff workspace) and a small pool
for work that is slow but needs no database (reading a spreadsheet, building a kit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.staff.service import StaffService
from ui import file_dialogs
from ui.operations import TaskOp
from ui.rows_model import RowsModel
from ui.text_style import heading, muted

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the record behind a row


class StaffContext:
    """The staff window's services: the worker that owns ``staff.sqlite`` and a helper pool."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.service = StaffService.for_paths(paths)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="staff-work")
        self.closed = False  # a reply arriving after the window closed must not ask for more

    def store(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(store, *args)`` on the staff worker."""
        return self.service.submit(fn, *args)

    def work(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` off the UI thread (no database)."""
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.closed = True
        self.pool.shutdown(wait=True)
        self.service.close()


def then(
    owner: QWidget,
    future: Future[Any],
    on_result: Callable[[Any], None],
    what: str,
    on_error: Callable[[BaseException], None] | None = None,
) -> None:
    """``on_result`` on the UI thread; an error is reported once (and ``on_error`` told)."""
    task = TaskOp(owner, lambda _progress: future, what=what).success(on_result)
    if on_error is not None:
        task.failure(on_error)
    task.run()


# -- file choosers (tests replace these) ---------------------------------------------------------


# Each starts where the staff's files were last saved or opened (ui.file_dialogs).


def choose_open_file(parent: QWidget, title: str, filters: str, start: str = "") -> Path | None:
    fallback = Path(start) if start else None
    return file_dialogs.ask_open_file(parent, file_dialogs.STAFF, title, filters, fallback)


def choose_open_files(parent: QWidget, title: str, filters: str) -> list[Path]:
    return file_dialogs.ask_open_files(parent, file_dialogs.STAFF, title, filters)


def choose_folder(parent: QWidget, title: str) -> Path | None:
    return file_dialogs.ask_folder(parent, file_dialogs.STAFF, title)


def choose_save_file(parent: QWidget, title: str, suggested: str, filters: str) -> Path | None:
    answer = file_dialogs.ask_save_file(parent, file_dialogs.STAFF, title, suggested, filters)
    return answer[0] if answer is not None else None


# -- one model for lists of records --------------------------------------------------------------


@dataclass
class Col:
    """A column: its text for a record, and optionally how to edit it or tick it.

    ``edit(row, text)`` and ``tick(row, on)`` change the record behind ``row`` and return ""
    or a sentence saying why the value cannot be taken (shown to the user, nothing changed).
    """

    title: str
    text: Callable[[Any], str]
    edit: Callable[[int, str], str] | None = None
    check: Callable[[Any], bool] | None = None
    tick: Callable[[int, bool], str] | None = None
    tip: Callable[[Any], str] | None = None
    extra: dict[int, Callable[[Any], Any]] = field(default_factory=dict)


class RecordModel(RowsModel):
    """Rows of records (dataclasses, dicts...) under ``Col`` columns; edits go through the
    columns' callbacks, which own the data. ``rejected`` carries the reason an edit was
    refused; ``edited`` says one was taken."""

    rejected = Signal(str)
    edited = Signal()

    def __init__(self, columns: Sequence[Col], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)

    def headers(self) -> Sequence[str]:
        return [col.title for col in self.columns]

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        col = self.columns[index.column()]
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if col.edit is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        if col.tick is not None:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: PLR0911
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        record = self.rows[index.row()]
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return col.text(record)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = col.text(record)
            if col.check is not None:
                text = f"{col.title}: {'yes' if col.check(record) else 'no'} {text}".strip()
            return text
        if role == Qt.ItemDataRole.CheckStateRole and col.check is not None:
            return Qt.CheckState.Checked if col.check(record) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole and col.tip is not None:
            return col.tip(record) or None
        if role == ROW_ROLE:
            return record
        if role in col.extra:
            return col.extra[role](record)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.EditRole and col.edit is not None:
            problem = col.edit(index.row(), str(value))
        elif role == Qt.ItemDataRole.CheckStateRole and col.tick is not None:
            on = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
            problem = col.tick(index.row(), on)
        else:
            return False
        if problem:
            self.rejected.emit(problem)
            return False
        self.dataChanged.emit(
            self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1)
        )
        self.edited.emit()
        return True


def table(parent: QWidget, model: QAbstractTableModel, name: str) -> QTableView:
    """A readable table: whole rows selected, alternating rows, last column stretched."""
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    view.setEditTriggers(
        QTableView.EditTrigger.DoubleClicked
        | QTableView.EditTrigger.EditKeyPressed
        | QTableView.EditTrigger.AnyKeyPressed
    )
    return view


def selected_row(view: QTableView) -> int:
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    if rows:
        return rows[0].row()
    current = view.currentIndex()
    return current.row() if current.isValid() else -1


def page_header(title: str, blurb: str, parent: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout()
    label = QLabel(title, parent)
    heading(label, 1.35)
    label.setAccessibleName(title)
    layout.addWidget(label)
    if blurb:
        text = QLabel(blurb, parent)
        text.setWordWrap(True)
        muted(text)
        layout.addWidget(text)
    return layout


def button(parent: QWidget, text: str, slot: Callable[[], Any], tip: str = "") -> QPushButton:
    b = QPushButton(text, parent)
    b.setAccessibleName(text.replace("&", "").rstrip("…."))
    if tip:
        b.setToolTip(tip)
    b.clicked.connect(lambda _checked=False: slot())
    return b


def button_row(*buttons: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    if stretch_first:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    if not stretch_first:
        row.addStretch(1)
    return row


def status_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def busy_bar(parent: QWidget, name: str) -> QProgressBar:
    """A thin moving bar, hidden until work on a worker is under way."""
    bar = QProgressBar(parent)
    bar.setAccessibleName(name)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(parent.fontMetrics().height())
    bar.setVisible(False)
    return bar
