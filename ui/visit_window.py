"""The visit window: the visit's details, its team and its standards.

Everything is read on the storage worker; the window fills itself in when the data arrives, so
the UI thread never waits on the disk.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.paths import AppPaths
from reviewer_app.visit_view import VisitView, read_visit_view
from reviewer_app.visits import storage_worker
from ui.tasks import when_done


class VisitWindow(QMainWindow):
    def __init__(self, visit_id: str, paths: AppPaths) -> None:
        super().__init__()
        self.setWindowTitle("Reviewer App")
        self.resize(1100, 720)
        self.worker = storage_worker(paths, visit_id)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.demo_banner = QLabel(
            "DEMO — an invented visit for practice. Nothing here is real.", central
        )
        self.demo_banner.setAccessibleName("Demo visit notice")
        self.demo_banner.setStyleSheet(
            "background:#fff3b0; color:#4a3b00; padding:6px; font-weight:bold;"
        )
        self.demo_banner.setVisible(False)
        self.heading = QLabel("Opening the visit…", central)
        self.heading.setAccessibleName("Visit title")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)
        self.details = QLabel("", central)
        self.details.setAccessibleName("Visit details")
        self.details.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.standards_model = QStandardItemModel(self)
        self.standards_model.setHorizontalHeaderLabels(["Standard", "Key"])
        self.standards_view = QTreeView(splitter)
        self.standards_view.setAccessibleName("Standards by section")
        self.standards_view.setModel(self.standards_model)
        self.standards_view.setUniformRowHeights(True)
        header = self.standards_view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.team_table = QTableWidget(0, 3, splitter)
        self.team_table.setAccessibleName("Review team")
        self.team_table.setHorizontalHeaderLabels(["Name", "Role", "Organisation"])
        self.team_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.team_table.verticalHeader().setVisible(False)
        self.team_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(self.demo_banner)
        layout.addWidget(self.heading)
        layout.addWidget(self.details)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Reading the visit…")
        when_done(self.worker.submit(read_visit_view), self, self.show_visit, self.show_error)

    def show_visit(self, view: VisitView) -> None:
        visit = view.visit
        self.setWindowTitle(f"{'DEMO — ' if view.demo else ''}{visit.title} — Reviewer App")
        self.demo_banner.setVisible(view.demo)
        self.heading.setText(visit.title)
        me = visit.member(view.member_id)
        orgs = ", ".join(o.name for o in visit.organisations)
        components = ", ".join(c.name for c in visit.components)
        self.details.setText(
            f"{visit.programme}\n{orgs}\n{visit.start_date} · {visit.venue}\n"
            f"Components reviewed: {components}\n"
            + (f"You are {me.name} ({me.role}{', lead reviewer' if me.lead else ''})" if me else "")
        )
        self.team_table.setRowCount(len(visit.team))
        for row, m in enumerate(visit.team):
            name = f"{m.name} (lead)" if m.lead else m.name
            for col, text in enumerate((name, m.role, m.organisation)):
                self.team_table.setItem(row, col, QTableWidgetItem(text))
        self._fill_standards(view)
        self.statusBar().showMessage(f"{len(view.standards)} standards · {len(visit.team)} in team")

    def _fill_standards(self, view: VisitView) -> None:
        model = self.standards_model
        model.removeRows(0, model.rowCount())
        by_section: dict[str, QStandardItem] = {}
        for name in view.sections:
            item = QStandardItem(name)
            item.setEditable(False)
            by_section[name] = item
            model.appendRow([item, QStandardItem("")])
        for std in view.standards:
            parent = by_section[std["section"]]
            ref_item = QStandardItem(f"{std['ref']}  {std['title']}")
            ref_item.setEditable(False)
            key_item = QStandardItem("Key" if std["key"] else "")
            key_item.setEditable(False)
            parent.appendRow([ref_item, key_item])
        for item in by_section.values():
            item.setText(f"{item.text()} ({item.rowCount()})")
        self.standards_view.expandAll()

    def show_error(self, exc: BaseException) -> None:
        self.heading.setText("This visit could not be opened")
        self.details.setText(str(exc))
        self.statusBar().showMessage("Not opened")

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        self.worker.close()
        super().closeEvent(event)
