"""What the service accepts from a request: strict models, bounded as the database columns are.

Everything a laptop sends is checked here before any of it reaches SQL, so that a request that
one engine would store and another refuse (an over-long id, a NUL byte, a lone surrogate, a
version beyond a 32-bit column) gets the same 4xx with one sentence on SQLite and PostgreSQL, and
a database can move between them. The limits are the columns' (``sync/server/db.py``): ids are at
most 64 characters, names and member ids 200, versions fit an ``INTEGER`` (below 2**31), sizes a
``BIGINT``. A JSON boolean is never a number, and no text anywhere in a request may hold a NUL or
half of a UTF-16 surrogate pair (PostgreSQL cannot store the first, UTF-8 cannot encode the second).

Refusals are :class:`RequestProblem` (status 422 or 400, one sentence); the routes' own
:class:`OneSentenceRoute` turns FastAPI's validation lists into the same one-sentence form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)
from starlette.exceptions import HTTPException

__all__ = [
    "COMMENT_MAX",
    "PROGRAMME_MAX",
    "ID_MAX",
    "NAME_MAX",
    "VERSION_MAX",
    "ApprovalIn",
    "AssignmentIn",
    "CommentIn",
    "EnvelopeIn",
    "FinalReportIn",
    "OneSentenceRoute",
    "PackSentIn",
    "ProgrammeSettingsIn",
    "RequestProblem",
    "check_json",
    "check_text",
    "validated",
]

ID_MAX = 64  # snapshot_id, visit_id, kit_id, supersedes: String(64)
NAME_MAX = 200  # user names, member ids: String(200)
VERSION_MAX = 2**31 - 1  # submissions.version: INTEGER on PostgreSQL
BIGINT_MAX = 2**63 - 1  # sizes: BIGINT
COMMENT_MAX = 20_000  # a staff comment (state change or note): a page of text, not a file
PROGRAMME_MAX = 400  # programme_settings.programme: String(400)
ANSWERS_MAX = 10_000  # answers to a provider's comments: one per comment of a form
EXPECTED_DAYS_MAX = 3650  # working days from a visit's end to a step: ten years is plenty
MAX_DEPTH = 900  # nesting; the app writes 4 levels, Python's JSON reader stops near 1000
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_SHA256 = re.compile("[0-9a-f]{64}")
M = TypeVar("M", bound=BaseModel)


class RequestProblem(ValueError):
    """A request the service refuses before touching anything: status and one sentence."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_text(value: str) -> str:
    """``value`` unless it holds a NUL or a lone surrogate (pydantic then says where)."""
    found = _BAD_CHARACTER.search(value)
    if found is not None:
        what = "a NUL character" if found.group() == "\x00" else "half of a surrogate pair"
        raise ValueError(f"text may not contain {what}")
    return value


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise ValueError("a SHA-256 is exactly 64 lower-case hex digits")
    return value


Text = Annotated[StrictStr, AfterValidator(check_text)]
Id = Annotated[Text, Field(min_length=1, max_length=ID_MAX)]
Name = Annotated[Text, Field(min_length=1, max_length=NAME_MAX)]
Sha256 = Annotated[StrictStr, AfterValidator(_sha256)]
Size = Annotated[StrictInt, Field(ge=0, le=BIGINT_MAX)]
Count = Annotated[StrictInt, Field(ge=0, le=VERSION_MAX)]


class _Open(BaseModel):
    """A JSON object whose named fields are checked; others are kept (and :func:`check_json`
    still checks their text and numbers)."""

    model_config = ConfigDict(extra="allow", strict=True)


class ReportIn(_Open):
    sha256: Sha256
    size: Size
    format: Annotated[Text, Field(max_length=20)]


class AttachmentIn(_Open):
    sha256: Sha256
    size: Size


class TeamJudgementIn(_Open):
    ref: Name
    component: Name
    value: Literal["met", "not_met", "not_applicable", "not_assessed"]  # JUDGEMENT_VALUES
    key: StrictBool = False


class ComplianceIn(_Open):
    """The laptop's own figures: checked for shape only; the service recomputes its own."""

    component: Name
    applicable: Count
    met: Count


class ComponentIn(_Open):
    id: Name
    name: Text


class FindingsVisitIn(_Open):
    visit_id: Id
    kit_id: Id
    programme: Text
    components: list[ComponentIn] = []


class FindingsIn(_Open):
    format: Text
    version: StrictInt
    visit: FindingsVisitIn
    team_judgements: list[TeamJudgementIn] = []
    compliance: list[ComplianceIn] = []
    attachments: list[AttachmentIn] = []


class AccuracyAnswerIn(_Open):
    """The lead's answer to one of the provider's comments (the rest is the app's to fill)."""

    comment_id: Annotated[Text, Field(min_length=1, max_length=ID_MAX)]
    decision: Literal["accepted", "declined"]


class EnvelopeIn(_Open):
    """A submission envelope (sync/findings_format.py), as the columns can hold it."""

    snapshot_id: Id
    visit_id: Id
    version: Annotated[StrictInt, Field(ge=1, le=VERSION_MAX)]
    supersedes: Id | None
    content_sha256: Sha256
    signed_off_by: Name
    signed_off_at: Annotated[Text, Field(max_length=40)]
    findings: FindingsIn
    # Their form is check_envelope's to judge (it says which key or signature is wrong).
    device_public_key: Text
    signature: Text
    report: ReportIn | None = None
    # docs/after-the-visit.md: optional; stored as sent.
    report_docx: ReportIn | None = None
    feedback_sheet_at: Annotated[Text, Field(max_length=40)] | None = None
    accuracy_answers: Annotated[list[AccuracyAnswerIn], Field(max_length=ANSWERS_MAX)] | None = None


