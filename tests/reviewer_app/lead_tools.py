"""Small helpers the lead's tests share (findings, privacy, risks, finalisation)."""

from __future__ import annotations

import io

from PIL import Image

from reviewer_app.visit.session import Change, VisitSession


def do(session: VisitSession, future: object) -> Change:
    """Wait for a named operation and take its change into the read model, as the window does."""
    change = future.result(timeout=30)  # type: ignore[attr-defined]
    session.absorb(change)
    return change  # type: ignore[no-any-return]


def jpeg(colour: tuple[int, int, int] = (20, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="JPEG")
    return out.getvalue()
