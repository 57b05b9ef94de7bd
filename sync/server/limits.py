"""Request size limits, enforced before and while a body streams in (413 with a message).

A pure ASGI middleware: a declared ``Content-Length`` over the limit is refused before a byte is
read; a body without one (chunked) is counted as it arrives and cut off at the limit. Blob
uploads and kits have their own, larger limits (they are streamed to disk by their routes); any
other body is read here in full, up to its limit, before the route sees it, because FastAPI
reports any error while it reads a JSON body as a 400 and the 413 would be lost.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BLOB_PREFIX = "/v1/blobs/"
# Read and discard up to this much of a refused body, so that the client (still sending) gets
# the 413 instead of a reset connection; anything bigger is cut off at once.
DRAIN_LIMIT = 64 * 1024 * 1024
KIT_PATH = "/v1/kits"


_CUT_SHORT = b"(cut short)"


class BodyTooLarge(Exception):
    def __init__(self, more: bool) -> None:
        super().__init__("the body is larger than the limit")
        self.more = more  # whether more of the body is still to come


def _streamed(path: str) -> bool:
    """Routes that stream their body to disk themselves (and have their own limits)."""
    return path.startswith(BLOB_PREFIX) or path.rstrip("/") == KIT_PATH


class SizeLimit:
    def __init__(self, app: ASGIApp, *, max_body: int, max_blob: int, max_kit: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_blob = max_blob
        self.max_kit = max_kit

    def limit_for(self, path: str) -> int:
        if path.startswith(BLOB_PREFIX):
            return self.max_blob
        if path.rstrip("/") == KIT_PATH:
            return self.max_kit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            if declared - limit <= DRAIN_LIMIT:
                await _drain(receive, DRAIN_LIMIT + limit)
            await _too_large(send, limit)
            return
        if not _streamed(scope["path"]):
            body = await _read_body(receive, limit)
            if body is None:
                await _too_large(send, limit)
                return
            if body is _CUT_SHORT:
                return  # the client went away mid-body: nobody to answer
            await self.app(scope, _replay(body, receive), send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(bool(message.get("more_body")))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracking_send)
        except BodyTooLarge as exc:
            if not started:
                if exc.more:  # after the last part, receive() would wait for a disconnect
                    await _drain(receive, DRAIN_LIMIT)
                await _too_large(send, limit)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passed ``limit`` (the rest read and discarded), or
    _CUT_SHORT when the client went away first."""
    parts: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _CUT_SHORT
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            if message.get("more_body"):
                await _drain(receive, DRAIN_LIMIT)
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # what comes after the body: a disconnect

    return replay


async def _drain(receive: Receive, most: int) -> None:
    seen = 0
    while seen <= most:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    body: dict[str, Any] = {
        "detail": f"The request is larger than this service accepts ({limit} bytes); "
        "send less at a time or ask the service's administrator to raise the limit.",
        "limit": limit,
    }
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
