"""schemathesis against /openapi.json of the live service: whatever it sends, never a 500.

schemathesis' own pytest plugin does not load under this pytest, so the test walks the
operations itself and runs a bounded hypothesis search on each.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.server.central_helpers import Central

STAFF_PATHS = ("/v1/keys", "/v1/overview", "/state", "/comments", "/assignments", "/device-key")
EXAMPLES = 25


def _search(operation: Any, token: str, failures: list[str]) -> int:
    """Run the bounded search on one operation; how many requests it made."""
    calls = [0]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        calls[0] += 1
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=10)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

    check()
    return calls[0]


def test_no_request_makes_the_service_fail(demo_central: Central) -> None:
    schema = schemathesis.openapi.from_url(demo_central.url + "/openapi.json")
    failures: list[str] = []
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        staff = any(p in operation.path for p in STAFF_PATHS) or (
            operation.path == "/v1/kits" and operation.method.upper() == "POST"
        )
        seen += _search(operation, demo_central.tokens["staff" if staff else "lead"], failures)
    assert seen > 200
    assert failures == []
