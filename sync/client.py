"""The laptop's side of the central service protocol (httpx; no Qt).

Every call is safe to repeat, so the client retries what a bad connection breaks: transport
errors, 408, 429 and 5xx, with capped exponential backoff and full jitter (a random wait between
0 and ``min(cap, base * 2**attempt)``), or exactly what ``Retry-After`` says. Any other 4xx is
the service's considered answer and is never retried. A ``Retry-After`` longer than
``max_retry_after`` is not slept through: :class:`CentralUnavailable` carries it to the caller
(the outbox schedules the next attempt). A lost response is harmless: a resent submission gets
the receipt the service stored the first time.

``sleep`` and ``rng`` are injectable so tests can run a thousand retries in no time.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx

from storage.files import write_atomic

CHUNK = 1024 * 1024
AT_ONCE = 2  # attachments push_blobs sends at the same time
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class CentralError(Exception):
    """Something went wrong talking to the central service; ``str()`` is one sentence."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class CentralUnavailable(CentralError):
    """The service could not be reached or kept failing: try again later (``retry_after`` s)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class CentralRefused(CentralError):
    """The service refused the request (a 4xx other than 408/429): retrying will not help."""

    def __init__(self, message: str, *, status: int, body: dict[str, Any] | None = None) -> None:
        super().__init__(message, status=status)
        self.body = body or {}


class SubmissionConflict(CentralRefused):
    """409: a different snapshot was already sent under this snapshot id."""


class MissingBlobs(CentralRefused):
    """422 naming attachments the service does not have yet (``missing``)."""

    @property
    def missing(self) -> list[str]:
        return [str(s) for s in self.body.get("missing", [])]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the service stored for a submission; the same every time it is asked.

    Not a ``storage.records.Record``: it keeps the service's whole answer (``raw``), coerced
    leniently, and writes that back as it came."""

    snapshot_id: str
    visit_id: str
    version: int
    content_sha256: str
    received_at: str
    receipt_id: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Receipt:
        return cls(
            snapshot_id=str(d["snapshot_id"]),
            visit_id=str(d["visit_id"]),
            version=int(d["version"]),
            content_sha256=str(d["content_sha256"]),
            received_at=str(d["received_at"]),
            receipt_id=str(d["receipt_id"]),
            raw=dict(d),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now if now is not None else time.time()
        return max(0.0, when.timestamp() - current)
    return None


def _detail(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail")
    text = detail if isinstance(detail, str) else f"the service answered {response.status_code}"
    return text, body


class CentralClient:
    """A signed-in connection to one central service (``base_url``, bearer ``token``)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "reviewer-app"},
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- retries ------------------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self.rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def _wait_before_retry(self, attempt: int, response: httpx.Response | None) -> None:
        """Sleep before attempt ``attempt + 1``; raise when the service asks for too long."""
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > self.max_retry_after:
            raise CentralUnavailable(
                f"The central service is busy and asks to wait {retry_after:.0f} s.",
                status=response.status_code if response is not None else None,
                retry_after=retry_after,
            )
        self.sleep(retry_after if retry_after is not None else self.backoff(attempt))

    def _send(self, build: Callable[[], httpx.Response]) -> httpx.Response:
        """Run ``build`` (one request) with retries; the first response that is final."""
        last: str = "no attempt was made"
        response: httpx.Response | None = None
        for attempt in range(self.max_attempts):
            if attempt:
                self._wait_before_retry(attempt - 1, response)
            try:
                response = build()
            except httpx.TransportError as exc:
                response, last = None, f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code not in RETRY_STATUSES:
                return response
            last = f"HTTP {response.status_code}"
        retry_after = (
            parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        )
        raise CentralUnavailable(
            f"The central service could not be reached ({last}); the work waits and goes later.",
            status=response.status_code if response is not None else None,
            retry_after=retry_after,
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(lambda: self._http.request(method, path, **kwargs))
        return self._check(response).json()

    @staticmethod
    def _check(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        text, body = _detail(response)
        status = response.status_code
        if status == 409:
            raise SubmissionConflict(text, status=status, body=body)
        if status == 422 and "missing" in body:
            raise MissingBlobs(text, status=status, body=body)
        raise CentralRefused(text, status=status, body=body)

    # -- everyone -----------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "/v1/me")
        return result

    def list_kits(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", "/v1/kits")
        return result

    def download_kit(self, kit_id: str, dest: Path, sha256: str | None = None) -> Path:
        """Fetch a kit to ``dest`` (written beside it, checked, then renamed into place)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")

        def fetch() -> httpx.Response:
            with self._http.stream("GET", f"/v1/kits/{kit_id}/file") as response:
                if response.status_code != 200:
                    response.read()
                    return response
                expected = sha256 or response.headers.get("X-Content-SHA256")

                def write(f: BinaryIO) -> None:  # checked before it is put in place
                    hasher = hashlib.sha256()
                    for chunk in response.iter_bytes(CHUNK):
                        f.write(chunk)
                        hasher.update(chunk)
                    if expected and hasher.hexdigest() != expected:
                        raise httpx.ReadError("the kit arrived damaged")

                write_atomic(dest, write, temp=tmp)
                return response

        self._check(self._send(fetch))
        return dest

    def list_visits(self) -> list[dict[str, Any]]:
        """The visits this user may see (staff: every visit): id, programme and title."""
        result: list[dict[str, Any]] = self._json("GET", "/v1/visits")
        return result

    def submission(self, snapshot_id: str) -> dict[str, Any]:
        """A stored submission's envelope (the visit's lead, team or staff)."""
        result: dict[str, Any] = self._json("GET", f"/v1/submissions/{snapshot_id}")
        return result

    def visit_status(self, visit_id: str) -> list[dict[str, Any]]:
        """The visit's submissions on the service: state, receipt, staff comments."""
        result: list[dict[str, Any]] = self._json("GET", f"/v1/visits/{visit_id}/submissions")
        return result

    def has_blob(self, sha256: str) -> tuple[bool, int]:
        """(complete, bytes already received of a partial upload)."""
        response = self._send(lambda: self._http.head(f"/v1/blobs/{sha256}"))
        if response.status_code == 200:
            return True, 0
        if response.status_code == 404:
            return False, int(response.headers.get("Upload-Offset", "0") or 0)
        self._check(response)
        raise CentralRefused(f"unexpected answer {response.status_code}", status=400)

    def push_blob(self, source: Path | bytes | BinaryIO, sha256: str) -> bool:
        """Make sure the service has ``source`` (whose SHA-256 is ``sha256``): the plaintext,
        which the service checks against the hash. A sealed blob is sent from its decrypted,
        seekable file object (``BlobStore.open``), never from its file on disk.

        HEAD first: nothing is sent when it is there. A partial upload is resumed from the
        offset the service reports, so a dropped connection costs only what had not arrived.
        True when bytes were sent.
        """
        size = _size(source)
        failures = 0
        sent = False
        response: httpx.Response | None = None
        while True:
            complete, offset = self.has_blob(sha256)
            if complete:
                return sent
            offset = offset if 0 <= offset <= size else 0
            headers = {
                "Content-Length": str(size - offset),
                "Content-Type": "application/octet-stream",
            }
            if offset:
                headers["Content-Range"] = f"bytes {offset}-{size - 1}/{size}"
            sent = True
            try:
                response = self._http.put(
                    f"/v1/blobs/{sha256}", content=_chunks(source, offset), headers=headers
                )
            except httpx.TransportError:
                response = None
            else:
                if response.status_code in (200, 201):
                    return True
                if response.status_code not in RETRY_STATUSES and response.status_code != 409:
                    self._check(response)
            failures += 1
            if failures >= self.max_attempts:
                raise CentralUnavailable(
                    "The attachment could not be sent; what arrived is kept and the rest goes "
                    "later."
                )
            self._wait_before_retry(failures - 1, response)

    def push_blobs(
        self,
        blobs: Iterable[tuple[str, Callable[[], AbstractContextManager[BinaryIO]]]],
        *,
        at_once: int = AT_ONCE,
    ) -> int:
        """:meth:`push_blob` of each ``(sha256, open)`` (``open()`` gives the plaintext, e.g.
        ``lambda: store.open(sha)``), ``at_once`` at a time on as many connections; how many
        were sent. The first failure is raised once the pushes under way have stopped (the
        rest are not started).

        One at a time, the service's fsync and database commit before each answer, and the
        HEAD before each upload, left the link idle between attachments; two at once, one
        attachment's bytes travel while the other's are made durable.
        """

        failed = threading.Event()

        def push(sha: str, opener: Callable[[], AbstractContextManager[BinaryIO]]) -> bool:
            if failed.is_set():  # one failed: start no more
                return False
            try:
                with opener() as f:
                    return self.push_blob(f, sha)
            except BaseException:
                failed.set()
                raise

        with ThreadPoolExecutor(max(1, at_once), thread_name_prefix="push-blob") as pool:
            futures = [pool.submit(push, sha, opener) for sha, opener in blobs]
            wait(futures, return_when=FIRST_EXCEPTION)
            if failed.is_set():
                for f in futures:
                    f.cancel()
                wait(futures)
                error = next(e for f in futures if not f.cancelled() and (e := f.exception()))
                raise error
        return sum(f.result() for f in futures)

    def submit(self, envelope: dict[str, Any]) -> Receipt:
        """Send a finalised snapshot; its receipt (the stored one, when it was sent before)."""
        snapshot_id = envelope["snapshot_id"]
        result = self._json("PUT", f"/v1/submissions/{snapshot_id}", json=envelope)
        return Receipt.from_dict(result)

    # -- staff --------------------------------------------------------------------------------

    def trust_key(self, pem: bytes) -> str:
        result = self._json("POST", "/v1/keys", content=pem, headers={"Content-Type": "text/plain"})
        return str(result["key_id"])

    def upload_kit(self, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST",
            "/v1/kits",
            content=path.read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        return result

    def assign(self, kit_id: str, user: str, member_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "PUT", f"/v1/kits/{kit_id}/assignments/{user}", json={"member_id": member_id}
        )
        return result

    def set_state(self, snapshot_id: str, state: str, comment: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST",
            f"/v1/submissions/{snapshot_id}/state",
            json={"state": state, "comment": comment},
        )
        return result

    def reset_device_key(self, user: str) -> dict[str, Any] | None:
        """Staff: forget the device key pinned to ``user`` (they changed laptop); the key
        removed (``public_key``, ``fingerprint``, ``pinned_at``) or None if none was pinned."""
        result = self._json("DELETE", f"/v1/users/{quote(user, safe='')}/device-key")
        removed: dict[str, Any] | None = result["removed"]
        return removed

    def overview(self, programme: str | None = None) -> list[dict[str, Any]]:
        params = {"programme": programme} if programme else {}
        result: list[dict[str, Any]] = self._json("GET", "/v1/overview", params=params)
        return result

    def overview_csv(self) -> str:
        response = self._send(lambda: self._http.get("/v1/overview", params={"format": "csv"}))
        return self._check(response).text

    # -- after the visit (docs/after-the-visit.md) --------------------------------------------

    def accuracy_comments(self, visit_id: str) -> dict[str, Any]:
        """The provider's comments on the latest version that has some (``{}`` when none):
        ``{"snapshot_id", "version", "comments": [...]}``. The visit's lead or staff."""
        result: dict[str, Any] = self._json("GET", f"/v1/visits/{_seg(visit_id)}/accuracy")
        return result

    def put_final_report(
        self, snapshot_id: str, pdf: dict[str, Any], docx: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The visit's lead: register the final report of an approved version (its PDF and
        DOCX, ``{"sha256", "size"}``, already sent as blobs). Safe to repeat."""
        result: dict[str, Any] = self._json(
            "PUT",
            f"/v1/submissions/{_seg(snapshot_id)}/final-report",
            json={"pdf": pdf, "docx": docx},
        )
        return result

    def published(self, programme: str | None = None) -> list[dict[str, Any]]:
        """Published final reports: ``{"visit_id", "title", "version", "published_at",
        "pdf_sha256"}`` each."""
        params = {"programme": programme} if programme else {}
        result: list[dict[str, Any]] = self._json("GET", "/v1/published", params=params)
        return result

    def download_published(self, visit_id: str, dest: Path, fmt: str = "pdf") -> Path:
        """A visit's published final report (``fmt`` "pdf" or "docx") to ``dest``, checked
        against the service's ``X-Content-SHA256`` before it is put in place."""
        if fmt not in ("pdf", "docx"):
            raise ValueError(f"a published report is a pdf or a docx, not {fmt!r}")
        return self._download(f"/v1/published/{_seg(visit_id)}/report.{fmt}", dest, None)

    # -- staff: after the visit ---------------------------------------------------------------

    def timeline(self, programme: str) -> dict[str, Any]:
        """Each visit's steps with their dates, days, due dates and overdue flags."""
        result: dict[str, Any] = self._json(
            "GET", "/v1/programme/timeline", params={"programme": programme}
        )
        return result

    def set_programme_settings(
        self, programme: str, expected_days: dict[str, int]
    ) -> dict[str, Any]:
        """The expected working days from the visit's end to each step, for ``programme``."""
        result: dict[str, Any] = self._json(
            "PUT",
            "/v1/programme/settings",
            json={"programme": programme, "expected_days": expected_days},
        )
        return result

    def accuracy_pack(self, visit_id: str, dest: Path) -> Path:
        """The factual accuracy pack (a ZIP) of the visit's latest version, written to ``dest``."""
        return self._download(f"/v1/visits/{_seg(visit_id)}/accuracy/pack", dest, None)

    def pack_sent(
        self, visit_id: str, snapshot_id: str, sent_at: str | None = None
    ) -> dict[str, Any]:
        """Record that the pack of ``snapshot_id`` went to the provider (``sent_at``: ISO date
        or time; now when None). Safe to repeat."""
        body: dict[str, Any] = {"snapshot_id": snapshot_id}
        if sent_at is not None:
            body["sent_at"] = sent_at
        result: dict[str, Any] = self._json(
            "POST", f"/v1/visits/{_seg(visit_id)}/accuracy/pack-sent", json=body
        )
        return result

    def import_accuracy_form(self, visit_id: str, data: bytes) -> dict[str, Any]:
        """Import the provider's response form (XLSX or CSV bytes): ``{"snapshot_id",
        "version", "comments"}``. A bad form raises :class:`CentralRefused` whose ``body`` has
        ``"rows"``: ``[{"row", "column", "message"}]``; nothing was imported."""
        result: dict[str, Any] = self._json(
            "POST",
            f"/v1/visits/{_seg(visit_id)}/accuracy/form",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return result

    def approve(
        self, snapshot_id: str, approved_by: str, approved_at: str, conditions: str = ""
    ) -> dict[str, Any]:
        """Record the approval of a version (the visit's latest; 409 otherwise)."""
        result: dict[str, Any] = self._json(
            "POST",
            f"/v1/submissions/{_seg(snapshot_id)}/approval",
            json={
                "approved_by": approved_by,
                "approved_at": approved_at,
                "conditions": conditions,
            },
        )
        return result

    def publish(self, snapshot_id: str) -> dict[str, Any]:
        """Publish the final report of an approved version. Safe to repeat."""
        result: dict[str, Any] = self._json(
            "POST", f"/v1/submissions/{_seg(snapshot_id)}/publication"
        )
        return result

    def programme_overview(self, programme: str, visits: list[str] | None = None) -> dict[str, Any]:
        """The programme overview's data, computed by the service (``visits``: these only)."""
        params: list[tuple[str, str]] = [("programme", programme)]
        params += [("visit", v) for v in visits or []]
        result: dict[str, Any] = self._json("GET", "/v1/programme/overview", params=params)
        return result

    def qsg(self, programme: str) -> dict[str, Any]:
        """The Quality Surveillance Group summary of ``programme``."""
        result: dict[str, Any] = self._json(
            "GET", "/v1/programme/qsg", params={"programme": programme}
        )
        return result

    def _download(self, path: str, dest: Path, sha256: str | None) -> Path:
        """GET ``path`` to ``dest`` (written beside it, checked against ``sha256`` or the
        ``X-Content-SHA256`` header, then renamed into place)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")

        def fetch() -> httpx.Response:
            with self._http.stream("GET", path) as response:
                if response.status_code != 200:
                    response.read()
                    return response
                expected = sha256 or response.headers.get("X-Content-SHA256")

                def write(f: BinaryIO) -> None:
                    hasher = hashlib.sha256()
                    for chunk in response.iter_bytes(CHUNK):
                        f.write(chunk)
                        hasher.update(chunk)
                    if expected and hasher.hexdigest() != expected:
                        raise httpx.ReadError("the file arrived damaged")

                write_atomic(dest, write, temp=tmp)
                return response

        self._check(self._send(fetch))
        return dest


def _size(source: Path | bytes | BinaryIO) -> int:
    if isinstance(source, bytes):
        return len(source)
    if isinstance(source, Path):
        return source.stat().st_size
    return source.seek(0, 2)  # a file object: its end (a sealed blob's is its plaintext's)


def _chunks(source: Path | bytes | BinaryIO, offset: int) -> Iterator[bytes]:
    if isinstance(source, bytes):
        view = memoryview(source)
        for start in range(offset, len(source), CHUNK):
            yield bytes(view[start : start + CHUNK])
        return
    if not isinstance(source, Path):  # a file object: read from the offset, every attempt
        source.seek(offset)
        while chunk := source.read(CHUNK):
            yield chunk
        return
    with open(source, "rb") as f:
        f.seek(offset)
        while chunk := f.read(CHUNK):
            yield chunk


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _seg(value: str) -> str:
    """One path segment (an id with a slash or space stays one segment)."""
    return quote(value, safe="")
