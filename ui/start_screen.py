"""The start screen: shown when no visit is open.

Recent visits (read off the UI thread), "Open a visit kit…" (a file dialog, or drop a ``.rvkit``
anywhere on the screen), and "Try the demo visit". Opening runs in ``VisitOpener``; the screen
only shows that something is under way and passes the loaded session on (``visit_opened``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.visit.workspaces import RecentVisit, backup_time, recent_visits
from ui import file_dialogs
from ui.operations import TaskOp
from ui.sync_centre import install_on_start_screen as install_sync
from ui.text_style import heading, muted
from ui.two_line_delegate import TwoLineDelegate
from ui.visit_opener import VisitOpener
from ui.windows import fit_to_screen

KIT_SUFFIX = ".rvkit"
KIT_FILTER = "Visit kits (*.rvkit)"
VisitRole = Qt.ItemDataRole.UserRole + 1
MAX_ROWS_SHOWN = 6  # more scroll
DAMAGED_TITLE = "A visit whose saved work is damaged"

Index = QModelIndex | QPersistentModelIndex


def nice_date(iso: str) -> str:
    """ "4 March 2025" from "2025-03-04" (the text as it is when it is not a date)."""
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def visit_title(v: RecentVisit) -> str:
    """The first line of a recent visit: its title; a damaged one says so."""
    if v.damaged:
        return f"{v.title}: its saved work is damaged" if v.title else DAMAGED_TITLE
    return v.title


def damaged_details(v: RecentVisit) -> str:
    """What a damaged visit's row offers: its backups, the newest named."""
    if not v.backups:
        return f"Its saved work cannot be read, and there is no backup of it ({v.visit_id})"
    made = backup_time(v.backups[0])
    newest = "" if made is None else f", the newest from {made.astimezone():%d %B %Y, %H:%M}"
    count = "1 backup" if len(v.backups) == 1 else f"{len(v.backups)} backups"
    return f"Its saved work cannot be read: open it to go back to one of {count}{newest}"


def visit_details(v: RecentVisit) -> str:
    """The second line of a recent visit: date, who I am, DEMO (or the way back, if damaged)."""
    if v.damaged:
        return damaged_details(v)
    parts = [nice_date(v.start_date)] if v.start_date else []
    if v.member_name:
        parts.append(f"you are {v.member_name}" + (f" ({v.member_role})" if v.member_role else ""))
    if v.demo:
        parts.append("DEMO")
    return " · ".join(parts)


def kit_files(mime: QMimeData) -> list[Path]:
    """The local ``.rvkit`` files in dragged or dropped data."""
    if not mime.hasUrls():
        return []
    files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return [f for f in files if f.suffix.lower() == KIT_SUFFIX]


