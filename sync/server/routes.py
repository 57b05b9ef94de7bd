"""The service's endpoints (prefix ``/v1``); :func:`sync.server.app.create_app` mounts them."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from pydantic import AfterValidator
from sqlalchemy import select
from starlette.requests import ClientDisconnect

from storage.files import fsync_dir, fsync_file
from sync.server import accuracy, lifecycle
from sync.server import kits as kit_ops
from sync.server import submissions as sub_ops
from sync.server import uploads as blob_ops
from sync.server.accounts import ServiceError, User, reset_device_key
from sync.server.blobs import BlobFiles, Upload, UploadProblem, is_sha256, parse_content_range
from sync.server.db import Database, visits
from sync.server.deps import Db, Files, Me, Staff
from sync.server.overview import overview, overview_csv
from sync.server.request_models import (
    PROGRAMME_MAX,
    ApprovalIn,
    AssignmentIn,
    CommentIn,
    EnvelopeIn,
    FinalReportIn,
    IdPath,
    NamePath,
    OneSentenceRoute,
    PackSentIn,
    ProgrammeSettingsIn,
    RequestProblem,
    StateChangeIn,
    check_text,
    validated,
)

# Every refusal of a request's shape is one sentence (OneSentenceRoute), as every other is.
router = APIRouter(prefix="/v1", route_class=OneSentenceRoute)
_BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_PEM_BODY = {
    "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
}


@router.get("/me")
def me(user: Me) -> dict[str, Any]:
    return {"name": user.name, "role": user.role}


@router.delete("/users/{user_name}/device-key")
def forget_device_key(db: Db, user_name: NamePath, user: Staff) -> dict[str, Any]:
    """Staff: the user changed laptop; their next signed submission pins its device key."""
    return {"user": user_name, "removed": reset_device_key(db, user_name, by=user.name)}


@router.post("/keys", status_code=201, openapi_extra=_PEM_BODY)
async def add_key(db: Db, request: Request, user: Staff) -> dict[str, str]:
    pem = await request.body()
    kid = await run_in_threadpool(kit_ops.add_trusted_key, db, pem, user.name)
    return {"key_id": kid}


@router.get("/keys")
def list_keys(db: Db, _user: Staff) -> list[str]:
    return kit_ops.list_trusted_keys(db)


@router.post("/kits", status_code=201, openapi_extra=_BINARY_BODY)
async def upload_kit(db: Db, files: Files, request: Request, user: Staff) -> JSONResponse:
    tmp = files.tmp / f"kit-{uuid.uuid4().hex}.rvkit"
    hasher, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
        listing, new = await run_in_threadpool(
            lambda: _register_kit(db, files, tmp, hasher.hexdigest(), size=size, user=user)
        )
    except ClientDisconnect:
        return JSONResponse({"detail": "The upload was cut short."}, 400)
    finally:
        tmp.unlink(missing_ok=True)
    return JSONResponse(listing, 201 if new else 200)


@router.get("/kits")
def list_kits(db: Db, user: Me) -> list[dict[str, Any]]:
    return kit_ops.my_kits(db, user)


@router.get("/kits/{kit_id}/file", response_class=FileResponse)
def download_kit(db: Db, files: Files, kit_id: IdPath, user: Me) -> FileResponse:
    sha = kit_ops.kit_for_download(db, user, kit_id)
    return FileResponse(
        _kit_path(files, sha),
        media_type="application/octet-stream",
        filename=f"{kit_id}.rvkit",
        headers={"X-Content-SHA256": sha},
    )


@router.put("/kits/{kit_id}/assignments/{user_name}")
def assign(
    db: Db, kit_id: IdPath, user_name: NamePath, body: AssignmentIn, user: Staff
) -> dict[str, Any]:
    return kit_ops.assign(db, kit_id, user_name, body.member_id, user.name)


@router.get("/visits")
def list_visits(db: Db, user: Me) -> list[dict[str, Any]]:
    return _visible_visits(db, user)


@router.get("/visits/{visit_id}/submissions")
def visit_submissions(db: Db, visit_id: IdPath, user: Me) -> list[dict[str, Any]]:
    return sub_ops.visit_submissions(db, user, visit_id)


# The blob routes take the database and the blob folder from the request, not as dependencies:
# FastAPI runs a plain-function dependency on a worker thread, two thread hops a request that a
# push of many attachments paid for twice per file (HEAD, then PUT).
@router.head("/blobs/{sha256}")
async def head_blob(sha256: str, request: Request, user: Me) -> Response:
    """200 and the size to those who may read the blob (staff, anyone who has uploaded it);
    to anyone else 404 with the offset of their own unfinished upload, as if it were absent."""
    db, files = _blob_state(request)
    sha = _check_sha(sha256)
    if not files.complete(sha):
        # An upload of it may still be writing what arrived before its connection dropped:
        # wait for it, so that the offset given is where the next PUT can really start.
        try:
            offset = await files.settled_offset(user.id, sha)
        except UploadProblem:
            # Still writing after LOCK_WAIT: ask again shortly (the laptop retries a 503).
            return Response(status_code=503, headers={"Retry-After": "2"})
        if not files.complete(sha):
            return Response(status_code=404, headers={"Upload-Offset": str(offset)})
    if await run_in_threadpool(blob_ops.may_read, db, user, sha):
        size = files.size(sha)
        await run_in_threadpool(blob_ops.record_blob, db, sha, size, user, uploaded=False)
        return Response(status_code=200, headers={"Content-Length": str(size)})
    return Response(status_code=404, headers={"Upload-Offset": str(files.offset(user.id, sha))})


@router.put("/blobs/{sha256}", status_code=201, openapi_extra=_BINARY_BODY)
async def put_blob(sha256: str, request: Request, user: Me) -> Response:
    db, files = _blob_state(request)
    stored = await run_in_threadpool(blob_ops.upload_allowance, db, user)
    if stored is None:
        raise ServiceError(403, "Only a visit's lead reviewer or programme staff may upload files.")
    sha = _check_sha(sha256)
    if files.complete(sha) and await run_in_threadpool(blob_ops.may_read, db, user, sha):
        size = files.size(sha)
        return JSONResponse({"sha256": sha, "size": size, "complete": True}, 200)
    if files.cleanup_due():
        await run_in_threadpool(files.cleanup)
    try:
        quota: int = getattr(request.app.state, "upload_quota", blob_ops.DEFAULT_QUOTA)
        upload = Upload(
            user_id=user.id,
            sha=sha,
            content_range=parse_content_range(request.headers.get("content-range")),
            length=_int_header(request.headers.get("content-length")),
            max_size=request.app.state.max_blob,
            room=quota - stored - files.unfinished_bytes(user.id, besides=sha),
        )
        size = await files.receive(upload, request.stream())
    except UploadProblem as exc:
        offset = exc.offset if exc.offset is not None else files.offset(user.id, sha)
        return JSONResponse(
            {"detail": exc.message, "offset": offset},
            exc.status,
            headers={"Upload-Offset": str(offset)},
        )
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; the bytes are kept
    if size < 0:
        offset = files.offset(user.id, sha)
        return JSONResponse(
            {"sha256": sha, "offset": offset, "complete": False},
            202,
            headers={"Upload-Offset": str(offset)},
        )
    await run_in_threadpool(blob_ops.record_blob, db, sha, size, user, uploaded=True)
    return JSONResponse({"sha256": sha, "size": size, "complete": True}, 201)


def _blob_state(request: Request) -> tuple[Database, BlobFiles]:
    return request.app.state.db, request.app.state.files


@router.put("/submissions/{snapshot_id}", status_code=201)
def put_submission(
    db: Db, snapshot_id: IdPath, envelope: Annotated[dict[str, Any], Body()], user: Me
) -> JSONResponse:
    try:
        validated(EnvelopeIn, envelope, "the submission")
        status, receipt = sub_ops.submit(db, user, snapshot_id, envelope)
    except (RequestProblem, ServiceError) as exc:
        # Who may send comes before what was sent: someone who leads no visit is told only
        # that (asked here, once refused, so an accepted submission does not pay for it; the
        # visit itself is checked inside submit, before any duplicate check).
        if getattr(exc, "status", 0) != 403 and not blob_ops.leads_a_visit(db, user):
            raise ServiceError(403, "Only a visit's lead reviewer may send its findings.") from exc
        raise
    return JSONResponse(receipt, status)


@router.get("/submissions/{snapshot_id}")
def get_submission(db: Db, snapshot_id: IdPath, user: Me) -> dict[str, Any]:
    return sub_ops.submission_envelope(db, user, snapshot_id)


@router.post("/submissions/{snapshot_id}/state")
def set_state(db: Db, snapshot_id: IdPath, body: StateChangeIn, user: Staff) -> dict[str, Any]:
    return sub_ops.set_state(db, user, snapshot_id, body.state, body.comment)


@router.post("/submissions/{snapshot_id}/comments", status_code=201)
def comment(db: Db, snapshot_id: IdPath, body: CommentIn, user: Staff) -> dict[str, Any]:
    return sub_ops.add_comment(db, user, snapshot_id, body.text)


@router.get("/overview", response_model=None)
def get_overview(
    db: Db,
    files: Files,
    _user: Staff,
    programme: Annotated[str | None, Query(max_length=1000)] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",  # noqa: A002
) -> list[dict[str, Any]] | PlainTextResponse:
    rows = overview(db, _kit_folder(files), programme)
    if format == "csv":
        return PlainTextResponse(overview_csv(rows), media_type="text/csv; charset=utf-8")
    return rows


# -- after the visit (docs/after-the-visit.md) ----------------------------------------------------

Programme = Annotated[
    str, Query(min_length=1, max_length=PROGRAMME_MAX), AfterValidator(check_text)
]


@router.get("/programme/timeline")
def programme_timeline(db: Db, programme: Programme, _user: Staff) -> dict[str, Any]:
    return lifecycle.timeline(db, programme)


@router.put("/programme/settings")
def programme_settings(db: Db, body: ProgrammeSettingsIn, user: Staff) -> dict[str, Any]:
    return lifecycle.set_expected_days(db, user, body.programme, body.expected_days)


@router.get("/visits/{visit_id}/accuracy/pack", response_class=Response)
def accuracy_pack(db: Db, files: Files, visit_id: IdPath, _user: Staff) -> Response:
    """The factual accuracy pack (a ZIP) of the visit's latest version; records nothing.
    ``X-Snapshot-Id`` and ``X-Version`` say which version it was made from."""
    version, data = accuracy.make_pack(db, files, visit_id)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": (f'attachment; filename="accuracy-pack-v{version.version}.zip"'),
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
            "X-Snapshot-Id": version.snapshot_id,
            "X-Version": str(version.version),
        },
    )


@router.post("/visits/{visit_id}/accuracy/pack-sent", status_code=201)
def accuracy_pack_sent(db: Db, visit_id: IdPath, body: PackSentIn, user: Staff) -> JSONResponse:
    status, result = accuracy.record_pack_sent(db, user, visit_id, body.snapshot_id, body.sent_at)
    return JSONResponse(result, status)


@router.post("/visits/{visit_id}/accuracy/form", status_code=201, openapi_extra=_BINARY_BODY)
async def accuracy_form(db: Db, visit_id: IdPath, request: Request, user: Staff) -> JSONResponse:
    data = await request.body()
    status, result = await run_in_threadpool(accuracy.import_form, db, user, visit_id, data)
    return JSONResponse(result, status)


@router.get("/visits/{visit_id}/accuracy")
def accuracy_comments(db: Db, visit_id: IdPath, user: Me) -> dict[str, Any]:
    return accuracy.comments_for(db, user, visit_id)


@router.post("/submissions/{snapshot_id}/approval", status_code=201)
def approve(db: Db, snapshot_id: IdPath, body: ApprovalIn, user: Staff) -> JSONResponse:
    status, result = lifecycle.approve(
        db,
        user,
        snapshot_id,
        approved_by=body.approved_by,
        approved_at=body.approved_at,
        conditions=body.conditions,
    )
    return JSONResponse(result, status)


@router.put("/submissions/{snapshot_id}/final-report", status_code=201)
def final_report(db: Db, snapshot_id: IdPath, body: FinalReportIn, user: Me) -> JSONResponse:
    status, result = lifecycle.put_final_report(
        db,
        user,
        snapshot_id,
        body.pdf.model_dump(),
        body.docx.model_dump() if body.docx is not None else None,
    )
    return JSONResponse(result, status)


@router.post("/submissions/{snapshot_id}/publication", status_code=201)
def publish(db: Db, snapshot_id: IdPath, user: Staff) -> JSONResponse:
    status, result = lifecycle.publish(db, user, snapshot_id)
    return JSONResponse(result, status)


@router.get("/published")
def published(
    db: Db,
    _user: Me,
    programme: Annotated[
        str | None, Query(max_length=PROGRAMME_MAX), AfterValidator(check_text)
    ] = None,
) -> list[dict[str, Any]]:
    return lifecycle.published(db, programme)


@router.get("/published/{visit_id}/report.pdf", response_class=FileResponse)
def published_pdf(db: Db, files: Files, visit_id: IdPath, _user: Me) -> FileResponse:
    return _published(db, files, visit_id, "pdf")


@router.get("/published/{visit_id}/report.docx", response_class=FileResponse)
def published_docx(db: Db, files: Files, visit_id: IdPath, _user: Me) -> FileResponse:
    return _published(db, files, visit_id, "docx")


_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _published(db: Database, files: BlobFiles, visit_id: str, fmt: str) -> FileResponse:
    sha, _size = lifecycle.published_file(db, visit_id, fmt)
    path = files.path(sha)
    if not path.is_file():
        raise ServiceError(404, "The published report's file is missing here; tell staff.")
    return FileResponse(
        path,
        media_type=_MEDIA[fmt],
        filename=f"report-{visit_id}.{fmt}",
        headers={"X-Content-SHA256": sha},
    )


def _check_sha(text: str) -> str:
    if not is_sha256(text):
        raise ServiceError(400, "A blob's address is its SHA-256: 64 lower-case hex digits.")
    return text


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _kit_folder(files: BlobFiles) -> Path:
    return files.root / "kits"


def _kit_path(files: BlobFiles, sha: str) -> Path:
    return _kit_folder(files) / f"{sha}.rvkit"


def _register_kit(
    db: Database, files: BlobFiles, tmp: Path, sha: str, *, size: int, user: User
) -> tuple[dict[str, Any], bool]:
    trust = kit_ops.trust_store(db)
    if not len(trust):
        raise ServiceError(
            422, "The service trusts no signing key yet; upload staff's public key first."
        )
    manifest = kit_ops.check_kit(tmp, trust)
    target = _kit_path(files, sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():  # durably, as a blob (BlobFiles.adopt)
        fsync_file(tmp)
        tmp.replace(target)
        fsync_dir(target.parent)
    return kit_ops.record_kit(db, manifest, sha, size, user.name)


def _visible_visits(db: Database, user: User) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(visits.c.visit_id, visits.c.programme, visits.c.title)).all()
        return [
            {"visit_id": r.visit_id, "programme": r.programme, "title": r.title}
            for r in rows
            if kit_ops.can_see_visit(conn, user, r.visit_id)
        ]
