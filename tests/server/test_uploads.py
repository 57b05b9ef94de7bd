"""Blob uploads as DESIGN.md says (issue 17, items 4 and 5): lead or staff only, a partial upload
is its uploader's, ranges that do not add up are refused, a per-user quota, abandoned partial
uploads removed after 24 hours, and nothing kept per hash in one process (several processes
share the blob folder)."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sync.server.app import create_app
from tests.server.central_helpers import Central, serve


def content(n: int, seed: int = 0) -> tuple[bytes, str]:
    data = random.Random(seed).randbytes(n)
    return data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def http(demo_central: Central) -> Iterator[Callable[..., httpx.Client]]:
    """``http(name, url=None)``: an HTTP client signed in as ``name``."""
    opened: list[httpx.Client] = []

    def client(name: str, url: str | None = None) -> httpx.Client:
        c = httpx.Client(
            base_url=url or demo_central.url,
            headers={"Authorization": f"Bearer {demo_central.tokens[name]}"},
            timeout=30,
        )
        opened.append(c)
        return c

    yield client
    for c in opened:
        c.close()


@pytest.fixture
def another_process(demo_central: Central) -> Iterator[Callable[..., tuple[str, FastAPI]]]:
    """``another_process(**state)``: a second service on the same database and blob folder
    (as a second process would be), with app.state values set (``upload_quota``, ...)."""
    with ExitStack() as stack:

        def start(max_blob: int = 64 * 1024 * 1024, **state: Any) -> tuple[str, FastAPI]:
            app = create_app(
                demo_central.db.url,
                blob_dir=demo_central.folder / "central-blobs",
                max_blob=max_blob,
            )
            for key, value in state.items():
                setattr(app.state, key, value)
            live = stack.enter_context(_serving(app))
            return live, app

        yield start


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    with serve(app) as live:
        yield live.url
    app.state.db.dispose()


def put_range(
    client: httpx.Client, sha: str, data: bytes, start: int, total: int, *, end: int | None = None
) -> httpx.Response:
    end = start + len(data) - 1 if end is None else end
    return client.put(
        f"/v1/blobs/{sha}",
        content=data,
        headers={"Content-Range": f"bytes {start}-{end}/{total}"},
    )


def offset(client: httpx.Client, sha: str) -> int:
    r = client.head(f"/v1/blobs/{sha}")
    assert r.status_code == 404, r.status_code
    return int(r.headers["Upload-Offset"])


def test_only_a_visits_lead_or_staff_may_upload(http: Callable[..., httpx.Client]) -> None:
    data, sha = content(1000)
    for name in ("cns", "outsider"):
        r = http(name).put(f"/v1/blobs/{sha}", content=data)
        assert r.status_code == 403, r.text
        assert r.json()["detail"].endswith(".")
        assert offset(http(name), sha) == 0  # nothing of theirs was kept
    assert http("lead").put(f"/v1/blobs/{sha}", content=data).status_code == 201
    other, other_sha = content(1000, seed=1)
    assert http("staff").put(f"/v1/blobs/{other_sha}", content=other).status_code == 201


def test_a_partial_upload_belongs_to_its_uploader(http: Callable[..., httpx.Client]) -> None:
    data, sha = content(100_000)
    lead, staff = http("lead"), http("staff")
    assert put_range(lead, sha, data[:60_000], 0, len(data)).status_code == 202
    # Someone else knowing the hash starts their own upload; the lead's is untouched.
    assert put_range(staff, sha, b"x", 0, 1).status_code == 422  # one byte: not that hash
    assert put_range(staff, sha, data[:10], 0, len(data)).status_code == 202
    assert offset(lead, sha) == 60_000 and offset(staff, sha) == 10
    assert put_range(lead, sha, data[60_000:], 60_000, len(data)).status_code == 201
    assert lead.head(f"/v1/blobs/{sha}").status_code == 200


def test_a_range_whose_end_does_not_match_the_bytes_sent_is_refused(
    http: Callable[..., httpx.Client],
) -> None:
    data, sha = content(1000)
    lead = http("lead")
    # Declared by Content-Length: refused before a byte is written.
    r = put_range(lead, sha, data[:50], 0, len(data), end=99)
    assert r.status_code == 400 and "Content-Range" in r.json()["detail"]
    assert offset(lead, sha) == 0

    # Streamed without a length: counted as it arrives, and nothing of it is kept.
    def chunks(part: bytes) -> Iterator[bytes]:
        yield part

    for sent, end in ((data[:50], 99), (data[:150], 99)):
        r = lead.put(
            f"/v1/blobs/{sha}",
            content=chunks(sent),
            headers={"Content-Range": f"bytes 0-{end}/{len(data)}"},
        )
        assert r.status_code in (400, 413), r.text
        assert r.json()["detail"].endswith(".")
        assert offset(lead, sha) == 0
    assert put_range(lead, sha, data[:100], 0, len(data)).status_code == 202
    assert offset(lead, sha) == 100


def test_the_total_may_not_change_between_chunks(http: Callable[..., httpx.Client]) -> None:
    data, sha = content(1000)
    lead = http("lead")
    assert put_range(lead, sha, data[:100], 0, 1000).status_code == 202
    r = put_range(lead, sha, data[100:200], 100, 2000)
    assert r.status_code == 400 and "1000" in r.json()["detail"]
    assert offset(lead, sha) == 100
    assert put_range(lead, sha, data[100:], 100, 1000).status_code == 201


def test_a_per_user_quota_bounds_stored_and_unfinished_bytes(
    demo_central: Central,
    http: Callable[..., httpx.Client],
    another_process: Callable[..., tuple[str, FastAPI]],
) -> None:
    url, _app = another_process(upload_quota=10_000)
    lead, staff = http("lead", url), http("staff", url)
    stored, stored_sha = content(6000, seed=1)
    assert lead.put(f"/v1/blobs/{stored_sha}", content=stored).status_code == 201
    unfinished, unfinished_sha = content(3000, seed=2)
    assert put_range(lead, unfinished_sha, unfinished[:2500], 0, 3000).status_code == 202
    # 6,000 stored + 2,500 unfinished + 2,000 more > 10,000.
    more, more_sha = content(2000, seed=3)
    r = lead.put(f"/v1/blobs/{more_sha}", content=more)
    assert r.status_code == 413 and "quota" in r.json()["detail"]
    assert offset(lead, more_sha) == 0
    # Without a declared length it is cut off as it arrives.
    r = lead.put(f"/v1/blobs/{more_sha}", content=iter([more[:1000], more[1000:]]))
    assert r.status_code == 413 and offset(lead, more_sha) == 0
    # Another user's room is their own; finishing the upload under way is within quota.
    assert staff.put(f"/v1/blobs/{more_sha}", content=more).status_code == 201
    assert put_range(lead, unfinished_sha, unfinished[2500:], 2500, 3000).status_code == 201


def test_abandoned_partial_uploads_are_removed_after_24_hours(
    demo_central: Central,
    http: Callable[..., httpx.Client],
    another_process: Callable[..., tuple[str, FastAPI]],
) -> None:
    url, app = another_process()
    lead = http("lead", url)
    old, old_sha = content(5000, seed=1)
    fresh, fresh_sha = content(5000, seed=2)
    assert put_range(lead, old_sha, old[:2000], 0, 5000).status_code == 202
    assert put_range(lead, fresh_sha, fresh[:3000], 0, 5000).status_code == 202

    # A day later (the service's clock), the next upload clears what was left untouched.
    now = time.time()
    app.state.files.clock = lambda: now + 25 * 3600
    # The other one had bytes an hour before that.
    for f in (demo_central.folder / "central-blobs" / "partial").rglob(fresh_sha):
        os.utime(f, (now + 24 * 3600, now + 24 * 3600))
    other, other_sha = content(100, seed=3)
    assert lead.put(f"/v1/blobs/{other_sha}", content=other).status_code == 201
    assert offset(lead, old_sha) == 0
    assert offset(lead, fresh_sha) == 3000


def test_a_restart_removes_partial_uploads_older_than_a_day(
    demo_central: Central,
    http: Callable[..., httpx.Client],
    another_process: Callable[..., tuple[str, FastAPI]],
) -> None:
    lead = http("lead")
    old, old_sha = content(5000, seed=1)
    fresh, fresh_sha = content(5000, seed=2)
    assert put_range(lead, old_sha, old[:2000], 0, 5000).status_code == 202
    assert put_range(lead, fresh_sha, fresh[:3000], 0, 5000).status_code == 202
    day_ago = time.time() - 24 * 3600 - 60
    for f in (demo_central.folder / "central-blobs" / "partial").rglob(f"{old_sha}*"):
        os.utime(f, (day_ago, day_ago))
    url, _app = another_process()  # a process starting cleans up
    assert offset(http("lead", url), old_sha) == 0
    assert offset(http("lead", url), fresh_sha) == 3000


def test_a_blob_body_over_the_limit_is_413_also_when_chunked(
    http: Callable[..., httpx.Client], another_process: Callable[..., tuple[str, FastAPI]]
) -> None:
    url, _app = another_process(max_blob=100_000)
    data, sha = content(150_000)
    lead = http("lead", url)
    r = lead.put(f"/v1/blobs/{sha}", content=data)
    assert r.status_code == 413
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=iter([data[i : i + 10_000] for i in range(0, len(data), 10_000)]),
    )
    assert r.status_code == 413 and r.json()["detail"].endswith(".")
    assert offset(lead, sha) == 0


def test_an_upload_resumes_on_another_process(
    http: Callable[..., httpx.Client], another_process: Callable[..., tuple[str, FastAPI]]
) -> None:
    url, _app = another_process()
    data, sha = content(200_000)
    first, second = http("lead"), http("lead", url)
    assert put_range(first, sha, data[:80_000], 0, len(data)).status_code == 202
    assert offset(second, sha) == 80_000
    assert put_range(second, sha, data[80_000:], 80_000, len(data)).status_code == 201
    assert first.head(f"/v1/blobs/{sha}").status_code == 200


def test_nothing_is_kept_per_hash_in_the_process(
    demo_central: Central,
    http: Callable[..., httpx.Client],
    another_process: Callable[..., tuple[str, FastAPI]],
) -> None:
    url, app = another_process()
    lead = http("lead", url)
    for i in range(40):
        data, sha = content(100, seed=i)
        assert lead.put(f"/v1/blobs/{sha}", content=data).status_code == 201
    kept = [v for v in vars(app.state.files).values() if isinstance(v, dict | list | set)]
    assert all(len(v) < 40 for v in kept)


def test_someone_who_sends_a_stored_blob_is_told_only_after_sending_it(
    demo_central: Central, http: Callable[..., httpx.Client]
) -> None:
    data, sha = content(50_000)
    assert http("staff").put(f"/v1/blobs/{sha}", content=data).status_code == 201
    lead = http("lead")
    assert lead.head(f"/v1/blobs/{sha}").status_code == 404
    wrong = lead.put(f"/v1/blobs/{sha}", content=b"guess" * 10)
    assert wrong.status_code == 422  # as for any blob: the bytes are not that hash
    assert lead.put(f"/v1/blobs/{sha}", content=data).status_code == 201
    assert lead.head(f"/v1/blobs/{sha}").status_code == 200


def test_a_head_waits_for_an_upload_still_writing_in_another_process(
    http: Callable[..., httpx.Client], another_process: Callable[..., tuple[str, FastAPI]]
) -> None:
    url, _app = another_process()
    data, sha = content(200_000)
    started = threading.Event()

    def slow() -> Iterator[bytes]:
        yield data[:50_000]
        started.set()
        time.sleep(1.0)
        yield data[50_000:100_000]

    writer = http("lead")
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            writer.put(
                f"/v1/blobs/{sha}",
                content=slow(),
                headers={"Content-Range": f"bytes 0-99999/{len(data)}"},
            )
        )
    )
    thread.start()
    assert started.wait(10)
    time.sleep(0.2)  # the first 50,000 bytes are on disk; the rest is a second away
    assert offset(http("lead", url), sha) == 100_000  # asked of the other process
    thread.join(10)
    assert answers[0].status_code == 202
