"""CentralClient against the real service, through a loopback proxy that misbehaves on cue."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sync.client import CentralClient, CentralRefused, CentralUnavailable, parse_retry_after
from tests.server.central_helpers import (
    DEMO_VISIT_ID,
    Central,
    make_envelope,
)
from tests.server.fault_proxy import FaultProxy


def _port(c: Central) -> int:
    return int(c.url.rsplit(":", 1)[1])


def _script(*faults: str) -> Iterator[str]:
    yield from faults
    while True:
        yield "pass"


def test_5xx_is_retried_honouring_retry_after(demo_central: Central) -> None:
    script = _script("503", "500", "503")
    slept: list[float] = []
    with FaultProxy(_port(demo_central), lambda _m, _p: next(script)) as proxy:
        proxy.retry_after = "2"
        client = demo_central.client(
            "lead",
            url=proxy.url,
            sleep=slept.append,
            backoff_base=0.5,
            backoff_cap=4,
            rng=random.Random(3),
        )
        assert client.me()["name"] == "lead"
    assert slept[0] == 2.0 and slept[2] == 2.0  # Retry-After, exactly
    assert 0.0 <= slept[1] <= 1.0  # full jitter after the 500: within [0, base * 2**1]
    assert len(slept) == 3


def test_4xx_is_never_retried(demo_central: Central) -> None:
    with FaultProxy(_port(demo_central), lambda _m, _p: "pass") as proxy:
        slept: list[float] = []
        client = demo_central.client("cns", url=proxy.url, sleep=slept.append)
        with pytest.raises(CentralRefused) as raised:
            client.submit(make_envelope())
        assert raised.value.status == 403
        assert proxy.counts["pass"] == 1 and slept == []


def test_a_long_retry_after_is_handed_to_the_caller(demo_central: Central) -> None:
    with FaultProxy(_port(demo_central), lambda _m, _p: "503") as proxy:
        proxy.retry_after = "600"
        client = demo_central.client("lead", url=proxy.url, max_retry_after=60)
        with pytest.raises(CentralUnavailable) as raised:
            client.me()
        assert raised.value.retry_after == 600
        assert proxy.counts["503"] == 1


def test_a_lost_response_gets_the_same_receipt(demo_central: Central) -> None:
    script = _script("drop_after", "drop_before", "drop_after")
    with FaultProxy(_port(demo_central), lambda _m, _p: next(script)) as proxy:
        client = demo_central.client("lead", url=proxy.url)
        envelope = make_envelope()
        receipt = client.submit(envelope)
    status = demo_central.client("lead").visit_status(DEMO_VISIT_ID)
    assert len(status) == 1
    assert status[0]["receipt"] == receipt.raw


def test_an_unreachable_service_gives_up_with_capped_backoff() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    slept: list[float] = []
    client = CentralClient(
        f"http://127.0.0.1:{port}",
        "t",
        sleep=slept.append,
        max_attempts=8,
        backoff_base=1,
        backoff_cap=5,
        rng=random.Random(0),
    )
    with client, pytest.raises(CentralUnavailable, match="could not be reached"):
        client.list_kits()
    assert len(slept) == 7
    assert all(0 <= s <= min(5, 2**i) for i, s in enumerate(slept))
    assert max(slept[3:]) > 1  # it does grow


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(90)
    assert parse_retry_after("12") == 12
    assert parse_retry_after("soon") is None
