"""Evidence seen for a standard: a kit document (with page or section), or a meeting,
interview or observation (with a description or the timetable session).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from reviewer_app.visit.model import EVIDENCE_KINDS
from reviewer_app.visit.read_model import VisitData
from ui.dialogs.base import (
    FormDialog,
    bold,
    combo,
    text_box,
)


class EvidenceDialog(FormDialog):
    """Record evidence seen for a standard: a kit document (with page), or a meeting, interview
    or observation (with a description or a timetable session)."""

    def __init__(self, parent: QWidget | None, data: VisitData, ref: str, component: str) -> None:
        super().__init__(parent, f"Evidence seen for {ref}")
        self.noun = "evidence"
        self.ref, self.component = ref, component
        std = data.by_ref.get(ref)
        name = next((c.name for c in data.visit.components if c.id == component), component)
        title = f"{ref}  {std.title}" if std else ref
        heading = QLabel(f"{title}\nfor {name}" if name else title, self)
        heading.setWordWrap(True)
        heading.setAccessibleName("Standard")
        self.body.addWidget(heading)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        bold(heading)
        self.kind = combo(self, "Kind of evidence")
        for key, label in EVIDENCE_KINDS.items():
            self.kind.addItem(label, key)
        self.document = combo(self, "Kit document")
        self.document.addItem("Choose a document…", "")
        linked = data.documents_for(ref)
        for doc in linked:
            self.document.addItem(f"{doc.title}  (linked to {ref})", doc.id)
        others = [d for d in data.documents if d not in linked]
        if linked and others:
            self.document.insertSeparator(self.document.count())
        for doc in others:
            self.document.addItem(doc.title, doc.id)
        if linked:
            self.document.setCurrentIndex(1)
        self.location = QLineEdit(self)
        self.location.setAccessibleName("Page or section")
        self.location.setPlaceholderText("e.g. page 4, or section 3.2")
        self.session = self.session_combo(data, "Timetable session")
        self.description = text_box(self, "Description", "What you saw or heard, briefly")
        self.description.setMinimumHeight(90)
        self.form.addRow("&Kind:", self.kind)
        self.form.addRow("&Document:", self.document)
        self.form.addRow("&Page or section:", self.location)
        self.form.addRow("&Session:", self.session)
        self.form.addRow("D&escription:", self.description)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.document.currentIndexChanged.connect(self.validate)
        self.session.currentIndexChanged.connect(self.validate)
        self.description.textChanged.connect(self.validate)
        self.resize(640, 0)
        self._kind_changed()

    def kind_key(self) -> str:
        return str(self.kind.currentData())

    def set_kind(self, key: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(key))

    def _kind_changed(self) -> None:
        is_doc = self.kind_key() == "document"
        for widget in (self.document, self.location):
            widget.setEnabled(is_doc)
            label = self.form.labelForField(widget)
            if label is not None:
                label.setEnabled(is_doc)
        self.description.setPlaceholderText(
            "Optional: what the document shows" if is_doc else "Who, where, what you learned"
        )
        self.validate()

    def problem(self) -> str:
        if self.kind_key() == "document":
            return "" if self.document.currentData() else "Choose the kit document you read."
        if self.description.toPlainText().strip() or self.session.currentData():
            return ""
        what = EVIDENCE_KINDS.get(self.kind_key(), "evidence").lower()
        return f"Describe the {what}, or choose the timetable session it was part of."

    def value(self) -> dict[str, Any]:
        is_doc = self.kind_key() == "document"
        return {
            "kind": self.kind_key(),
            "document_id": str(self.document.currentData() or "") if is_doc else "",
            "location": self.location.text().strip() if is_doc else "",
            "session_id": str(self.session.currentData() or ""),
            "description": self.description.toPlainText().strip(),
        }

    @classmethod
    def ask(
        cls, parent: QWidget | None, data: VisitData, ref: str, component: str
    ) -> dict[str, Any] | None:
        dialog = cls(parent, data, ref, component)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
