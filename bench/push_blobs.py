"""Pushing attachments to the local central service, against a raw upload in the same run.

    .venv/bin/python bench/push_blobs.py [--mb 200] [--files 20] [--runs 3]

Timed: every file pushed as the laptop's outbox pushes a submission's attachments
(``CentralClient.push_blobs``: two at a time, each a HEAD and a streamed PUT, the service
hashing, writing and fsyncing each blob and recording it before it answers) into a fresh service
each run. The files are in a visit's blob store, sealed (encryption at rest), and sent decrypted
as they are read (``BlobStore.open``), as the laptop sends them. The floor: a plain ``httpx``
PUT of the same files unencrypted on disk, streamed the same way, to a sink on the same uvicorn
set-up over the same loopback that reads and discards the body. Runs alternate; medians.
Budget (issue 6): push <= 2x the raw upload. Also printed, for comparison: the same push one
file after the other (``push_blob``, as the outbox sent them before), the plain files pushed
that way (no encryption at rest), and two diagnostics, not floors: the disk's share, and the
SHA-256 of every byte that the service must compute to store verified content.

The service and the floor's sink each run in a process of their own (uvicorn on a free port of
127.0.0.1, set up the same way for both, as tests/server/central_helpers.serve sets it up), as
a real service does: its client is a laptop, not a thread of the service. In one process the
client and the service took turns on one GIL, which charged the service for the client's work
and the other way round. ``--one-process`` runs both in threads of this process, as before.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from storage import BlobStore  # noqa: E402
from storage.files import fsync_dir  # noqa: E402
from sync.client import AT_ONCE, CHUNK, CentralClient  # noqa: E402
from sync.server.accounts import add_user, issue_token  # noqa: E402
from sync.server.app import create_app  # noqa: E402
from tests.server.central_helpers import serve  # noqa: E402


async def sink(scope, receive, send):  # type: ignore[no-untyped-def]
    """The floor's service: read the whole body, answer 201."""
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _chunks(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _uvicorn(app, sock: socket.socket) -> None:  # type: ignore[no-untyped-def]
    """Serve ``app`` on ``sock`` until stopped, set up as the tests' ``serve`` does."""
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=30)
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def in_child(what: str) -> Iterator[str]:
    """A process of its own serving ``what`` (``sink``, or a service's database URL); its URL,
    once it answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as central_helpers.serve
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    command = [sys.executable, __file__, "--serve", what, "--fd", str(sock.fileno())]
    proc = subprocess.Popen(command, pass_fds=[sock.fileno()])
    sock.close()
    try:
        httpx.get(f"{url}/", timeout=60)  # waits in the listen queue until the child answers
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def serving(app, one_process: bool, what: str) -> AbstractContextManager[str]:  # type: ignore[no-untyped-def]
    if not one_process:
        return in_child(what)

    @contextmanager
    def threaded() -> Iterator[str]:
        with serve(app) as live:
            yield live.url

    return threaded()


def push_run(
    files: list[tuple[Path, str]],
    store: BlobStore | None,
    root: Path,
    n: str,
    one_process: bool,
    *,
    at_once: int = 1,
) -> float:
    """Every file pushed to a fresh service: from the sealed ``store``, or (None) from the plain
    files (the same push without encryption at rest, for comparison); ``at_once`` at a time
    (``push_blobs``, as the outbox sends them) or one after the other (``push_blob``)."""
    url = f"sqlite:///{root / f'run{n}' / 'c.sqlite'}"
    app = create_app(url)
    # Staff may upload without a visit (a reviewer must be a visit's lead): the same code path.
    add_user(app.state.db, "uploader", "staff")
    token = issue_token(app.state.db, "uploader")
    with serving(app, one_process, url) as live, CentralClient(live, token) as client:
        start = time.perf_counter()
        if at_once > 1:
            assert store is not None
            client.push_blobs(
                [(sha, partial(store.open, sha)) for _path, sha in files], at_once=at_once
            )
        for path, sha in files if at_once == 1 else []:
            if store is None:
                client.push_blob(path, sha)
                continue
            with store.open(sha) as f:
                client.push_blob(f, sha)
        elapsed = time.perf_counter() - start
    app.state.db.dispose()
    return elapsed


def raw_run(files: list[tuple[Path, str]], one_process: bool) -> float:
    with serving(sink, one_process, "sink") as live, httpx.Client(base_url=live) as http:
        start = time.perf_counter()
        for path, sha in files:
            size = str(path.stat().st_size)
            r = http.put(f"/{sha}", content=_chunks(path), headers={"Content-Length": size})
            assert r.status_code == 201
        return time.perf_counter() - start


def disk_run(files: list[tuple[Path, str]], root: Path, n: str) -> float:
    """Diagnostic, not the floor: the disk's share of a push. Each file written and fsynced
    (and renamed into place) one after the other, as the service must before answering, with
    its writeback started as it is written: through the page cache, as the service wrote
    before it wrote with ``O_DIRECT`` (sync/server/blobs.py ``_Writer``)."""
    folder = root / f"disk{n}"
    folder.mkdir()
    start = time.perf_counter()
    for path, sha in files:
        tmp = folder / f"{sha}.part"
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            at = 0
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                dst.flush()
                os.posix_fadvise(dst.fileno(), at, len(chunk), os.POSIX_FADV_DONTNEED)
                at += len(chunk)
            os.fsync(dst.fileno())
        os.replace(tmp, folder / sha)
        fsync_dir(folder)
    return time.perf_counter() - start


def hash_run(files: list[tuple[Path, str]]) -> float:
    """Diagnostic, not the floor: the SHA-256 of every byte, as the service must compute it to
    store verified content (DESIGN.md), timed alone here on one core (the files are in the page
    cache); the raw upload's sink does nothing of the kind."""
    start = time.perf_counter()
    for path, sha in files:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        assert h.hexdigest() == sha
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one-process", action="store_true", help="services in threads")
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # a child: what it serves
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # its listening socket
    args = parser.parse_args()
    if args.serve:
        _uvicorn(
            sink if args.serve == "sink" else create_app(args.serve), socket.socket(fileno=args.fd)
        )
        return
    with tempfile.TemporaryDirectory(prefix="bench-push-") as tmp:
        root = Path(tmp)
        size = int(args.mb * 1024 * 1024 / args.files)
        store = BlobStore(root / "blobs", os.urandom(32))  # a visit's store, its key
        files = []
        for i in range(args.files):
            data = os.urandom(size)
            path = root / f"a{i}.bin"
            path.write_bytes(data)
            files.append((path, hashlib.sha256(data).hexdigest()))
            store.put_file(path)
        pushes, plains, raws, disks, ones, hashes = [], [], [], [], [], []
        for n in range(args.runs):
            disks.append(disk_run(files, root, f"{n}"))
            hashes.append(hash_run(files))
            raws.append(raw_run(files, args.one_process))
            pushes.append(push_run(files, store, root, f"{n}", args.one_process, at_once=AT_ONCE))
            ones.append(push_run(files, store, root, f"{n}-one", args.one_process))
            plains.append(push_run(files, None, root, f"{n}-plain", args.one_process))
        push, raw = statistics.median(pushes), statistics.median(raws)
        plain = statistics.median(plains)
        where = "threads of this process" if args.one_process else "processes of their own"
        print(f"attachments: {args.files} files, {args.mb:.0f} MB; services in {where}")
        print(
            f"push: push_blobs, {AT_ONCE} at a time as the outbox sends them, from the sealed "
            "store (decrypted as sent); raw upload of plain files"
        )
        print(f"push:       median {push:.2f} s ({args.mb / push:.0f} MB/s)  runs {pushes}")
        print(f"raw upload: median {raw:.2f} s ({args.mb / raw:.0f} MB/s)  runs {raws}")
        print(f"ratio: {push / raw:.2f}x (budget <= 2x)")
        one = statistics.median(ones)
        print(
            f"push_blob, one after the other (from the sealed store): {one:.2f} s, "
            f"{one / raw:.2f}x the raw upload  runs {ones}"
        )
        print(f"push_blob of the plain files (no encryption, for comparison): {plain:.2f} s")
        disk = statistics.median(disks)
        print(
            f"diagnostic: the same files written, fsynced and renamed one by one (the disk's "
            f"share): {disk:.2f} s, {disk / raw:.2f}x the raw upload"
        )
        sha = statistics.median(hashes)
        print(
            f"diagnostic: the SHA-256 of every byte, alone (the service's check): {sha:.2f} s, "
            f"{sha / raw:.2f}x the raw upload; with the disk's share, {(sha + disk) / raw:.2f}x"
        )
        print(f"per-run ratios: {[round(p / r, 2) for p, r in zip(pushes, raws, strict=True)]}")


if __name__ == "__main__":
    main()
