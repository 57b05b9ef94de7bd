"""FastAPI dependencies: the database, the blob folder and the signed-in user of a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.server.accounts import ServiceError, User, user_for_token
from sync.server.blobs import BlobFiles
from sync.server.db import Database

bearer = HTTPBearer(auto_error=False)


# Async, though they do no I/O: FastAPI runs a plain function dependency on a worker thread, a
# round trip per dependency per request on every route.
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_files(request: Request) -> BlobFiles:
    files: BlobFiles = request.app.state.files
    return files


async def current_user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if creds is None or creds.scheme.lower() != "bearer":
        raise ServiceError(401, "Sign in: send your token as 'Authorization: Bearer TOKEN'.")
    db: Database = request.app.state.db
    user = await run_in_threadpool(user_for_token, db, creds.credentials)
    if user is None:
        raise ServiceError(401, "That token is not valid (or was revoked); ask staff for one.")
    return user


async def staff_user(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_staff:
        raise ServiceError(403, "Only programme staff may do that.")
    return user


Db = Annotated[Database, Depends(get_db)]
Files = Annotated[BlobFiles, Depends(get_files)]
Me = Annotated[User, Depends(current_user)]
Staff = Annotated[User, Depends(staff_user)]
