"""The central service: ``create_app(db_url)`` gives the FastAPI application uvicorn serves.

Roles: ``staff`` upload kits, assign them, see everything and set submission states;
``reviewer`` users see the visits they are assigned to, download those kits, and (as the visit's
lead) send findings. Every refusal is JSON ``{"detail": "<one sentence>", ...}``. Blocking work
(SQL, kit checks) runs in the thread pool; uploads stream to disk. The endpoints are in
:mod:`sync.server.routes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sync.server import kits as kit_ops
from sync.server.accounts import ServiceError
from sync.server.blobs import BlobFiles
from sync.server.db import Database, sqlite_file
from sync.server.limits import SizeLimit
from sync.server.programme_routes import router as programme_router
from sync.server.routes import router

MiB = 1024 * 1024
DEFAULT_MAX_BODY = 16 * MiB
DEFAULT_MAX_BLOB = 2048 * MiB
DEFAULT_MAX_KIT = 4096 * MiB


def default_blob_dir(db_url: str) -> Path:
    path = sqlite_file(db_url)
    if path is None:
        raise ValueError(
            "with a database that is not an SQLite file, name the blob folder every service "
            "process can reach: --blobs FOLDER."
        )
    return path.with_name(path.stem + "-blobs")


def create_app(
    db_url: str,
    *,
    blob_dir: Path | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_blob: int = DEFAULT_MAX_BLOB,
    max_kit: int = DEFAULT_MAX_KIT,
    trusted_keys: Sequence[Path] = (),
) -> FastAPI:
    """The service over the database at ``db_url``, upgraded to this release's schema first
    (safe when several processes start at once: see :mod:`sync.server.schema`).

    ``trusted_keys`` are public key files whose kits the service accepts (staff can add more
    with ``POST /v1/keys``).
    """
    db = Database(db_url)
    db.upgrade()
    files = BlobFiles(blob_dir or default_blob_dir(db_url))
    files.create()
    files.clear_tmp()
    for key in trusted_keys:
        kit_ops.add_trusted_key(db, key.read_bytes(), by="config")

    app = FastAPI(title="Reviewer App central service", version="1")
    app.state.db = db
    app.state.files = files
    app.state.max_blob = max_blob
    app.add_middleware(SizeLimit, max_body=max_body, max_blob=max_blob, max_kit=max_kit)
    app.add_exception_handler(ServiceError, _refused)  # type: ignore[arg-type]
    app.include_router(router)
    app.include_router(programme_router)
    return app


async def _refused(_request: Request, exc: ServiceError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"detail": exc.message, **exc.extra}, exc.status, headers=headers)