class AssignmentIn(BaseModel):
    model_config = ConfigDict(strict=True)
    member_id: Name


class StateChangeIn(BaseModel):
    model_config = ConfigDict(strict=True)
    state: Literal["received", "accepted", "has_issues", "rejected"]
    comment: Annotated[Text, Field(max_length=COMMENT_MAX)] | None = None


class CommentIn(BaseModel):
    model_config = ConfigDict(strict=True)
    text: Annotated[Text, Field(max_length=COMMENT_MAX)]


class ProgrammeSettingsIn(BaseModel):
    model_config = ConfigDict(strict=True)
    programme: Annotated[Text, Field(min_length=1, max_length=PROGRAMME_MAX)]
    expected_days: Annotated[
        dict[
            Annotated[Text, Field(max_length=30)],
            Annotated[StrictInt, Field(ge=0, le=EXPECTED_DAYS_MAX)],
        ],
        Field(max_length=20),
    ]


class PackSentIn(BaseModel):
    model_config = ConfigDict(strict=True)
    snapshot_id: Id
    sent_at: Annotated[Text, Field(min_length=10, max_length=40)] | None = None


class ApprovalIn(BaseModel):
    model_config = ConfigDict(strict=True)
    approved_by: Name
    approved_at: Annotated[Text, Field(min_length=10, max_length=40)]
    conditions: Annotated[Text, Field(max_length=COMMENT_MAX)] = ""


class FileIn(BaseModel):
    model_config = ConfigDict(strict=True)
    sha256: Sha256
    size: Size


class FinalReportIn(BaseModel):
    model_config = ConfigDict(strict=True)
    pdf: FileIn
    docx: FileIn | None = None


# Path parameters: bounded as their columns, no NUL or lone surrogate.
IdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX), AfterValidator(check_text)]
NamePath = Annotated[str, Path(min_length=1, max_length=NAME_MAX), AfterValidator(check_text)]


def check_json(value: Any, what: str = "the request") -> None:
    """Refuse (RequestProblem) text with a NUL or lone surrogate, numbers that are not finite,
    and nesting deeper than :data:`MAX_DEPTH`, anywhere in ``value`` (names included).

    Numbers that reach a column are bounded by the models; others stay inside the stored JSON
    text. Most requests hold none of these: one pass of the C encoder shows it (a tenth of
    walking the value in Python); only a suspect is walked, to say where the problem is.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, check_circular=False)
        text.encode("utf-8")  # a lone surrogate cannot be encoded
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        text = None
    if text is not None and "\\u0000" not in text:  # how the encoder writes a NUL
        return
    _walk(value, what)


def _walk(value: Any, what: str) -> None:
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RequestProblem(f"{_at(what, where)} is nested more than {MAX_DEPTH} deep.")
        if isinstance(item, str):
            _check_string(item, what, where)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise RequestProblem(f"{_at(what, where)} is not a finite number.")
        elif isinstance(item, dict):
            for key, sub in item.items():
                _check_string(str(key), what, f"{where or 'the top level'} (a name)")
                stack.append((sub, f"{where}.{key}" if where else str(key), depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]", depth + 1) for i, sub in enumerate(item))


def _check_string(text: str, what: str, where: str) -> None:
    try:
        check_text(text)
    except ValueError as exc:
        raise RequestProblem(f"{_at(what, where)}: {exc}.") from exc


def _at(what: str, where: str) -> str:
    return f"{what[:1].upper()}{what[1:]}" + (f" at {where}" if where else "")


def validated(model: type[M], value: Any, what: str = "the request") -> M:
    """``value`` as ``model``, after :func:`check_json`; RequestProblem with one sentence."""
    check_json(value, what)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise RequestProblem(one_sentence(exc.errors(), what)) from exc


def one_sentence(errors: Any, what: str = "the request") -> str:
    """The first of pydantic's (or FastAPI's) errors as one sentence a person can act on."""
    if not errors:
        return f"{_at(what, '')} is not valid."
    missing = [_where(e) for e in errors if e.get("type") == "missing"]
    if missing:
        return f"{_at(what, '')} lacks {', '.join(w or 'a body' for w in missing)}."
    first = errors[0]
    where = _where(first)
    kind = str(first.get("type", ""))
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind == "json_invalid":
        return f"{_at(what, '')} is not valid JSON."
    message = message[:1].lower() + message[1:]
    return f"{_at(what, where)} is not valid: {message.rstrip('.')}."


def _where(error: Any) -> str:
    loc = error.get("loc", ())
    return ".".join(str(p) for p in loc if p not in ("body", "path", "query", "header"))


class OneSentenceRoute(APIRoute):
    """A route whose request validation failures are ``{"detail": "<one sentence>"}``, 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse({"detail": one_sentence(exc.errors())}, 422)
            except RequestProblem as exc:
                return JSONResponse({"detail": exc.message}, exc.status)
            except HTTPException as exc:
                if exc.status_code != 400 or not str(exc.detail).startswith("There was an error"):
                    raise
                # FastAPI could not read the JSON: not UTF-8, or nested beyond Python's stack.
                return JSONResponse(
                    {"detail": "The request's body is not JSON this service can read."}, 400
                )

        return route