class RecentVisitsModel(QAbstractListModel):
    """The visits with a workspace here; the title and a line of details for each."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.visits: list[RecentVisit] = []

    def set_visits(self, visits: list[RecentVisit]) -> None:
        self.beginResetModel()
        self.visits = list(visits)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.visits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.visits):
            return None
        v = self.visits[index.row()]
        title = visit_title(v)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title}\n{visit_details(v)}"
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return f"{title}, {visit_details(v)}"
        if role == Qt.ItemDataRole.DecorationRole and v.damaged:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == VisitRole:
            return v
        return None


class StartScreen(QWidget):
    """Chooses the visit to work on: a recent one, a kit, or the demo."""

    visit_opened = Signal(object)  # the VisitSession, loaded
    staff_requested = Signal()  # "Programme staff": the app shows the staff window

    def __init__(
        self,
        paths: AppPaths,
        *,
        demo: bool = False,
        parent: QWidget | None = None,
        opener: VisitOpener | None = None,
    ) -> None:
        """``opener``: the app's own (it may be opening a visit already); else the screen's."""
        super().__init__(parent)
        self.paths = paths
        self.kit_folder = Path.home()  # where the file dialog starts (the app sets the last one)
        self.setWindowTitle("Reviewer App")
        self.setAccessibleName("Start screen")
        self.setAcceptDrops(True)
        self._owns_opener = opener is None
        self.opener = VisitOpener(paths, self, demo=demo) if opener is None else opener
        self.opener.opened.connect(self._handed_over)
        self.opener.opened.connect(self.visit_opened)
        self._handing_over = False  # a visit just opened: its window replaces this screen
        self.opener.busy.connect(self._show_busy)
        self.opener.kit_opened.connect(lambda kit: setattr(self, "kit_folder", Path(kit).parent))
        self.model = RecentVisitsModel(self)
        self._build()
        self._show_busy(self.opener.doing)

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        column = QVBoxLayout()
        outer.addStretch(1)
        outer.addLayout(column, 6)
        outer.addStretch(1)
        line = self.fontMetrics().lineSpacing()
        title, tagline = self._build_title()
        recent_label = self._build_recent()
        buttons = self._build_buttons()
        self.sync = install_sync(self, buttons)  # "Sync…": the central service (issue 6)
        column.addStretch(1)
        column.addWidget(title)
        column.addWidget(tagline)
        column.addSpacing(line)
        column.addWidget(recent_label)
        column.addWidget(self.recent)
        column.addWidget(self.no_visits)
        column.addSpacing(line // 2)
        column.addLayout(buttons)
        column.addWidget(self.drop_hint)
        column.addWidget(self.busy_label)
        column.addWidget(self.busy_bar)
        column.addStretch(2)
        fit_to_screen(self, "start", QSize(860, 600))  # a laptop's screen may be smaller

    def _build_title(self) -> tuple[QWidget, QLabel]:
        title = QLabel("Reviewer App", self)
        title.setAccessibleName("Reviewer App")
        heading(title, 1.8)

        tagline = QLabel("Peer review visits against Quality Standards. Works without a network.")
        tagline.setWordWrap(True)
        tagline.setAccessibleName("About the app")
        muted(tagline)
        row = QWidget(self)
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        icon = QApplication.windowIcon()
        if not icon.isNull():
            logo = QLabel(row)
            logo.setAccessibleName("Reviewer App logo")
            size = title.fontMetrics().height()
            logo.setPixmap(icon.pixmap(size, size))
            row_layout.addWidget(logo)
        row_layout.addWidget(title, 1)
        return row, tagline

    def _build_recent(self) -> QLabel:
        recent_label = QLabel("&Recent visits", self)
        heading(recent_label, 1.15)
        self.recent = QListView(self)
        self.recent.setModel(self.model)
        self.recent.setItemDelegate(TwoLineDelegate(self.recent))
        self.recent.setSpacing(1)
        self.recent.setAccessibleName("Recent visits")
        self.recent.setAccessibleDescription("Press Enter or double-click to open a visit")
        self.recent.setUniformItemSizes(True)
        self.recent.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.recent.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.recent.activated.connect(self._open_index)
        recent_label.setBuddy(self.recent)
        self.no_visits = QLabel(
            "No visit on this laptop yet. Open the visit kit the programme staff sent you, "
            "or try the demo visit to see how the app works.",
            self,
        )
        self.no_visits.setWordWrap(True)
        self.no_visits.setAccessibleName("No visits yet")
        muted(self.no_visits)
        return recent_label

    def _build_buttons(self) -> QHBoxLayout:
        self.open_button = QPushButton("&Open a visit kit…", self)
        self.open_button.setAccessibleName("Open a visit kit")
        self.open_button.setToolTip("Choose the .rvkit file you were sent (Ctrl+O)")
        self.open_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.choose_kit)
        self.demo_button = QPushButton("Try the &demo visit", self)
        self.demo_button.setAccessibleName("Try the demo visit")
        self.demo_button.setToolTip("An invented visit to practise on; nothing in it is real")
        self.demo_button.clicked.connect(self.open_demo)
        for button in (self.open_button, self.demo_button):
            button.setMinimumHeight(self.fontMetrics().lineSpacing() * 2 + 4)
            button.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 14)
        self.staff_button = QPushButton("&Programme staff", self)
        self.staff_button.setAccessibleName("Programme staff")
        self.staff_button.setToolTip("Standards library, reviewer pool, visit plans and kits")
        self.staff_button.setMinimumHeight(self.demo_button.minimumHeight())
        self.staff_button.clicked.connect(self.staff_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.staff_button)
        self.drop_hint = QLabel("…or drop a visit kit file (.rvkit) anywhere here", self)
        self.drop_hint.setAccessibleName("Drop a visit kit here")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_hint.setFrameShape(QFrame.Shape.StyledPanel)
        self.drop_hint.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self._highlight_drop(False)
        self.busy_label = QLabel(self)
        self.busy_label.setAccessibleName("What is happening")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName("Working")
        self.busy_bar.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        return buttons

    # -- recent visits --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the visits on this laptop again (on the opener's worker thread)."""
        TaskOp(
            self,
            lambda _progress: self.opener.background(recent_visits, self.paths),
            what="list the visits on this laptop",
        ).success(self._show_visits).failure(lambda _exc: self._show_visits([]), tell=False).run()

    def _show_visits(self, visits: list[RecentVisit]) -> None:
        self.model.set_visits(visits)
        rows = min(max(len(visits), 1), MAX_ROWS_SHOWN)
        row_height = self.recent.sizeHintForRow(0) if visits else 0
        frame = 2 * self.recent.frameWidth() + 2 * self.recent.spacing() * rows
        self.recent.setFixedHeight(rows * max(row_height, 1) + frame)
        self.recent.setVisible(bool(visits))
        self.no_visits.setVisible(not visits)
        if visits:
            self.recent.setCurrentIndex(self.model.index(0, 0))
            self.recent.setFocus()

    def _open_index(self, index: QModelIndex) -> None:
        visit = index.data(VisitRole)
        if isinstance(visit, RecentVisit):
            self.open_visit(visit.visit_id, visit.title)

    # -- opening ----------------------------------------------------------------------------------

    def choose_kit(self) -> None:
        kit = file_dialogs.ask_open_file(
            self, file_dialogs.KIT, "Open a visit kit", KIT_FILTER, fallback=self.kit_folder
        )
        if kit is not None:
            self.open_kit(kit)

    def open_kit(self, kit: Path) -> bool:
        return self.opener.open_kit(kit)

    def open_visit(self, visit_id: str, title: str = "") -> bool:
        return self.opener.open_visit(visit_id, title)

    def open_demo(self) -> bool:
        return self.opener.open_demo()

    def drop_kit(self, mime: QMimeData) -> bool:
        """Open the first kit file in dropped data; False if there is none (or I am busy)."""
        kits = kit_files(mime)
        self._highlight_drop(False)
        return bool(kits) and self.open_kit(kits[0])

    def _show_busy(self, doing: str) -> None:
        working = self.opener.working
        self.busy_label.setText(doing)
        self.busy_label.setVisible(bool(doing))
        self.busy_bar.setVisible(bool(doing))
        for widget in (self.open_button, self.demo_button, self.recent):
            widget.setEnabled(not working)
        if not working:
            # A restore or a new visit may have changed the list; not worth reading again
            # when a visit has just opened: this screen hides (showing it again reads it).
            handing_over, self._handing_over = self._handing_over, False
            if self.isVisible() and not handing_over:
                self.refresh()

    def _handed_over(self, _session: object) -> None:
        self._handing_over = True

    def _highlight_drop(self, on: bool) -> None:
        role = "highlight" if on else "mid"
        width = 2 if on else 1
        self.drop_hint.setStyleSheet(
            f"QLabel {{ border: {width}px dashed palette({role}); border-radius: 6px; }}"
        )
        self.drop_hint.setText(
            "Drop the kit to open it" if on else "…or drop a visit kit file (.rvkit) anywhere here"
        )

    # -- drag and drop ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if kit_files(event.mimeData()) and not self.opener.working:
            event.acceptProposedAction()
            self._highlight_drop(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: Any) -> None:
        self._highlight_drop(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if self.drop_kit(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.opener.working:
            self.refresh()

    def closeEvent(self, event: Any) -> None:
        if self._owns_opener:
            self.opener.close()
        super().closeEvent(event)
