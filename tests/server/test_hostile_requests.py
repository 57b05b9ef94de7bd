"""Valid-looking JSON a laptop (or anyone with a token) may send: a 4xx with one sentence, never a
500, and nothing stored, on SQLite and PostgreSQL alike (issue 17, items 2 and 5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sync.findings_format import content_sha256
from tests.server.central_helpers import DEMO_VISIT_ID, Central, make_envelope, sign

MARK = "SURROGATE-GOES-HERE"


def one_sentence(response: httpx.Response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    assert detail.endswith(".") and "\n" not in detail and len(detail) < 300, detail
    return detail


@pytest.fixture
def http(demo_central: Central) -> Iterator[dict[str, httpx.Client]]:
    clients = {
        name: httpx.Client(
            base_url=demo_central.url,
            headers={"Authorization": f"Bearer {demo_central.tokens[name]}"},
            timeout=30,
        )
        for name in ("staff", "lead", "cns", "outsider")
    }
    yield clients
    for client in clients.values():
        client.close()


def put_raw(client: httpx.Client, envelope: dict[str, Any], *, surrogate: bool = False) -> Any:
    """PUT the envelope as JSON text; with ``surrogate``, MARK becomes a lone ``\\ud800``."""
    text = json.dumps(envelope)
    if surrogate:
        text = text.replace(MARK, "\\ud800")
    return client.put(
        f"/v1/submissions/{quote(str(envelope['snapshot_id']), safe='')}",
        content=text.encode("ascii"),
        headers={"Content-Type": "application/json"},
    )


def nothing_stored(c: Central) -> None:
    assert c.client("lead").visit_status(DEMO_VISIT_ID) == []


def resigned(envelope: dict[str, Any]) -> dict[str, Any]:
    envelope["content_sha256"] = content_sha256(envelope["findings"])
    return sign(envelope)


def test_a_lone_surrogate_in_a_submission_is_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    envelope = make_envelope(note=MARK)
    r = put_raw(http["lead"], envelope, surrogate=True)
    assert r.status_code == 422
    assert "surrogate" in one_sentence(r)
    nothing_stored(demo_central)


def test_a_lone_surrogate_or_nul_in_a_comment_is_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    envelope = make_envelope()
    demo_central.client("lead").submit(envelope)
    path = f"/v1/submissions/{envelope['snapshot_id']}"
    for text in (f'{{"text": "bad \\ud800 {MARK}"}}', '{"text": "bad \\u0000 text"}'):
        r = http["staff"].post(
            f"{path}/comments", content=text, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422, r.text
        one_sentence(r)
    r = http["staff"].post(
        f"{path}/state",
        content='{"state": "has_issues", "comment": "\\udfff"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    one_sentence(r)
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert status[0]["comments"] == [] and status[0]["state"] == "received"


def test_a_nul_anywhere_in_a_submission_is_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    in_text = make_envelope(note="a\x00b")
    in_name = make_envelope()
    in_name["findings"]["visit"]["extra\x00"] = "x"
    in_id = make_envelope()
    in_id["snapshot_id"] = "abc\x00def"
    for envelope in (in_text, resigned(in_name), in_id):
        r = put_raw(http["lead"], envelope)
        assert r.status_code == 422, r.text
        assert "NUL" in one_sentence(r)
    nothing_stored(demo_central)


@pytest.mark.parametrize("version", [2**31, 2**63, 2**64, 0, -1, True, 1.5, "1"])
def test_a_version_out_of_range_or_not_a_whole_number_is_422(
    demo_central: Central, http: dict[str, httpx.Client], version: Any
) -> None:
    envelope = make_envelope()
    envelope["version"] = version
    r = put_raw(http["lead"], envelope)
    assert r.status_code == 422, r.text
    assert "version" in one_sentence(r)
    nothing_stored(demo_central)


def test_the_largest_version_a_column_holds_is_accepted(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    r = put_raw(http["lead"], make_envelope(version=2**31 - 1))
    assert r.status_code == 201, r.text
    assert demo_central.client("lead").visit_status(DEMO_VISIT_ID)[0]["version"] == 2**31 - 1


def test_ids_longer_than_their_columns_are_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    long_id = make_envelope()
    long_id["snapshot_id"] = "s" * 65
    long_supersedes = make_envelope(version=2, supersedes="p" * 65)
    for envelope in (long_id, long_supersedes):
        r = put_raw(http["lead"], envelope)
        assert r.status_code == 422, r.text
        assert "64" in one_sentence(r)
    nothing_stored(demo_central)
    # The longest id a column holds is fine, on either database.
    fits = make_envelope(version=2, supersedes="p" * 64)
    fits["snapshot_id"] = "s" * 64
    assert put_raw(http["lead"], fits).status_code == 201


def test_bad_path_parameters_are_4xx_not_500(http: dict[str, httpx.Client]) -> None:
    staff = http["staff"]
    for path in (
        "/v1/submissions/%00",
        "/v1/submissions/" + "x" * 65,
        "/v1/submissions/%ED%A0%80",  # a surrogate's UTF-8 bytes: not UTF-8
        "/v1/visits/%00/submissions",
        "/v1/kits/%00/file",
    ):
        r = staff.get(path)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        one_sentence(r)
    r = staff.put("/v1/kits/%00/assignments/lead", json={"member_id": "m-lead"})
    assert 400 <= r.status_code < 500
    one_sentence(r)
    r = staff.delete("/v1/users/%00/device-key")
    assert 400 <= r.status_code < 500
    one_sentence(r)


def test_numbers_that_are_booleans_or_text_are_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    figures = make_envelope()
    figures["findings"]["compliance"] = [{"component": "shc", "applicable": "lots", "met": 1}]
    flag = make_envelope()
    flag["findings"]["compliance"] = [{"component": "shc", "applicable": True, "met": 1}]
    size = make_envelope(attachments=[("a" * 64, 1)])
    size["findings"]["attachments"][0]["size"] = True
    for envelope in (resigned(figures), resigned(flag), resigned(size)):
        r = put_raw(http["lead"], envelope)
        assert r.status_code == 422, r.text
        one_sentence(r)
    r = http["staff"].put(
        f"/v1/kits/{demo_central.kit['kit_id']}/assignments/cns", json={"member_id": True}
    )
    assert r.status_code == 422
    one_sentence(r)
    nothing_stored(demo_central)


def test_deep_nesting_and_non_finite_numbers_are_4xx(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    envelope = make_envelope()
    text = json.dumps(envelope)
    deep = text[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    nan = text[:-1] + ', "x": NaN}'
    for body in (deep, nan):
        r = http["lead"].put(
            f"/v1/submissions/{envelope['snapshot_id']}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= r.status_code < 500, r.text
        one_sentence(r)
    nothing_stored(demo_central)


def test_a_hash_that_is_not_64_lower_case_hex_is_refused(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    data = b"a photo"
    sha = hashlib.sha256(data).hexdigest()
    for address in (sha + "%0A", sha.upper(), sha[:-1]):
        r = http["lead"].put(f"/v1/blobs/{address}", content=data)
        assert r.status_code == 400, (address, r.status_code)
        assert "SHA-256" in one_sentence(r)
    envelope = make_envelope(attachments=[("A" * 64, 1)])
    r = put_raw(http["lead"], resigned(envelope))
    assert r.status_code == 422
    assert "SHA-256" in one_sentence(r)


def test_a_submission_signed_off_by_someone_other_than_the_lead_is_422(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    envelope = make_envelope()
    envelope["signed_off_by"] = "m-cns"
    r = put_raw(http["lead"], envelope)
    assert r.status_code == 422
    assert "lead" in one_sentence(r)
    nothing_stored(demo_central)


def test_an_outsider_is_refused_before_the_duplicate_check(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    envelope = make_envelope()
    receipt = demo_central.client("lead").submit(envelope)
    # An exact copy of the lead's submission does not hand an outsider (or a team member who
    # is not the lead) the lead's receipt.
    for name in ("outsider", "cns"):
        r = put_raw(http[name], envelope)
        assert r.status_code == 403, r.text
        assert receipt.raw["receipt_id"] not in r.text
        one_sentence(r)
    # Other content under the same id: still 403 (not 409, which would say the id is taken).
    changed = make_envelope(note="Something else")
    changed["snapshot_id"] = envelope["snapshot_id"]
    for name in ("outsider", "cns"):
        r = put_raw(http[name], changed)
        assert r.status_code == 403, r.text
    # The lead still gets the stored receipt, and a 409 for other content.
    assert put_raw(http["lead"], envelope).json() == receipt.raw
    assert put_raw(http["lead"], changed).status_code == 409


def test_blob_existence_is_told_only_to_those_who_may_read_it(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    data = b"a photo of the clinic board" * 100
    sha = hashlib.sha256(data).hexdigest()
    assert demo_central.client("lead").push_blob(data, sha) is True
    assert http["lead"].head(f"/v1/blobs/{sha}").status_code == 200
    assert http["staff"].head(f"/v1/blobs/{sha}").headers["Content-Length"] == str(len(data))
    for name in ("cns", "outsider"):
        r = http[name].head(f"/v1/blobs/{sha}")
        # The same answer as for a blob that is not there.
        assert r.status_code == 404 and r.headers["Upload-Offset"] == "0"
        assert "content-length" not in r.headers or r.headers["content-length"] == "0"
    missing = http["cns"].head("/v1/blobs/" + "e" * 64)
    assert missing.status_code == 404 and missing.headers["Upload-Offset"] == "0"


def test_a_staff_comment_is_capped(demo_central: Central, http: dict[str, httpx.Client]) -> None:
    envelope = make_envelope()
    demo_central.client("lead").submit(envelope)
    path = f"/v1/submissions/{envelope['snapshot_id']}"
    huge = "x" * 100_000
    r = http["staff"].post(f"{path}/state", json={"state": "has_issues", "comment": huge})
    assert r.status_code == 422
    assert "20000" in one_sentence(r)
    r = http["staff"].post(f"{path}/comments", json={"text": huge})
    assert r.status_code == 422
    r = http["staff"].post(f"{path}/state", json={"state": "archived"})
    assert r.status_code == 422
    one_sentence(r)
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert status[0]["comments"] == [] and status[0]["state"] == "received"


def test_a_chunked_body_over_the_limit_is_413(
    demo_central: Central, http: dict[str, httpx.Client]
) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"snapshot_id": "'
        for _ in range(3 * 64):  # 3 MiB against the test service's 2 MiB
            yield b"x" * 16384
        yield b'"}'

    r = http["lead"].put(
        "/v1/submissions/x", content=body(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert "larger" in one_sentence(r)
    nothing_stored(demo_central)


@pytest.mark.parametrize("path", ["/v1/submissions/x", "/v1/blobs/" + "a" * 64])
def test_a_body_over_the_limit_in_one_last_piece_is_answered_at_once(path: str) -> None:
    """The piece that crosses the limit may be the body's last: the 413 must not wait for
    more body (or a disconnect) that never comes."""
    import asyncio  # noqa: PLC0415

    from sync.server.limits import SizeLimit  # noqa: PLC0415

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    pieces = [
        {"type": "http.request", "body": b"x" * 600, "more_body": True},
        {"type": "http.request", "body": b"x" * 600, "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces:
            return pieces.pop(0)
        await asyncio.sleep(3600)  # a client waiting for its answer sends nothing more
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    limited = SizeLimit(app, max_body=1000, max_blob=1000, max_kit=1000)
    scope = {"type": "http", "path": path, "method": "PUT", "headers": []}
    asyncio.run(asyncio.wait_for(limited(scope, receive, send), timeout=5))
    assert sent[0]["status"] == 413


def test_who_may_send_is_checked_before_what_was_sent(http: dict[str, httpx.Client]) -> None:
    """Someone who leads no visit learns nothing from the service's checks of a body."""
    for name in ("outsider", "cns", "staff"):
        r = http[name].put("/v1/submissions/x", json={"snapshot_id": "x" * 100})
        assert r.status_code == 403, (name, r.text)
        one_sentence(r)
        r = http[name].put("/v1/blobs/not-a-hash", content=b"x") if name != "staff" else None
        if r is not None:
            assert r.status_code == 403, (name, r.text)
