"""The standards library's dialogs: the import preview and the comparison of two versions.

Each has an ``ask()`` classmethod (tests patch it). The preview shows exactly what will be
saved, or every row problem that stops it, before anything is written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.staff.library import (
    SetVersion,
    StandardsComparison,
    StandardsPreview,
    requirement_text,
)
from ui.dialogs.base import FormDialog, bold, warning_colour
from ui.staff.common import Col, RecordModel, table


@dataclass(frozen=True, slots=True)
class ImportChoice:
    set_key: str  # "" for a new set
    title: str
    version: str
    date: str


def standards_columns() -> list[Col]:
    return [
        Col("Ref", lambda s: s.ref),
        Col("Section", lambda s: s.section),
        Col("Title", lambda s: s.title),
        Col("Parts", lambda s: ", ".join(p.label for p in s.parts)),
        Col("Key", lambda s: "Key" if s.key else ""),
        Col("Applies to", lambda s: "; ".join(s.applies_to)),
    ]


class ImportPreviewDialog(FormDialog):
    """What importing the file would save, and under which set, title and version."""

    def __init__(
        self, parent: QWidget | None, preview: StandardsPreview, versions: list[SetVersion]
    ) -> None:
        super().__init__(parent, f"Import standards from {preview.file.name}")
        self.preview = preview
        self.summary = bold(QLabel(self))
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What the file holds")
        self.body.addWidget(self.summary)
        self._show_contents(preview)
        self.set_box = QComboBox(self)
        self.set_box.setAccessibleName("Set")
        self.set_box.addItem("A new set", "")
        seen: set[str] = set()
        for v in reversed(versions):
            if v.set_key not in seen:
                seen.add(v.set_key)
                self.set_box.addItem(f"A new version of {v.title}", v.set_key)
        self.title = QLineEdit(self)
        self.title.setAccessibleName("Title")
        self.version = QLineEdit(self)
        self.version.setAccessibleName("Version")
        self.version.setPlaceholderText("e.g. V4")
        self.date = QLineEdit(date.today().strftime("%B %Y"), self)
        self.date.setAccessibleName("Date")
        if preview.standards is not None:
            self.title.setText(preview.standards.info.title)
        self.form.addRow("&Save as", self.set_box)
        self.form.addRow("&Title", self.title)
        self.form.addRow("&Version", self.version)
        self.form.addRow("&Date", self.date)
        self.set_box.currentIndexChanged.connect(self._set_chosen)
        for box in (self.title, self.version):
            box.textChanged.connect(self.validate)
        self.validate()

    def _show_contents(self, preview: StandardsPreview) -> None:
        """The problems that stop the import, or the standards it would save (and what is
        worth checking in the file)."""
        if preview.problems:
            self.summary.setText(
                f"{len(preview.problems)} problems stop this file from being imported. "
                "Put them right in the spreadsheet and import it again:"
            )
            self.problems = QListWidget(self)
            self.problems.setAccessibleName("Problems in the file")
            self.problems.addItems(list(preview.problems))
            self.problems.setStyleSheet(f"color: {warning_colour(self)};")
            self.problems.setMinimumSize(QSize(760, 260))
            self.body.addWidget(self.problems)
        else:
            assert preview.standards is not None
            count = len(preview.standards.standards)
            sections = len(preview.standards.sections)
            self.summary.setText(f"{count} standards in {sections} sections will be imported.")
            if preview.warnings:
                self.warnings = QLabel("\n".join(preview.warnings), self)
                self.warnings.setAccessibleName("Worth checking in the file")
                self.warnings.setWordWrap(True)
                self.warnings.setTextFormat(Qt.TextFormat.PlainText)
                self.warnings.setStyleSheet(f"color: {warning_colour(self)};")
                self.body.addWidget(self.warnings)
            self.model = RecordModel(standards_columns(), self)
            self.model.set_rows(preview.standards.standards)
            self.table = table(self, self.model, "Standards to import")
            self.table.setMinimumSize(QSize(760, 320))
            self.table.resizeColumnsToContents()
            self.table.setColumnWidth(1, 220)
            self.table.setColumnWidth(2, 260)
            self.body.addWidget(self.table)

    def _set_chosen(self) -> None:
        key = self.set_box.currentData()
        text = self.set_box.currentText().removeprefix("A new version of ")
        if key:
            self.title.setText(text)
        self.validate()

    def problem(self) -> str:
        if self.preview.problems:
            return "Nothing can be imported until the problems above are put right."
        if not self.title.text().strip():
            return "Give the set a title."
        if not self.version.text().strip():
            return "Give this version a label (e.g. V4)."
        return ""

    def ready_text(self) -> str:
        return "Ready to import (Ctrl+Enter). Nothing is saved until you press OK."

    def value(self) -> ImportChoice:
        return ImportChoice(
            self.set_box.currentData() or "",
            self.title.text().strip(),
            self.version.text().strip(),
            self.date.text().strip(),
        )

    @classmethod
    def ask(
        cls, parent: QWidget | None, preview: StandardsPreview, versions: list[SetVersion]
    ) -> ImportChoice | None:
        dialog = cls(parent, preview, versions)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None


# -- comparing ------------------------------------------------------------------------------------


def diff_html(parts: tuple[tuple[str, str], ...], added: str, removed: str) -> str:
    out = []
    for kind, text in parts:
        t = html.escape(text).replace("\n", "<br>")
        if kind == "added":
            out.append(f'<span style="background:{added}; text-decoration: underline">{t}</span>')
        elif kind == "removed":
            out.append(
                f'<span style="background:{removed}; text-decoration: line-through">{t}</span>'
            )
        else:
            out.append(t)
    return " ".join(out)


def comparison_html(
    old: SetVersion, new: SetVersion, diff: StandardsComparison, *, dark: bool = False
) -> str:
    """The comparison as a readable page: counts first, then each kind of change."""
    added_bg, removed_bg = ("#1b5e20", "#7f1d1d") if dark else ("#d7f5dd", "#fbdcdc")
    e = html.escape
    parts = [
        f"<h2>{e(old.label)} → {e(new.label)}</h2>",
        f"<p><b>{e(diff.summary())}</b></p>",
    ]
    if diff.added:
        parts.append(f"<h3>Added ({len(diff.added)})</h3><ul>")
        parts += [f"<li><b>{e(s.ref)}</b> {e(s.title)}</li>" for s in diff.added]
        parts.append("</ul>")
    if diff.removed:
        parts.append(f"<h3>Removed ({len(diff.removed)})</h3><ul>")
        parts += [f"<li><b>{e(s.ref)}</b> {e(s.title)}</li>" for s in diff.removed]
        parts.append("</ul>")
    if diff.reworded:
        parts.append(f"<h3>Reworded ({len(diff.reworded)})</h3>")
        for r in diff.reworded:
            parts.append(f"<p><b>{e(r.ref)}</b> {diff_html(r.title_diff, added_bg, removed_bg)}")
            if "requirement" in r.fields:
                parts.append(
                    "<br>" + diff_html(r.requirement_diff, added_bg, removed_bg)
                    if requirement_text(r.old) != requirement_text(r.new)
                    else ""
                )
            parts.append("</p>")
    parts.append(
        '<p style="color: gray">Underlined words are new; struck-through words are gone.</p>'
    )
    return "\n".join(parts)


class CompareDialog(QDialog):
    """Two versions chosen, their differences shown (computed by the page, on the worker)."""

    def __init__(self, parent: QWidget | None, versions: list[SetVersion]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare two versions")
        self.setAccessibleName("Compare two versions")
        self.versions = versions
        layout = QVBoxLayout(self)
        boxes = QFormLayout()
        self.old = QComboBox(self)
        self.old.setAccessibleName("Older version")
        self.new = QComboBox(self)
        self.new.setAccessibleName("Newer version")
        for v in versions:
            self.old.addItem(v.label, v.id)
            self.new.addItem(v.label, v.id)
        if len(versions) >= 2:
            self.old.setCurrentIndex(len(versions) - 2)
            self.new.setCurrentIndex(len(versions) - 1)
        boxes.addRow("&From", self.old)
        boxes.addRow("&To", self.new)
        layout.addLayout(boxes)
        self.view = QTextBrowser(self)
        self.view.setAccessibleName("Differences")
        self.view.setMinimumSize(QSize(760, 460))
        layout.addWidget(self.view)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def chosen(self) -> tuple[SetVersion, SetVersion]:
        by_id = {v.id: v for v in self.versions}
        return by_id[self.old.currentData()], by_id[self.new.currentData()]
