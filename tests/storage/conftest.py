"""Fixtures for the workspace tests: real SQLite files in a temporary folder."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import Workspace
from tests.keys import TEST_KEY

OpenWorkspace = Callable[..., Workspace]


@pytest.fixture
def open_ws(tmp_path: Path) -> Iterator[OpenWorkspace]:
    """Open (creating) workspaces under tmp_path; every one is closed at the end of the test."""
    opened: list[Workspace] = []

    def _open(name: str = "a", device_id: str | None = None, **kwargs: object) -> Workspace:
        kwargs.setdefault("create", True)
        ws = Workspace.open(
            tmp_path / name / "workspace.sqlite",
            key=TEST_KEY,
            device_id=device_id or f"device-{name}-{uuid.uuid4()}",
            **kwargs,  # type: ignore[arg-type]
        )
        opened.append(ws)
        return ws

    yield _open
    for ws in opened:
        try:
            ws.close()
        except Exception:
            pass


@pytest.fixture
def ws(open_ws: OpenWorkspace) -> Workspace:
    return open_ws("a")


def sample_kit(kit_id: str = "kit-1", visit_id: str = "visit-1", n: int = 3) -> dict[str, object]:
    standards = [
        {
            "ref": f"T-{100 + i}",
            "section": "Triage" if i % 2 == 0 else "Staffing",
            "title": f"Standard number {i}",
            "requirement": f"Patients are assessed within {i + 1} hours by a trained nurse",
            "parts": [{"label": "a", "text": "first part"}],
            "evidence_expected": "Audit of assessment times",
            "key": i == 0,
            "applies_to": ["ED"],
            "order": i,
            "notes": [{"name": "Source", "value": "QS 2024"}],
        }
        for i in range(n)
    ]
    return {
        "kit_id": kit_id,
        "visit_id": visit_id,
        "manifest_json": '{"visit": {}}',
        "sections": ["Triage", "Staffing"],
        "standards": standards,
        "self_assessment": [
            {
                "ref": "T-100",
                "component": "ED",
                "claim": "met",
                "comment": "yes",
                "evidence": ["E1"],
            }
        ],
        "evidence": [
            {
                "id": "E1",
                "title": "Audit",
                "file": "evidence/audit.pdf",
                "sha256": "0" * 64,
                "size": 10,
                "standards": ["T-100"],
            }
        ],
    }
