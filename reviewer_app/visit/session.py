"""One reviewer's open visit: what the window reads, and the named operations that change it.

``VisitSession`` is the explicit context object the window is given (git-cola style): it owns the
storage worker, keeps the in-memory read model (``VisitData``) and offers every change the UI can
make as a named operation that runs on the worker and returns a ``Future[Change]``. The UI passes
each finished ``Change`` back to ``absorb()`` on its own thread; that updates the read model and
the undo history, and the UI then tells every screen what changed (Anki's ``OpChanges``).

Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from reviewer_app.app.errors import UserError
from reviewer_app.app.keys import keys
from reviewer_app.lead import findings
from reviewer_app.visit.conflicts import resolve_group
from reviewer_app.visit.model import (
    DELETED,
    EVIDENCE_SEEN,
    FINDING,
    JUDGEMENT,
    JUDGEMENT_LABELS,
    JUDGEMENTS,
    NEEDS_REASON,
    NOTE,
    OBSERVATION,
    PHOTO,
    REPORT_TEXT,
    TEAM_JUDGEMENT,
    judgement_id,
    part_field,
    team_judgement_id,
)
from reviewer_app.visit.read_model import VisitData, read_visit_data
from storage import KEEP_WINNER, BlobStore, Op, StorageWorker, Workspace

if TYPE_CHECKING:
    from reviewer_app.visit.doc_search import DocumentIndex

UNDO_DEPTH = 200
ADD_PHOTO = "add a photo"
RISK_STATUS_CHANGES = {
    "confirmed": "record the written confirmation",
    "closed": "close the immediate risk",
}
# What removing each kind of record is called (the Undo menu, a message that it failed).
REMOVE = {
    NOTE: "remove a note",
    PHOTO: "remove a photo",
    OBSERVATION: "remove an observation",
    EVIDENCE_SEEN: "remove evidence",
}
log = logging.getLogger(__name__)


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


class PendingChange(Future[Change]):
    """A change on its way from the storage worker, named before it is made ("judge HN-204").

    The name is the session's description of the change: the window says it in the Undo menu,
    and in the message when the change could not be made, so no caller words it again."""

    def __init__(self, description: str, job: Future[Change]) -> None:
        super().__init__()
        self.description = description
        job.add_done_callback(self._take)

    def _take(self, job: Future[Change]) -> None:
        if job.cancelled():
            self.cancel()
            return
        exc = job.exception()
        if exc is not None:
            self.set_exception(exc)
        else:
            self.set_result(job.result())


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
    return _edit(ws, member_id, Edit(PHOTO, photo_id, {**fields, "sha256": sha}, ADD_PHOTO))


def _back_up_if_due(ws: Workspace) -> None:
    """Runs on the storage worker after each edit: a backup once a quarter of an hour of
    editing has passed (``Workspace.backup_if_due``). A backup that fails (a full disk) must
    not fail the edits, which are safely stored: it is logged, and tried after the next edit."""
    try:
        ws.backup_if_due()
    except Exception:
        log.exception("the periodic backup of %s failed", ws.path)


def _planned(
    ws: Workspace, member_id: str, job: tuple[str, str, str, Callable[..., Any], tuple[Any, ...]]
) -> Change:
    """Runs on the storage worker: ``plan`` works out the changes from what is stored now."""
    entity, entity_id, description, plan, args = job
    changes = plan(ws, entity_id, *args)
    return _edit(ws, member_id, Edit(entity, entity_id, changes, description))


class VisitSession:
    """The open visit, as one reviewer on this laptop sees and changes it."""

    def __init__(self, worker: StorageWorker, data: VisitData, blobs: BlobStore) -> None:
        self.worker = worker
        self.data = data
        self.history = History()
        self._blobs = blobs
        self._document_index: DocumentIndex | None = None

    @classmethod
    def load(cls, worker: StorageWorker, blobs: BlobStore) -> Future[VisitSession]:
        """Read the visit on the worker; the future gives a ready session."""
        return _then(worker.submit(read_visit_data), lambda data: cls(worker, data, blobs))

    @property
    def blobs(self) -> BlobStore:
        """The visit's stored documents and photos (sealed on disk: read them through
        ``open_blob``, ``read_blob`` or the store's API, never by path)."""
        return self._blobs

    def open_blob(self, sha256: str) -> BinaryIO:
        """A stored document or photo for reading, decrypted as it is read (seekable);
        ``FileNotFoundError`` when it is not on this laptop. Safe on any thread."""
        return self._blobs.open(sha256)

    def read_blob(self, sha256: str) -> bytes:
        """A stored document or photo, whole, decrypted."""
        return self._blobs.read_bytes(sha256)

    def blob_size(self, sha256: str) -> int:
        """A stored file's size (its plaintext's)."""
        return self._blobs.size(sha256)

    def document_index(self) -> DocumentIndex:
        """The searchable text of the kit's documents: indexing starts in the background on
        first use (the window asks when it opens the visit) and never delays anything."""
        if self._document_index is None:
            from reviewer_app.visit.doc_search import DocumentIndex  # noqa: PLC0415

            folder = self._blobs.root.parent  # the visit's folder, named by its id
            # In memory since the visit was opened (asked again, on this thread, after a lock).
            key = keys().get(folder.name, folder)
            index = DocumentIndex(folder, self.data.documents, self._blobs.path, key=key)
            if self.closed:  # asked after the visit closed: an index that is closed too
                index.close()
            else:
                index.start()
            self._document_index = index
        return self._document_index

    @property
    def member_id(self) -> str:
        return self.data.member_id

    @property
    def is_lead(self) -> bool:
        """Whether this laptop's reviewer is the visit's lead, who alone records team judgements,
        findings, immediate risks and the report's texts (anyone else is refused)."""
        lead = self.data.visit.lead
        return lead is not None and lead.member_id == self.member_id

    @property
    def closed(self) -> bool:
        return self.worker.closed

    def close(self) -> None:
        if self._document_index is not None:
            self._document_index.close()  # what is indexed stays indexed
        self.worker.close()

    # -- named operations (each runs on the worker) ---------------------------------------------

    def _submit_edit(
        self, description: str, fn: Callable[..., Change], *args: Any
    ) -> PendingChange:
        """Every edit goes through here: ``fn(workspace, *args)`` on the worker, then the check
        for a periodic backup, after the edit's future is already answered."""
        future = PendingChange(description, self.worker.submit(fn, *args))
        with contextlib.suppress(RuntimeError):  # closed in between: no more edits to back up
            self.worker.submit(_back_up_if_due)
        return future

    def _run(
        self, entity: str, entity_id: str, changes: Mapping[str, Any], what: str
    ) -> PendingChange:
        edit = Edit(entity, entity_id, changes, what)
        return self._submit_edit(what, _edit, self.member_id, edit)

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
        return self._run(JUDGEMENT, jid, {"reason": reason}, f"write the reason for {ref}")

    def tick_part(self, ref: str, component: str, label: str, met: bool) -> Future[Change]:
        jid = judgement_id(ref, component, self.member_id)
        return self._run(JUDGEMENT, jid, {part_field(label): met}, f"tick part {label} of {ref}")

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
        return self._run(EVIDENCE_SEEN, _new_id(), fields, f"add evidence for {ref}")

    def add_note(self, ref: str, text: str) -> Future[Change]:
        fields = {"ref": ref, "text": text, "author": self.member_id}
        return self._run(NOTE, _new_id(), fields, f"add a note on {ref}")

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
        return self._submit_edit(ADD_PHOTO, _add_photo, self.member_id, _new_id(), data, fields)

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

    def set_team_judgement(
        self, ref: str, component: str, value: str, rationale: str = ""
    ) -> Future[Change]:
        """The lead records the team's judgement. Anyone else is refused here (and their op would
        be refused at import anyway); Not met and N/A need a rationale."""
        lead = self.data.visit.lead
        if not self.is_lead:
            name = lead.name if lead is not None else "the lead reviewer (none is named in the kit)"
            raise UserError(
                f"only the lead reviewer, {name}, records the team judgement; "
                "record your own judgement instead, and the lead will see it in their register"
            )
        if value not in JUDGEMENTS:
            raise UserError(f"{value!r} is not a judgement; choose Met, Not met, N/A or Not yet")
        if value in NEEDS_REASON and not rationale.strip():
            raise UserError(
                f"a team judgement of {JUDGEMENT_LABELS[value]} needs a rationale; write why"
            )
        fields = {"value": value, "rationale": rationale.strip()}
        tid = team_judgement_id(ref, component)
        return self._run(TEAM_JUDGEMENT, tid, fields, f"record the team judgement of {ref}")

    def resolve_conflict(self, losers: Sequence[Op], value: Any = KEEP_WINNER) -> Future[Change]:
        """Settle concurrent edits of one field: the winner kept, or ``value`` (one of the losing
        values, or a new one) recorded. Not on the undo stack: it settles other people's work."""
        first = losers[0]

        def job(ws: Workspace) -> Change:
            now = resolve_group(ws, self.member_id, [op.op_id for op in losers], value)
            return Change(first.entity, first.entity_id, now, {}, {}, "resolve a conflict", True)

        return self._submit_edit("resolve a conflict", job)

    def reload(self, data: VisitData) -> None:
        """Take a fresh read of the visit (after an import) in place of the read model. UI
        thread. The undo history stays: it holds values, which stay valid."""
        self.data.take(data)
        if self._document_index is not None:  # a re-issued kit: index its new documents
            self._document_index.update(self.data.documents)

    def update(self, entity: str, entity_id: str, changes: Mapping[str, Any]) -> Future[Change]:
        return self._run(entity, entity_id, changes, f"edit {_a(entity.replace('_', ' '))}")

    def edit_observation(
        self, observation_id: str, *, text: str, category: str, refs: Sequence[str], session_id: str
    ) -> Future[Change] | None:
        """Change an observation's words, category, standards or session: one undoable edit of
        the fields that differ, or None when nothing does (nothing is recorded)."""
        found = self.data.observations.get(observation_id)
        if found is None:
            return None
        now = {"text": text, "category": category, "refs": list(refs), "session_id": session_id}
        before = {
            "text": found.text,
            "category": found.category,
            "refs": list(found.refs),
            "session_id": found.session_id,
        }
        changes = {name: value for name, value in now.items() if before[name] != value}
        if not changes:
            return None
        return self._run(OBSERVATION, observation_id, changes, "edit an observation")

    def delete(self, entity: str, entity_id: str) -> Future[Change]:
        what = REMOVE.get(entity, f"remove {_a(entity.replace('_', ' '))}")
        return self._run(entity, entity_id, {DELETED: True}, what)

    def remember_position(self, ref: str, component: str) -> Future[None]:
        """Where the reviewer is, so the app reopens there after a crash or power cut."""
        return self.worker.submit(
            Workspace.set_local, "position", {"ref": ref, "component": component}
        )

    # -- the lead's findings and report texts (rules in reviewer_app/lead/findings.py) -------------
    # Only the lead writes these: anyone else is refused at once with LeadOnly (a user error
    # naming the lead), and their ops would be refused at import too. What each edit changes is
    # planned on the worker from what is stored, so two quick edits never see a stale order.

    def _lead_edit(
        self, edit: tuple[str, str, str, str], plan: Callable[..., Any], *args: Any
    ) -> Future[Change]:
        """``edit`` is (entity, entity_id, what only the lead does, description for undo)."""
        entity, entity_id, what, description = edit
        findings.require_lead(self.data.visit, self.member_id, what)
        job = (entity, entity_id, description, plan, args)
        return self._submit_edit(description, _planned, self.member_id, job)

    def add_finding(
        self,
        component: str,
        category: str,
        text: str,
        *,
        refs: Sequence[str] = (),
        evidence: Sequence[str] = (),
        photos: Sequence[str] = (),
    ) -> Future[Change]:
        """A new finding, after the last of its component (``""``: whole service) and category."""
        fields = {
            "text": text,
            "category": category,
            "component": component,
            "refs": list(refs),
            "evidence": list(evidence),
            "photos": list(photos),
            "author": self.member_id,
            "created_at": findings.now_utc(),
            "risk_status": "open",
        }
        edit = (FINDING, _new_id(), "writes findings", "add a finding")
        return self._lead_edit(edit, findings.plan_add, self.data.visit, fields)

    def edit_finding(self, finding_id: str, **changes: Any) -> Future[Change]:
        """Change a finding's fields (text, category, component, refs, evidence, photos, ...)."""
        edit = (FINDING, finding_id, "edits findings", "edit a finding")
        return self._lead_edit(edit, findings.plan_edit, self.data.visit, changes)

    def move_finding(self, finding_id: str, before_id: str | None) -> Future[Change]:
        """Put a finding just before another of its component and category (None: last)."""
        edit = (FINDING, finding_id, "orders findings", "move a finding")
        return self._lead_edit(edit, findings.plan_move, before_id)

    def delete_finding(self, finding_id: str) -> Future[Change]:
        findings.require_lead(self.data.visit, self.member_id, "deletes findings")
        return self._run(FINDING, finding_id, {DELETED: True}, "delete a finding")

    def promote_observation(self, observation_id: str, component: str) -> Future[Change]:
        """A finding made from a reviewer's observation: its text, category, refs and photos."""
        edit = (FINDING, _new_id(), "writes findings", "make an observation a finding")
        args = (self.data.visit, observation_id, component, self.member_id)
        return self._lead_edit(edit, findings.plan_promote, *args)

    def record_escalation(self, finding_id: str, to: str, at: str, how: str) -> Future[Change]:
        """An immediate risk was escalated: to whom, when (ISO date and time), how."""
        edit = (FINDING, finding_id, "records escalations", "record an escalation")
        return self._lead_edit(edit, findings.plan_escalation, to, at, how)

    def set_risk_status(
        self, finding_id: str, status: str, confirmation_sent: str | None = None
    ) -> Future[Change]:
        """An immediate risk's status (RISK_STATUSES); confirming it dates the letter."""
        description = RISK_STATUS_CHANGES.get(status, "set a risk's status")
        edit = (FINDING, finding_id, "sets risk statuses", description)
        return self._lead_edit(edit, findings.plan_status, status, confirmation_sent)

    def set_report_text(self, name: str, text: str) -> Future[Change]:
        """One of the report's editable passages (introduction, acknowledgements ...)."""
        edit = (REPORT_TEXT, name, "edits the report's text", "edit the report's text")
        return self._lead_edit(edit, findings.plan_report_text, text)

    # -- undo and redo through the operation log ----------------------------------------------

    def can_undo(self) -> bool:
        return bool(self.history.undo)

    def can_redo(self) -> bool:
        return bool(self.history.redo)

    def undo_description(self) -> str:
        """What Undo would take back, in words ("judge HN-204"); "" when there is nothing."""
        return self.history.undo[-1].description if self.history.undo else ""

    def redo_description(self) -> str:
        """What Redo would make again, in words; "" when there is nothing."""
        return self.history.redo[-1].description if self.history.redo else ""

    def undo(self) -> Future[Change] | None:
        if not self.history.undo:
            return None
        change = self.history.undo.pop()
        self.history.redo.append(change)
        edit = Edit(change.entity, change.entity_id, change.undo, change.description, True)
        return self._submit_edit(f"undo {change.description}", _edit, self.member_id, edit)

    def redo(self) -> Future[Change] | None:
        if not self.history.redo:
            return None
        change = self.history.redo.pop()
        self.history.undo.append(change)
        edit = Edit(change.entity, change.entity_id, change.redo, change.description, True)
        return self._submit_edit(f"redo {change.description}", _edit, self.member_id, edit)

    def absorb(self, change: Change) -> None:
        """Take a finished change into the read model (and the undo history). UI thread."""
        self.data.apply(change.entity, change.entity_id, change.fields)
        if not change.from_history:
            self.history.undo.append(change)
            del self.history.undo[:-UNDO_DEPTH]
            self.history.redo.clear()


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _new_id() -> str:
    import uuid  # noqa: PLC0415 (uuid brings platform: 1 ms of start-up)

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
