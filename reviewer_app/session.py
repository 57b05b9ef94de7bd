"""One reviewer's open visit: what the window reads, and the named operations that change it.

``VisitSession`` is the explicit context object the window is given (git-cola style): it owns the
storage worker, keeps the in-memory read model (``VisitData``) and offers every change the UI can
make as a named operation that runs on the worker and returns a ``Future[Change]``. The UI passes
each finished ``Change`` back to ``absorb()`` on its own thread; that updates the read model and
the undo history, and the UI then tells every screen what changed (Anki's ``OpChanges``).

Nothing here imports Qt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.visit_data import VisitData, read_visit_data
from reviewer_app.visit_model import (
    DELETED,
    EVIDENCE_SEEN,
    JUDGEMENT,
    NOTE,
    OBSERVATION,
    PHOTO,
    judgement_id,
    part_field,
)
from storage import BlobStore, StorageWorker, Workspace

UNDO_DEPTH = 200


@dataclass(frozen=True, slots=True)
class Change:
    """What one operation changed: the entity, its fields now (None when deleted), and how to
    undo and redo it."""

    entity: str
    entity_id: str
    fields: Mapping[str, Any] | None
    undo: Mapping[str, Any]
    redo: Mapping[str, Any]
    description: str
    from_history: bool = False  # made by undo or redo: not pushed onto the undo stack again


@dataclass(slots=True)
class History:
    undo: list[Change] = field(default_factory=list)
    redo: list[Change] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Edit:
    """An edit to make: the fields of one entity, and how the undo history should see it."""

    entity: str
    entity_id: str
    changes: Mapping[str, Any]
    description: str
    from_history: bool = False


def _edit(ws: Workspace, member_id: str, edit: Edit) -> Change:
    """Runs on the storage worker: record the changes, return what undoes and redoes them."""
    entity, entity_id, changes = edit.entity, edit.entity_id, edit.changes
    was_live = ws.entity(entity, entity_id) is not None
    before = {name: ws.field(entity, entity_id, name) for name in changes}
    ws.record(member_id, entity, entity_id, dict(changes))
    now = ws.entity(entity, entity_id)
    if DELETED in changes:
        undo: dict[str, Any] = {DELETED: not changes[DELETED]}
    elif not was_live:
        undo = {DELETED: True}  # undoing a creation removes the record again
    else:
        undo = before
    redo = dict(changes)
    if undo.get(DELETED) is True and DELETED not in redo:
        redo[DELETED] = False
    return Change(entity, entity_id, now, undo, redo, edit.description, edit.from_history)


def _add_photo(
    ws: Workspace, member_id: str, photo_id: str, data: bytes, fields: Mapping[str, Any]
) -> Change:
    sha = ws.blobs.add_photo(data)  # re-encoded: upright, no EXIF or GPS, size capped
    return _edit(ws, member_id, Edit(PHOTO, photo_id, {**fields, "sha256": sha}, "add a photo"))


class VisitSession:
    """The open visit, as one reviewer on this laptop sees and changes it."""

    def __init__(self, worker: StorageWorker, data: VisitData, blobs: BlobStore) -> None:
        self.worker = worker
        self.data = data
        self.history = History()
        self._blobs = blobs

    @classmethod
    def load(cls, worker: StorageWorker, blobs: BlobStore) -> Future[VisitSession]:
        """Read the visit on the worker; the future gives a ready session."""
        return _then(worker.submit(read_visit_data), lambda data: cls(worker, data, blobs))

    def blob_path(self, sha256: str) -> Path:
        """Where a stored document or photo is (read-only use: the store owns the file)."""
        return self._blobs.path(sha256)

    @property
    def member_id(self) -> str:
        return self.data.member_id

    def close(self) -> None:
        self.worker.close()

    # -- named operations (each runs on the worker) ---------------------------------------------

    def _run(
        self, entity: str, entity_id: str, changes: Mapping[str, Any], what: str
    ) -> Future[Change]:
        return self.worker.submit(_edit, self.member_id, Edit(entity, entity_id, changes, what))

    def set_judgement(
        self, ref: str, component: str, value: str, reason: str | None = None
    ) -> Future[Change]:
        changes: dict[str, Any] = {"value": value}
        if reason is not None:
            changes["reason"] = reason
        jid = judgement_id(ref, component, self.member_id)
        return self._run(JUDGEMENT, jid, changes, f"judge {ref}")

    def set_reason(self, ref: str, component: str, reason: str) -> Future[Change]:
        jid = judgement_id(ref, component, self.member_id)
        return self._run(JUDGEMENT, jid, {"reason": reason}, f"reason for {ref}")

    def tick_part(self, ref: str, component: str, label: str, met: bool) -> Future[Change]:
        jid = judgement_id(ref, component, self.member_id)
        return self._run(JUDGEMENT, jid, {part_field(label): met}, f"part {label} of {ref}")

    def add_evidence_seen(
        self,
        ref: str,
        component: str,
        kind: str,
        *,
        document_id: str = "",
        location: str = "",
        session_id: str = "",
        description: str = "",
    ) -> Future[Change]:
        fields = {
            "ref": ref,
            "component": component,
            "kind": kind,
            "document_id": document_id,
            "location": location,
            "session_id": session_id,
            "description": description,
            "author": self.member_id,
        }
        return self._run(EVIDENCE_SEEN, _new_id(), fields, f"evidence for {ref}")

    def add_note(self, ref: str, text: str) -> Future[Change]:
        fields = {"ref": ref, "text": text, "author": self.member_id}
        return self._run(NOTE, _new_id(), fields, f"note on {ref}")

    def edit_note(self, note_id: str, text: str) -> Future[Change]:
        return self._run(NOTE, note_id, {"text": text}, "edit a note")

    def add_photo(
        self, data: bytes, *, ref: str = "", caption: str = "", observation_id: str = ""
    ) -> Future[Change]:
        fields = {
            "ref": ref,
            "caption": caption,
            "observation_id": observation_id,
            "author": self.member_id,
        }
        return self.worker.submit(_add_photo, self.member_id, _new_id(), data, fields)

    def add_photo_file(self, path: Path, **fields: str) -> Future[Change]:
        return self.add_photo(path.read_bytes(), **fields)

    def add_observation(
        self, text: str, category: str, refs: tuple[str, ...] = (), session_id: str = ""
    ) -> Future[Change]:
        fields = {
            "text": text,
            "category": category,
            "refs": list(refs),
            "session_id": session_id,
            "author": self.member_id,
        }
        return self._run(OBSERVATION, _new_id(), fields, "add an observation")

    def update(self, entity: str, entity_id: str, changes: Mapping[str, Any]) -> Future[Change]:
        return self._run(entity, entity_id, changes, f"edit {entity.replace('_', ' ')}")

    def delete(self, entity: str, entity_id: str) -> Future[Change]:
        return self._run(entity, entity_id, {DELETED: True}, f"delete {entity.replace('_', ' ')}")

    def search(self, query: str) -> Future[list[str]]:
        """Refs whose ref, title, requirement or evidence text match (FTS5), plus my notes."""
        return self.worker.submit(Workspace.search_standards, query)

    def remember_position(self, ref: str, component: str) -> Future[None]:
        """Where the reviewer is, so the app reopens there after a crash or power cut."""
        return self.worker.submit(
            Workspace.set_local, "position", {"ref": ref, "component": component}
        )

    # -- undo and redo through the operation log ----------------------------------------------

    def can_undo(self) -> bool:
        return bool(self.history.undo)

    def can_redo(self) -> bool:
        return bool(self.history.redo)

    def undo(self) -> Future[Change] | None:
        if not self.history.undo:
            return None
        change = self.history.undo.pop()
        self.history.redo.append(change)
        edit = Edit(change.entity, change.entity_id, change.undo, change.description, True)
        return self.worker.submit(_edit, self.member_id, edit)

    def redo(self) -> Future[Change] | None:
        if not self.history.redo:
            return None
        change = self.history.redo.pop()
        self.history.undo.append(change)
        edit = Edit(change.entity, change.entity_id, change.redo, change.description, True)
        return self.worker.submit(_edit, self.member_id, edit)

    def absorb(self, change: Change) -> None:
        """Take a finished change into the read model (and the undo history). UI thread."""
        self.data.apply(change.entity, change.entity_id, change.fields)
        if not change.from_history:
            self.history.undo.append(change)
            del self.history.undo[:-UNDO_DEPTH]
            self.history.redo.clear()


def _new_id() -> str:
    return str(uuid.uuid4())


def _then(future: Future[Any], fn: Callable[[Any], Any]) -> Future[Any]:
    out: Future[Any] = Future()

    def done(f: Future[Any]) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        try:
            out.set_result(fn(f.result()))
        except Exception as e:  # noqa: BLE001 - delivered through the future
            out.set_exception(e)

    future.add_done_callback(done)
    return out
