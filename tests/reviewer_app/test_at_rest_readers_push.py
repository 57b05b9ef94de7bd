"""A sealed blob is sent to the central service as its plaintext (the service checks its
SHA-256), and an upload cut off part way is resumed from the decrypted file, not the sealed one.
Real service on 127.0.0.1, real sealed store on disk."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from storage import BlobStore
from tests.keys import TEST_KEY
from tests.server import central_helpers
from tests.server.central_helpers import Central

central = central_helpers.central
demo_central = central_helpers.demo_central

SIZE = 3 * 1024 * 1024 + 123  # several of the sealed file's chunks, the last one short


def sealed_store(tmp_path: Path) -> tuple[BlobStore, bytes, str]:
    store = BlobStore(tmp_path / "visit" / "blobs", TEST_KEY)
    plaintext = os.urandom(SIZE)
    sha = store.put_bytes(plaintext)
    assert plaintext[:4096] not in store.path(sha).read_bytes()  # sealed on disk
    return store, plaintext, sha


def on_service(demo_central: Central, sha: str) -> bytes:
    return (demo_central.folder / "central-blobs" / sha[:2] / sha).read_bytes()


def test_a_sealed_blob_is_pushed_as_its_plaintext(demo_central: Central, tmp_path: Path) -> None:
    store, plaintext, sha = sealed_store(tmp_path)
    lead = demo_central.client("lead")

    with store.open(sha) as f:
        assert lead.push_blob(f, sha) is True

    assert lead.has_blob(sha) == (True, 0)
    assert on_service(demo_central, sha) == plaintext


def test_a_cut_off_upload_of_a_sealed_blob_is_resumed(
    demo_central: Central, tmp_path: Path
) -> None:
    store, plaintext, sha = sealed_store(tmp_path)
    half = SIZE // 2 + 7  # inside a chunk of the sealed file
    token = demo_central.tokens["lead"]
    with httpx.Client(
        base_url=demo_central.url, headers={"Authorization": f"Bearer {token}"}
    ) as http:  # the connection dropped after the first half had arrived
        r = http.put(
            f"/v1/blobs/{sha}",
            content=plaintext[:half],
            headers={"Content-Range": f"bytes 0-{half - 1}/{SIZE}"},
        )
        assert r.status_code in (200, 202, 308), r.text
    lead = demo_central.client("lead")
    assert lead.has_blob(sha) == (False, half)

    with store.open(sha) as f:
        assert lead.push_blob(f, sha) is True

    assert on_service(demo_central, sha) == plaintext
