"""The provider's factual accuracy comments, and the lead's answers to them (issue 18).

docs/after-the-visit.md, "The lead's answers". The sync stores what ``GET /v1/visits/{visit_id}
/accuracy`` gave (:func:`store_comments`) in ``<data>/accuracy/<visit_id>.json``; the window and
finalisation read it back with :func:`load_comments`, which never fails: a missing or damaged
file is no comments.

Each comment is answered by the lead, beside the finding or standard it concerns:

- **accept**: the finding's text, or the team judgement's rationale (the "comment" of the
  response form), becomes the proposed wording or the lead's own, through the normal
  operation (``VisitSession.edit_finding`` / ``set_team_judgement``), so it undoes and merges
  like any other edit; then the answer is recorded;
- **decline**: the answer is recorded with the lead's reason (required).

An answer is a record of its own in the operation log (``ACCURACY_ANSWER``, entity id the
comment's id, :class:`~reviewer_app.visit.model.AccuracyAnswer`), only the lead's to write.
Answering is two steps, each one operation (the UI runs them one after the other)::

    answer = accepting(session.data, session.member_id, comment, wording)
    change_text(session, answer)   # None when the text is already so
    record(session, answer)

For finalisation (``reviewer_app.lead.finalise``): :func:`unanswered` (the next version is
refused while any remain) and :func:`answers_for_findings` (``findings.json``'s
``accuracy_answers``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import findings
from reviewer_app.visit.model import (
    ACCEPTED,
    ACCURACY_ANSWER,
    DECLINED,
    AccuracyAnswer,
)
from reviewer_app.visit.read_model import VisitData, read_visit_data
from storage import Workspace
from storage.files import write_atomic

if TYPE_CHECKING:
    from reviewer_app.visit.session import Change, VisitSession

log = logging.getLogger(__name__)

FINDING_ITEM = "finding"
STANDARD_ITEM = "standard"
COMMENT_TYPES = {
    "typographical": "Typographical or numerical",
    "factual": "Factually inaccurate",
    "omitted": "Omitted information",
}
"""The provider's comment types (``sync/server/db.py`` ``COMMENT_TYPES``), in a person's words."""
MAX_FILE_BYTES = 20 * 1024 * 1024  # a response form is a few hundred rows: more is not one


class AnswerError(UserError):
    """An answer that cannot be made as asked (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class Comment:
    """One of the provider's comments, as the service gave it."""

    comment_id: str
    item_kind: str  # "finding" or "standard"
    item_id: str  # a finding's id, or "<component>:<ref>"
    item_label: str = ""
    comment_type: str = ""
    comment: str = ""
    proposed: str = ""
    form_row: int = 0
    imported_at: str = ""

    @property
    def type_label(self) -> str:
        return COMMENT_TYPES.get(self.comment_type, self.comment_type or "Comment")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Comment | None:
        """The comment, or None when it lacks an id or says nothing the lead could answer."""
        comment_id, kind, item_id = (
            str(d.get(k) or "") for k in ("comment_id", "item_kind", "item_id")
        )
        if not comment_id or kind not in (FINDING_ITEM, STANDARD_ITEM) or not item_id:
            return None
        try:
            row = int(d.get("form_row") or 0)
        except (TypeError, ValueError):
            row = 0
        return cls(
            comment_id=comment_id,
            item_kind=kind,
            item_id=item_id,
            item_label=str(d.get("item_label") or ""),
            comment_type=str(d.get("comment_type") or ""),
            comment=str(d.get("comment") or ""),
            proposed=str(d.get("proposed") or ""),
            form_row=row,
            imported_at=str(d.get("imported_at") or ""),
        )


@dataclass(frozen=True, slots=True)
class ProviderComments:
    """The comments of one finalised version (``snapshot_id``, ``version``); empty: none."""

    snapshot_id: str = ""
    version: int = 0
    comments: tuple[Comment, ...] = ()

    def __len__(self) -> int:
        return len(self.comments)

    def get(self, comment_id: str) -> Comment | None:
        return next((c for c in self.comments if c.comment_id == comment_id), None)

    def for_item(self, item_kind: str, item_id: str) -> list[Comment]:
        """The comments on one finding or standard, in the form's order."""
        return [c for c in self.comments if (c.item_kind, c.item_id) == (item_kind, item_id)]

    def for_finding(self, finding_id: str) -> list[Comment]:
        return self.for_item(FINDING_ITEM, finding_id)

    def for_standard(self, ref: str, component: str) -> list[Comment]:
        return self.for_item(STANDARD_ITEM, standard_item_id(ref, component))


# -- the stored comments ------------------------------------------------------------------------


def accuracy_file(paths: AppPaths, visit_id: str) -> Path:
    """Where the last sync stored the visit's comments."""
    return paths.data / "accuracy" / f"{visit_id}.json"


def store_comments(paths: AppPaths, visit_id: str, payload: Mapping[str, Any]) -> Path:
    """Keep what ``GET /v1/visits/{visit_id}/accuracy`` answered (``{}`` too: no comments),
    whole or not at all (``storage.files.write_atomic``)."""
    path = accuracy_file(paths, visit_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True, indent=1)
    return write_atomic(path, data.encode("utf-8"))


def parse_comments(payload: object) -> ProviderComments:
    """The comments of a payload; whatever is not a readable comment is left out."""
    if not isinstance(payload, Mapping):
        return ProviderComments()
    raw = payload.get("comments")
    items = raw if isinstance(raw, list) else []
    comments = tuple(
        c for c in (Comment.from_dict(d) for d in items if isinstance(d, Mapping)) if c is not None
    )
    try:
        version = int(payload.get("version") or 0)
    except (TypeError, ValueError):
        version = 0
    return ProviderComments(str(payload.get("snapshot_id") or ""), version, comments)


def load_comments(paths: AppPaths, visit_id: str) -> ProviderComments:
    """The comments the last sync stored; none when there is no file or it cannot be read
    (logged: the next sync writes it again)."""
    path = accuracy_file(paths, visit_id)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            log.warning("%s is too large to be the provider's comments; ignored", path)
            return ProviderComments()
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return ProviderComments()
    except (OSError, ValueError) as exc:
        log.warning("could not read the provider's comments in %s: %s", path, exc)
        return ProviderComments()
    return parse_comments(payload)


# -- the items commented on ---------------------------------------------------------------------


def standard_item_id(ref: str, component: str) -> str:
    """A standard's item id on the response form: ``"<component>:<ref>"``."""
    return f"{component}:{ref}"


def standard_of(data: VisitData, item_id: str) -> tuple[str, str] | None:
    """(ref, component) of a standard's item id, or None. Refs are free text (they may hold a
    colon), so the visit's components say where the component ends."""
    for c in data.visit.components:
        prefix = f"{c.id}:"
        if item_id.startswith(prefix) and item_id[len(prefix) :] in data.by_ref:
            return item_id[len(prefix) :], c.id
    return None


def item_text(data: VisitData, comment: Comment) -> str | None:
    """The commented item's text now (a finding's text, a team judgement's rationale); None
    when the item is no longer in the visit (a deleted finding)."""
    if comment.item_kind == FINDING_ITEM:
        f = data.findings.get(comment.item_id)
        return f.text if f is not None else None
    where = standard_of(data, comment.item_id)
    if where is None:
        return None
    return data.team_judgement(*where).rationale


def item_label(data: VisitData, comment: Comment) -> str:
    """How a person names the item: "Finding 2 (Concern), ..." or "HN-204 ... (component)";
    the label the service gave when the item is gone."""
    if comment.item_kind == FINDING_ITEM:
        f = data.findings.get(comment.item_id)
        if f is not None:
            return findings.finding_label(data, f)
    else:
        where = standard_of(data, comment.item_id)
        if where is not None:
            ref, component = where
            title = data.by_ref[ref].title
            return f"{ref} {title} ({findings.component_name(data, component)})"
    if comment.item_label:
        return comment.item_label
    gone = "A finding" if comment.item_kind == FINDING_ITEM else f"Standard {comment.item_id}"
    return f"{gone} no longer in this visit"


# -- answering ----------------------------------------------------------------------------------


def _answer(
    data: VisitData,
    member_id: str,
    comment: Comment,
    comments: ProviderComments | None,
    *,
    item_needed: bool = True,
) -> AccuracyAnswer:
    """The answer's common part; ``before`` the item's text as it was when first answered.
    An item no longer in the visit is refused when ``item_needed`` (to accept is to change it)."""
    findings.require_lead(data.visit, member_id, "answers the provider's comments")
    now = item_text(data, comment)
    if now is None and item_needed:
        raise AnswerError(
            f"{item_label(data, comment)} is no longer in this visit; "
            "the comment cannot change it (decline it, saying why)"
        )
    now = now or ""
    earlier = data.accuracy_answers.get(comment.comment_id)
    return AccuracyAnswer(
        comment_id=comment.comment_id,
        decision="",
        before=earlier.before if earlier is not None and earlier.decision else now,
        after=now,
        answered_by=member_id,
        answered_at=findings.now_utc(),
        item_kind=comment.item_kind,
        item_id=comment.item_id,
        item_label=comment.item_label or item_label(data, comment),
        comment_type=comment.comment_type,
        comment=comment.comment,
        proposed=comment.proposed,
        snapshot_id=comments.snapshot_id if comments is not None else "",
        version=comments.version if comments is not None else 0,
    )


def accepting(
    data: VisitData,
    member_id: str,
    comment: Comment,
    wording: str | None = None,
    comments: ProviderComments | None = None,
) -> AccuracyAnswer:
    """The answer that accepts ``comment``: the item's text becomes ``wording`` (None: the
    provider's proposed wording). Refused (``LeadOnly``, :class:`AnswerError`) for anyone but
    the lead, for no wording, or for an item no longer in the visit."""
    text = (comment.proposed if wording is None else wording).strip()
    answer = _answer(data, member_id, comment, comments)
    if not text:
        raise AnswerError(
            "the provider proposed no wording; accept it with your own words, or decline it"
            if wording is None
            else "write the new wording, or decline the comment saying why"
        )
    return replace(answer, decision=ACCEPTED, after=text)


def declining(
    data: VisitData,
    member_id: str,
    comment: Comment,
    reason: str,
    comments: ProviderComments | None = None,
) -> AccuracyAnswer:
    """The answer that declines ``comment`` for ``reason`` (required); the item is unchanged."""
    findings.require_lead(data.visit, member_id, "answers the provider's comments")
    if not reason.strip():
        raise AnswerError("say why the comment is declined: the provider will read the reason")
    answer = _answer(data, member_id, comment, comments, item_needed=False)
    return replace(answer, decision=DECLINED, reason=reason.strip())


def needs_text_change(data: VisitData, answer: AccuracyAnswer) -> bool:
    """Whether accepting changes the item's text (it may already say the accepted words)."""
    if answer.decision != ACCEPTED:
        return False
    comment = Comment(answer.comment_id, answer.item_kind, answer.item_id)
    now = item_text(data, comment)
    return now is not None and now.strip() != answer.after.strip()


def change_text(session: VisitSession, answer: AccuracyAnswer) -> Future[Change] | None:
    """The first step of accepting: the item's text becomes ``answer.after``, through the
    session's own operation (undoable, merged, lead only). None when nothing changes."""
    if not needs_text_change(session.data, answer):
        return None
    if answer.item_kind == FINDING_ITEM:
        return session.edit_finding(answer.item_id, text=answer.after)
    where = standard_of(session.data, answer.item_id)
    if where is None:
        raise AnswerError("that standard is no longer in this visit's kit")
    ref, component = where
    team = session.data.team_judgement(ref, component)
    return session.set_team_judgement(ref, component, team.value, answer.after)


def record(session: VisitSession, answer: AccuracyAnswer) -> Future[Change]:
    """Record the answer (one operation on the answer's own record; undo takes it back)."""
    findings.require_lead(session.data.visit, session.member_id, "answers the provider's comments")
    if answer.decision == DECLINED and not answer.reason.strip():
        raise AnswerError("say why the comment is declined: the provider will read the reason")
    if answer.decision not in (ACCEPTED, DECLINED):
        raise AnswerError("an answer accepts or declines the comment")
    return session.update(ACCURACY_ANSWER, answer.comment_id, answer.fields())


# -- for finalisation ---------------------------------------------------------------------------


def _data_and_comments(
    data_or_ws: VisitData | Workspace, paths: AppPaths
) -> tuple[VisitData, ProviderComments]:
    """The visit and the comments still to be answered in its next version: none when the
    comments are on a version that a later version of this workspace already superseded."""
    if isinstance(data_or_ws, Workspace):
        data = read_visit_data(data_or_ws)
        comments = load_comments(paths, data.visit.visit_id)
        latest = data_or_ws.latest_snapshot()
        known = {row.snapshot_id for row in data_or_ws.snapshots()}
        if (
            comments.snapshot_id in known
            and latest is not None
            and latest.snapshot_id != comments.snapshot_id
        ):
            return data, ProviderComments()
        return data, comments
    return data_or_ws, load_comments(paths, data_or_ws.visit.visit_id)


def unanswered(data_or_ws: VisitData | Workspace, paths: AppPaths) -> list[Comment]:
    """The stored comments with no answer yet, in the form's order: finalising the next
    version is refused while any remain.

    ``data_or_ws``: the read model, or the open workspace (then comments on a version this
    workspace has since superseded count as answered: that round is over).
    """
    data, comments = _data_and_comments(data_or_ws, paths)
    answers = data.accuracy_answers
    return [
        c
        for c in comments.comments
        if not (c.comment_id in answers and answers[c.comment_id].answered)
    ]


def answers_for_findings(
    data_or_ws: VisitData | Workspace, paths: AppPaths
) -> list[dict[str, Any]]:
    """``findings.json``'s ``accuracy_answers``: one object per answered stored comment, in
    the form's order, in the shape of docs/after-the-visit.md (``comment_id``, ``item_kind``,
    ``item_id``, ``item_label``, ``comment_type``, ``comment``, ``proposed``, ``decision``
    ("accepted" or "declined"), ``reason``, ``before``, ``after``, ``answered_by`` (member
    id), ``answered_at`` (ISO UTC)). ``before`` is the item's text when the comment was first
    answered; ``after`` its text in this version (for a declined comment, normally the same).
    The comment's words are the service's (what the provider wrote), not the answer's copy.
    Same ``data_or_ws`` as :func:`unanswered`."""
    data, comments = _data_and_comments(data_or_ws, paths)
    out: list[dict[str, Any]] = []
    for c in comments.comments:
        a = data.accuracy_answers.get(c.comment_id)
        if a is None or not a.answered:
            continue
        now = item_text(data, c)
        out.append(
            {
                "comment_id": c.comment_id,
                "item_kind": c.item_kind,
                "item_id": c.item_id,
                "item_label": c.item_label or a.item_label,
                "comment_type": c.comment_type,
                "comment": c.comment,
                "proposed": c.proposed,
                "decision": a.decision,
                "reason": a.reason if a.decision == DECLINED else "",
                "before": a.before,
                "after": now if now is not None else a.after,
                "answered_by": a.answered_by,
                "answered_at": a.answered_at,
            }
        )
    return out


def counts(data: VisitData, comments: ProviderComments) -> tuple[int, int]:
    """(answered, all) of the stored comments."""
    answers = data.accuracy_answers
    done = sum(
        1 for c in comments.comments if c.comment_id in answers and answers[c.comment_id].answered
    )
    return done, len(comments)
