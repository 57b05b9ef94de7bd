"""The lists under a standard's page: evidence seen, my notes, photos and observations.

Each list has an "Add" button that asks through its dialog (``ui.dialogs``, whose ``ask()`` tests
patch) and records the answer with a named session operation (``ui.operations.ChangeOp``); each
item can be removed (undoable). What an edit changes is the session's to decide.
Photo thumbnails are read off the UI thread and kept in memory (``ui.thumbnails``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.model import (
    CATEGORIES,
    EVIDENCE_KINDS,
    EVIDENCE_SEEN,
    NOTE,
    OBSERVATION,
    PHOTO,
    EvidenceSeen,
)
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change, VisitSession
from ui import shortcuts
from ui.bridge import SessionBridge
from ui.operations import ChangeOp
from ui.text_style import clear_layout, heading, muted
from ui.thumbnails import Thumbnails

log = logging.getLogger(__name__)
THUMB_HEIGHT = 96
Action = tuple[str, str, Callable[[], None]]  # button text, accessible name, what it does
Row = tuple[str, list[Action], QPixmap | None]  # text, buttons, thumbnail


class _Section(QWidget):
    """A heading with an "Add" button, then one row per record."""

    def __init__(self, title: str, add: str, keys: tuple[str, ...], parent: QWidget) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        top = QHBoxLayout()
        label = QLabel(title, self)
        heading(label, 1.05)
        self.add = QPushButton(add, self)
        self.add.setAccessibleName(add)
        self.add.setToolTip(f"{add} ({keys[0]})" if keys else add)
        top.addWidget(label)
        top.addStretch(1)
        top.addWidget(self.add)
        self.rows = QVBoxLayout()
        self.rows.setSpacing(2)
        self.empty = QLabel("None yet.", self)
        muted(self.empty)
        layout.addLayout(top)
        layout.addLayout(self.rows)
        layout.addWidget(self.empty)

    def fill(self, rows: Sequence[Row]) -> None:
        focused = QApplication.focusWidget()
        if focused is not None and focused is not self.add and self.isAncestorOf(focused):
            # The rows are rebuilt: a keyboard user's focus stays in this list, not nowhere.
            self.add.setFocus(Qt.FocusReason.OtherFocusReason)
        clear_layout(self.rows)
        for text, actions, picture in rows:
            line = QHBoxLayout()
            if picture is not None:
                thumb = QLabel(self)
                thumb.setPixmap(picture)
                thumb.setAccessibleName("Photo")
                line.addWidget(thumb, 0, Qt.AlignmentFlag.AlignTop)
            label = QLabel(text, self)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(text[:80])
            line.addWidget(label, 1)
            for button_text, name, do in actions:
                button = QPushButton(button_text, self)
                button.setAccessibleName(name)
                button.setToolTip(name)
                button.clicked.connect(lambda _c=False, fn=do: fn())
                line.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.rows.addLayout(line)
        self.empty.setVisible(not rows)


class RecordLists(QWidget):
    open_document = Signal(str, str)

    def __init__(
        self,
        bridge: SessionBridge,
        context: Callable[[], tuple[str | None, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.session: VisitSession = bridge.session
        self._context = context
        self.shown_ids: set[str] = set()
        self.thumbnails = Thumbnails(self.session.read_blob, THUMB_HEIGHT, self)
        self.thumbnails.ready.connect(lambda _sha: self.refresh())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.evidence = _Section("Evidence seen", "Add evidence…", shortcuts.ADD_EVIDENCE, self)
        self.notes = _Section("My notes", "Add note…", shortcuts.ADD_NOTE, self)
        self.photos = _Section("Photos", "Add photo…", shortcuts.ADD_PHOTO, self)
        self.observations = _Section(
            "Observations", "Add observation…", shortcuts.ADD_OBSERVATION, self
        )
        for section, add in (
            (self.evidence, self.add_evidence),
            (self.notes, self.add_note),
            (self.photos, self.add_photo),
            (self.observations, self.add_observation),
        ):
            section.add.clicked.connect(lambda _c=False, fn=add: fn())
            layout.addWidget(section)

    @property
    def data(self) -> VisitData:
        return self.session.data

    def _change(self, op: Callable[[VisitSession], Future[Change] | None]) -> None:
        ChangeOp(self, self.bridge, op).run()

    # -- adding -----------------------------------------------------------------------------

    def add_evidence(self) -> None:
        ref, component = self._context()
        if ref is None:
            return
        from ui.dialogs import EvidenceDialog  # noqa: PLC0415 (when asked: not at start-up)

        answer = EvidenceDialog.ask(self.window(), self.data, ref, component)
        if answer:
            self._change(lambda s: s.add_evidence_seen(ref, component, **answer))

    def add_note(self) -> None:
        ref, _component = self._context()
        if ref is None:
            return
        from ui.dialogs import NoteDialog  # noqa: PLC0415

        text = NoteDialog.ask(self.window(), f"Note on {ref}")
        if text and text.strip():
            self._change(lambda s: s.add_note(ref, text))

    def add_observation(self) -> None:
        ref, _component = self._context()
        from ui.dialogs import ObservationDialog  # noqa: PLC0415

        answer = ObservationDialog.ask(self.window(), self.data, ref)
        if answer is not None:
            self._change(
                lambda s: s.add_observation(
                    answer.text, answer.category, tuple(answer.refs), answer.session_id
                )
            )

    def add_photo(self) -> None:
        ref, _component = self._context()
        from ui.dialogs import PhotoDialog  # noqa: PLC0415

        answer = PhotoDialog.ask(self.window())
        if answer is not None:
            self._change(lambda s: s.add_photo(answer.data, ref=ref or "", caption=answer.caption))

    def _edit_note(self, note_id: str) -> None:
        note = self.data.notes.get(note_id)
        if note is None:
            return
        from ui.dialogs import NoteDialog  # noqa: PLC0415

        text = NoteDialog.ask(self.window(), f"Edit note on {note.ref}", note.text)
        if text is not None and text != note.text:
            self._change(lambda s: s.edit_note(note_id, text))

    def edit_observation(self, observation_id: str) -> None:
        """Change an observation's words, category, standards or session (one undoable edit)."""
        found = self.data.observations.get(observation_id)
        if found is None:
            return
        from ui.dialogs import ObservationDialog  # noqa: PLC0415

        answer = ObservationDialog.ask(self.window(), self.data, None, found)
        if answer is not None:
            self._change(
                lambda s: s.edit_observation(
                    observation_id,
                    text=answer.text,
                    category=answer.category,
                    refs=answer.refs,
                    session_id=answer.session_id,
                )
            )

    def _delete(self, entity: str, entity_id: str) -> None:
        self._change(lambda s: s.delete(entity, entity_id))

    # -- showing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        ref, component = self._context()
        if ref is None:
            return
        data = self.data
        self.shown_ids = set()
        rows: list[Row] = []
        for e in data.evidence_for(ref, component):
            rows.append((self._evidence_text(e), self._evidence_actions(e), None))
            self.shown_ids.add(e.id)
        self.evidence.fill(rows)
        me = data.member_id
        note_rows: list[Row] = []
        for n in data.notes_for(ref):
            self.shown_ids.add(n.id)
            author = "" if n.author in ("", me) else f"{self._name(n.author)}: "
            actions: list[Action] = [
                ("Edit", "Edit this note", partial(self._edit_note, n.id)),
                ("Remove", "Remove this note", partial(self._delete, NOTE, n.id)),
            ]
            note_rows.append((author + n.text, actions, None))
        self.notes.fill(note_rows)
        photo_rows: list[Row] = []
        for p in data.photos_for(ref):
            self.shown_ids.add(p.id)
            remove: Action = (
                "Remove",
                "Remove this photo",
                partial(self._delete, PHOTO, p.id),
            )
            thumb = self.thumbnails.get(p.sha256)
            photo_rows.append((p.caption or "(no caption)", [remove], thumb))
        self.photos.fill(photo_rows)
        obs_rows: list[Row] = []
        for o in data.observations_for(ref):
            self.shown_ids.add(o.id)
            obs_actions: list[Action] = [
                ("Edit", "Edit this observation", partial(self.edit_observation, o.id)),
                (
                    "Remove",
                    "Remove this observation",
                    partial(self._delete, OBSERVATION, o.id),
                ),
            ]
            obs_rows.append((f"{CATEGORIES[o.category]}: {o.text}", obs_actions, None))
        self.observations.fill(obs_rows)

    def _name(self, member_id: str) -> str:
        member = self.data.visit.member(member_id)
        return member.name if member else member_id

    def _evidence_text(self, e: EvidenceSeen) -> str:
        kind = EVIDENCE_KINDS.get(e.kind, e.kind)
        parts = [kind]
        doc = self.data.document(e.document_id) if e.document_id else None
        if doc is not None:
            parts = [doc.title]
        if e.location:
            parts.append(e.location)
        if e.session_id:
            session = next((s for s in self.data.visit.timetable if s.id == e.session_id), None)
            parts.append(f"{session.start} {session.title}" if session else e.session_id)
        text = ", ".join(parts)
        return f"{text} — {e.description}" if e.description else text

    def _evidence_actions(self, e: EvidenceSeen) -> list[Action]:
        out: list[Action] = []
        if e.document_id and self.data.document(e.document_id) is not None:
            out.append(
                ("Open", "Open this document", partial(self.open_document.emit, e.document_id, ""))
            )
        out.append(
            (
                "Remove",
                "Remove this evidence",
                partial(self._delete, EVIDENCE_SEEN, e.id),
            )
        )
        return out
