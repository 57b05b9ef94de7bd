"""A blob's bytes are written and hashed on worker threads while the next ones arrive
(sync/server/blobs.py ``_Writer``): what is stored is the body byte for byte, whatever pieces it
came in, a resumed upload replaces what follows its offset, and a body the service refuses part
way keeps nothing of that request. The laptop may send several attachments at once
(``CentralClient.push_blobs``)."""

from __future__ import annotations

import hashlib
import io
import os
import random
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from storage import BlobStore
from sync.server import blobs
from tests.server.central_helpers import Central


def content(n: int, seed: int = 0) -> tuple[bytes, str]:
    data = random.Random(seed).randbytes(n)
    return data, hashlib.sha256(data).hexdigest()


def pieces(data: bytes, seed: int = 1) -> Iterator[bytes]:
    """``data`` in pieces of 1 byte to 300 kB: many batches, some written while more arrive."""
    rng, at = random.Random(seed), 0
    while at < len(data):
        n = rng.choice((1, 7, 4096, 65_536, 300_000))
        yield data[at : at + n]
        at += n


@pytest.fixture
def lead(demo_central: Central) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=demo_central.url,
        headers={"Authorization": f"Bearer {demo_central.tokens['lead']}"},
        timeout=30,
    ) as client:
        yield client


def stored(central: Central, sha: str) -> bytes:
    return (Path(central.folder) / "central-blobs" / sha[:2] / sha).read_bytes()


def test_a_body_in_many_odd_pieces_is_stored_byte_for_byte(
    demo_central: Central, lead: httpx.Client
) -> None:
    data, sha = content(6 * 1024 * 1024 + 13)
    r = lead.put(f"/v1/blobs/{sha}", content=pieces(data))
    assert r.status_code == 201, r.text
    assert stored(demo_central, sha) == data
    assert lead.head(f"/v1/blobs/{sha}").status_code == 200


def test_a_resumed_upload_replaces_what_follows_its_offset(
    demo_central: Central, lead: httpx.Client
) -> None:
    data, sha = content(3 * 1024 * 1024)
    wrong = bytes(len(data))  # what a first attempt sent past the point it is resumed from
    head = 1024 * 1024
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=pieces(data[:head] + wrong[head : 2 * head]),
        headers={"Content-Range": f"bytes 0-{2 * head - 1}/{len(data)}"},
    )
    assert r.status_code == 202 and r.headers["Upload-Offset"] == str(2 * head)
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=pieces(data[head:], seed=2),
        headers={"Content-Range": f"bytes {head}-{len(data) - 1}/{len(data)}"},
    )
    assert r.status_code == 201, r.text
    assert stored(demo_central, sha) == data


@pytest.mark.parametrize("direct", [True, False], ids=["o_direct", "page_cache"])
def test_an_upload_resumed_mid_block_is_stored_byte_for_byte(
    demo_central: Central, lead: httpx.Client, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    """Whole blocks go straight to the disk where the system allows it, the rest through the
    page cache: offsets that fall inside a block, on either side, lose and add nothing."""
    if not direct:  # as on a file system that refuses O_DIRECT
        monkeypatch.setattr(blobs, "_open_direct", lambda _fd: None)
    data, sha = content(5 * 1024 * 1024 + 4099, seed=3)
    first = 1_000_003  # stops mid-block: its last bytes are held back, then kept
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=pieces(data[:first]),
        headers={"Content-Range": f"bytes 0-{first - 1}/{len(data)}"},
    )
    assert r.status_code == 202 and r.headers["Upload-Offset"] == str(first)
    again = 777_777  # from further back, mid-block too
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=pieces(data[again:], seed=4),
        headers={"Content-Range": f"bytes {again}-{len(data) - 1}/{len(data)}"},
    )
    assert r.status_code == 201, r.text
    assert stored(demo_central, sha) == data


def test_a_body_longer_than_declared_keeps_nothing_of_that_request(
    lead: httpx.Client,
) -> None:
    data, sha = content(2 * 1024 * 1024)
    first = 512 * 1024
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=data[:first],
        headers={"Content-Range": f"bytes 0-{first - 1}/{len(data)}"},
    )
    assert r.status_code == 202
    # Declared as the rest, but more arrives: refused, and the upload is back where it was.
    too_long = iter([*pieces(data[first:]), b"x" * 100_000])
    r = lead.put(
        f"/v1/blobs/{sha}",
        content=too_long,
        headers={"Content-Range": f"bytes {first}-{len(data) - 1}/{len(data)}"},
    )
    assert r.status_code == 413, r.text
    assert lead.head(f"/v1/blobs/{sha}").headers["Upload-Offset"] == str(first)


def test_content_of_another_hash_is_refused_and_nothing_kept(lead: httpx.Client) -> None:
    data, _sha = content(1024 * 1024 + 5)
    _other, sha = content(10, seed=9)
    r = lead.put(f"/v1/blobs/{sha}", content=pieces(data))
    assert r.status_code == 422
    r = lead.head(f"/v1/blobs/{sha}")
    assert r.status_code == 404 and r.headers["Upload-Offset"] == "0"


def test_push_blobs_sends_several_at_once_and_then_nothing(
    demo_central: Central, tmp_path: Path
) -> None:
    store = BlobStore(tmp_path / "photos", os.urandom(32))  # sealed, as on the laptop
    sent = {}
    for i in range(5):
        data, _sha = content(300_000 + i, seed=i)
        source = tmp_path / f"p{i}.jpg"
        source.write_bytes(data)
        sent[store.put_file(source)] = data
    client = demo_central.client("lead")
    blobs = [(sha, partial(store.open, sha)) for sha in sent]
    assert client.push_blobs(blobs, at_once=2) == 5
    for sha, data in sent.items():
        assert stored(demo_central, sha) == data
    assert client.push_blobs(blobs, at_once=2) == 0  # all there: only HEADs


def test_push_blobs_stops_at_the_first_attachment_it_cannot_read(
    demo_central: Central, tmp_path: Path
) -> None:
    def unreadable() -> BinaryIO:
        raise OSError("the attachment file is missing")

    data, sha = content(1000)
    client = demo_central.client("lead")
    with pytest.raises(OSError, match="missing"):
        client.push_blobs([("0" * 64, unreadable), (sha, lambda: io.BytesIO(data))], at_once=1)
    assert client.has_blob(sha) == (False, 0)  # not started after the failure
