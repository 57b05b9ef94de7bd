"""One finding, for the lead to edit: its words (with possible personal data underlined as it is
typed), category, component, and the standards, evidence and photos it rests on.

The editor only collects; the findings window saves (``changes()`` against the stored finding
through ``VisitSession.edit_finding``), so every edit is one named operation that undoes and
shows as saved like any other. Anyone but the lead sees the same panel, read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.lead import findings as rules
from reviewer_app.lead.privacy import KIND_WORDS, scan_text, visit_year
from reviewer_app.visit.model import CATEGORIES, EVIDENCE_KINDS, Finding
from reviewer_app.visit.read_model import VisitData
from ui.bridge import SessionBridge
from ui.dialogs.base import combo, text_box, warning_colour
from ui.lead.accuracy import CommentsPanel
from ui.lead.dialogs import author_name
from ui.text_style import heading, muted
from ui.thumbnails import Thumbnails

PHOTO_THUMB = 40  # the photo list's thumbnails, in pixels high
SHA_ROLE = Qt.ItemDataRole.UserRole + 1  # a photo item's SHA-256 (its thumbnail's key)


class PrivacyHighlighter(QSyntaxHighlighter):
    """Underlines what the privacy check would flag (NHS numbers, dates of birth ...)."""

    def __init__(self, document: QTextDocument, year: int, colour: str) -> None:
        super().__init__(document)
        self.year = year
        self.hit_format = QTextCharFormat()
        self.hit_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.hit_format.setUnderlineColor(QColor(colour))
        self.hit_format.setBackground(QColor(255, 200, 0, 70))

    def highlightBlock(self, text: str) -> None:
        for m in scan_text(text, self.year):
            self.setFormat(m.start, m.end - m.start, self.hit_format)


def checkable(widget: QListWidget, text: str, key: str, checked: bool) -> QListWidgetItem:
    item = QListWidgetItem(text, widget)
    item.setData(Qt.ItemDataRole.UserRole, key)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return item


def checked_keys(widget: QListWidget) -> list[str]:
    items = (widget.item(i) for i in range(widget.count()))
    return [
        str(i.data(Qt.ItemDataRole.UserRole))
        for i in items
        if i.checkState() == Qt.CheckState.Checked
    ]


class FindingEditor(QWidget):
    save_requested = Signal()
    dirty_changed = Signal(bool)

    def __init__(
        self,
        data: VisitData,
        parent: QWidget | None = None,
        *,
        editable: bool,
        read_blob: Callable[[str], bytes] | None = None,
        bridge: SessionBridge | None = None,
    ) -> None:
        """``read_blob``: a photo's bytes (decrypted), for the photo list's thumbnails; ``bridge``:
        the provider's comments on the finding are shown under its text, with their answers."""
        super().__init__(parent)
        self.visit = data
        self.read_blob = read_blob
        self.editable = editable
        self.finding: Finding | None = None
        self._loading = False
        self.dirty = False
        self.title = QLabel(self)
        self.title.setAccessibleName("Finding")
        self.title.setWordWrap(True)
        heading(self.title, 1.15)
        self.meta = QLabel(self)
        self.meta.setAccessibleName("Who wrote it")
        self.meta.setWordWrap(True)
        muted(self.meta)
        self.category = combo(self, "Category")
        for key, label in CATEGORIES.items():
            self.category.addItem(label, key)
        self.component = combo(self, "Component")
        self.component.addItem("Whole service", rules.WHOLE_SERVICE)
        for c in data.visit.components:
            self.component.addItem(c.name, c.id)
        self.text = text_box(self, "Finding text", "What the team found (no names or NHS numbers)")
        self.text.setMinimumHeight(150)
        self.highlighter = PrivacyHighlighter(
            self.text.document(), visit_year(data), warning_colour(self)
        )
        self.privacy = QLabel(self)
        self.privacy.setAccessibleName("Possible personal data")
        self.privacy.setWordWrap(True)
        self.privacy.setStyleSheet(f"color: {warning_colour(self)};")
        self.comments = CommentsPanel(bridge, self) if bridge is not None else None
        self._build_links()
        self.save = QPushButton("&Save finding", self)
        self.save.setAccessibleName("Save finding")
        self.save.setToolTip("Save the changes to this finding (Ctrl+Enter)")
        self.revert = QPushButton("Re&vert", self)
        self.revert.setAccessibleName("Revert the finding")
        self.save.clicked.connect(self.save_requested.emit)
        self.revert.clicked.connect(lambda: self.load(self.finding))
        self._lay_out()
        self.text.textChanged.connect(self._edited)
        self.category.currentIndexChanged.connect(lambda _i: self._edited())
        self.component.currentIndexChanged.connect(lambda _i: self._edited())
        self.evidence.itemChanged.connect(lambda _i: self._edited())
        self.photos.itemChanged.connect(lambda _i: self._edited())
        for w in (self.category, self.component, self.add_ref, self.remove_ref):
            w.setEnabled(editable)
        self.text.setReadOnly(not editable)
        self.save.setVisible(editable)
        self.revert.setVisible(editable)
        self.load(None)

    def _build_links(self) -> None:
        self.refs = QListWidget(self)
        self.refs.setAccessibleName("Linked standards")
        self.refs.setMaximumHeight(90)
        self.add_ref = QLineEdit(self)
        self.add_ref.setAccessibleName("Link a standard by its reference")
        self.add_ref.setPlaceholderText("Type a reference, e.g. HN-204, and press Enter")
        completer = QCompleter([f"{s.ref}  {s.title}" for s in self.visit.standards], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_ref.setCompleter(completer)
        self.add_ref.returnPressed.connect(self._add_typed_ref)
        completer.activated.connect(lambda _text: self._add_typed_ref())
        self.remove_ref = QPushButton("Remove", self)
        self.remove_ref.setAccessibleName("Remove the selected standard")
        self.remove_ref.clicked.connect(self._remove_ref)
        self.evidence = QListWidget(self)
        self.evidence.setAccessibleName("Evidence seen")
        self.evidence.setMaximumHeight(110)
        self.photos = QListWidget(self)
        self.photos.setAccessibleName("Photos")
        self.photos.setMaximumHeight(4 * PHOTO_THUMB + 12)
        self.photos.setIconSize(QSize(PHOTO_THUMB * 3 // 2, PHOTO_THUMB))
        self.thumbnails = (
            Thumbnails(self.read_blob, PHOTO_THUMB, self.photos) if self.read_blob else None
        )
        if self.thumbnails is not None:
            self.thumbnails.ready.connect(self._thumbnail_ready)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Ca&tegory:", self.category)
        form.addRow("Co&mponent:", self.component)
        refs_row = QHBoxLayout()
        refs_row.addWidget(self.add_ref, 1)
        refs_row.addWidget(self.remove_ref)
        links = QFormLayout()
        links.addRow("Linked s&tandards:", self.refs)
        links.addRow("", refs_row)
        links.addRow("E&vidence seen:", self.evidence)
        links.addRow("P&hotos:", self.photos)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addLayout(form)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.privacy)
        if self.comments is not None:
            layout.addWidget(self.comments)
        layout.addLayout(links)
        layout.addLayout(buttons)

    # -- showing --------------------------------------------------------------------------------

    def load(self, finding: Finding | None) -> None:
        """Show ``finding`` as stored (None: nothing chosen), dropping unsaved edits."""
        self._loading = True
        self.finding = finding
        self.setEnabled(finding is not None)
        if finding is None:
            self.title.setText("Choose a finding, or add one.")
            self.meta.setText("")
            self.text.setPlainText("")
            self.refs.clear()
            self.evidence.clear()
            self.photos.clear()
        else:
            self.title.setText(rules.finding_label(self.visit, finding))
            self.meta.setText(self._meta(finding))
            self.category.setCurrentIndex(max(0, self.category.findData(finding.category)))
            self.component.setCurrentIndex(max(0, self.component.findData(finding.component)))
            if self.text.toPlainText() != finding.text:
                self.text.setPlainText(finding.text)
            self.refs.clear()
            for ref in finding.refs:
                self._add_ref_item(ref)
            self._fill_evidence(finding.evidence)
            self._fill_photos(finding.photos)
        self._loading = False
        if self.comments is not None:
            self.comments.show_finding(finding.id if finding is not None else None)
        self._show_privacy()
        self._set_dirty(False)

    def _meta(self, f: Finding) -> str:
        parts = [f"Written by {author_name(self.visit, f.author)}" if f.author else ""]
        if f.created_at:
            parts.append(f"on {f.created_at[:10]}")
        obs = self.visit.observations.get(f.observation_id) if f.observation_id else None
        if obs is not None:
            parts.append(f"from {author_name(self.visit, obs.author)}'s observation")
        return " ".join(p for p in parts if p)

    def _fill_evidence(self, chosen: tuple[str, ...] | list[str]) -> None:
        """The evidence recorded for the linked standards (and whatever is already chosen)."""
        self.evidence.clear()
        refs = set(self.linked_refs())
        for e in self.visit.evidence_seen.values():
            if e.id not in chosen and e.ref not in refs:
                continue
            doc = self.visit.document(e.document_id) if e.document_id else None
            what = doc.title if doc else (e.description or e.location or "")
            kind = EVIDENCE_KINDS.get(e.kind, e.kind)
            text = f"{e.ref} · {kind}: {what} — {author_name(self.visit, e.author)}"
            checkable(self.evidence, text, e.id, e.id in chosen).setToolTip(text)
        if self.evidence.count() == 0:
            item = QListWidgetItem("No evidence recorded for the linked standards.", self.evidence)
            item.setFlags(Qt.ItemFlag.NoItemFlags)

    def _fill_photos(self, chosen: tuple[str, ...] | list[str]) -> None:
        self.photos.clear()
        for p in self.visit.photos.values():
            caption = p.caption or "(no caption)"
            where = f" [{p.ref}]" if p.ref else ""
            text = f"{caption}{where} — {author_name(self.visit, p.author)}"
            item = checkable(self.photos, text, p.id, p.id in chosen)
            item.setData(SHA_ROLE, p.sha256)
            thumb = self.thumbnails.get(p.sha256) if self.thumbnails is not None else None
            if thumb is not None:
                item.setIcon(QIcon(thumb))
        if self.photos.count() == 0:
            item = QListWidgetItem("No photos in this visit yet.", self.photos)
            item.setFlags(Qt.ItemFlag.NoItemFlags)

    def _show_privacy(self) -> None:
        hits = scan_text(self.text.toPlainText(), visit_year(self.visit))
        if not hits:
            self.privacy.setVisible(False)
            return
        listed = "; ".join(f"{KIND_WORDS.get(m.kind, m.kind)} “{m.text}”" for m in hits[:4])
        self.privacy.setText(
            f"Possibly personal data: {listed}. Take it out unless it is meant "
            "(a switchboard number, a policy's date)."
        )
        self.privacy.setVisible(True)

    # -- editing --------------------------------------------------------------------------------

    def linked_refs(self) -> list[str]:
        items = (self.refs.item(i) for i in range(self.refs.count()))
        return [str(i.data(Qt.ItemDataRole.UserRole)) for i in items]

    def _add_ref_item(self, ref: str) -> None:
        std = self.visit.by_ref.get(ref)
        item = QListWidgetItem(f"{ref}  {std.title}" if std else ref, self.refs)
        item.setData(Qt.ItemDataRole.UserRole, ref)

    def link(self, ref: str) -> bool:
        """Link a standard of the kit (once); False when there is no such ref."""
        found = (
            ref
            if ref in self.visit.by_ref
            else next(
                (s.ref for s in self.visit.standards if s.ref.casefold() == ref.casefold()), None
            )
        )
        if found is None:
            return False
        if found not in self.linked_refs():
            self._add_ref_item(found)
            self._fill_evidence(checked_keys(self.evidence))
            self._edited()
        return True

    def _add_typed_ref(self) -> None:
        ref = self.add_ref.text().strip().split("  ", 1)[0].strip()
        if ref and self.link(ref):
            self.add_ref.clear()
        elif ref:
            self.privacy.setText(f"No standard {ref!r} in this kit.")
            self.privacy.setVisible(True)

    def _remove_ref(self) -> None:
        for item in self.refs.selectedItems():
            self.refs.takeItem(self.refs.row(item))
        self._edited()

    def _thumbnail_ready(self, sha256: str) -> None:
        thumb = self.thumbnails.get(sha256) if self.thumbnails is not None else None
        if thumb is None:
            return
        was, self._loading = self._loading, True  # (a picture is not an edit)
        try:
            for i in range(self.photos.count()):
                item = self.photos.item(i)
                if item.data(SHA_ROLE) == sha256:
                    item.setIcon(QIcon(thumb))
        finally:
            self._loading = was

    def _edited(self) -> None:
        if self._loading:
            return
        self._show_privacy()
        self._set_dirty(bool(self.changes()))

    def rebase(self, stored: Finding | None) -> None:
        """The stored finding changed while words are being typed: keep the words."""
        if stored is not None and self.finding is not None and stored.id == self.finding.id:
            self.finding = stored
            self.title.setText(rules.finding_label(self.visit, stored))
            self._set_dirty(bool(self.changes()))
        else:
            self.load(stored)

    def mark_saved(self) -> None:
        """The changes went to be saved: nothing is unsaved (the stored values come back)."""
        self._set_dirty(False)

    def _set_dirty(self, dirty: bool) -> None:
        self.dirty = dirty
        self.save.setEnabled(dirty)
        self.revert.setEnabled(dirty)
        self.dirty_changed.emit(dirty)

    def changes(self) -> dict[str, Any]:
        """What differs from the stored finding, in ``edit_finding``'s words."""
        f = self.finding
        if f is None or not self.editable:
            return {}
        now: dict[str, Any] = {
            "text": self.text.toPlainText().strip(),
            "category": str(self.category.currentData()),
            "component": str(self.component.currentData()),
            "refs": self.linked_refs(),
            "evidence": checked_keys(self.evidence),
            "photos": checked_keys(self.photos),
        }
        stored: dict[str, Any] = {
            "text": f.text.strip(),
            "category": f.category,
            "component": f.component,
            "refs": list(f.refs),
            "evidence": list(f.evidence),
            "photos": list(f.photos),
        }
        return {k: v for k, v in now.items() if v != stored[k]}
