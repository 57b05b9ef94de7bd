"""What reads sealed blobs shows them as before: a draft report's photo is in the PDF, the
evidence viewer opens a kit's PDF, and neither leaves a plaintext copy on disk."""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lead_tools import do
from PIL import Image
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.report.headless import write_report
from reviewer_app.visit.session import VisitSession
from storage import blob_crypto
from ui.evidence_viewer import EvidenceViewer
from ui.evidence_viewer.documents import SEALED_DAMAGED

JPEG_START = b"\xff\xd8\xff"
TWO_PAGE_PDF = "E003"  # the demo kit's TCD protocol: two pages


def camera_photo() -> bytes:
    """A 1600 x 1200 JPEG, mostly red, with a gradient (not a flat colour JPEG could fake)."""
    img = Image.new("RGB", (1600, 1200))
    img.putdata([(200, (x * 31) % 80, (y * 17) % 80) for y in range(1200) for x in range(1600)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def sealed_on_disk(session: VisitSession, sha256: str) -> bytes:
    raw = session.blobs.path(sha256).read_bytes()
    assert blob_crypto.is_sealed(session.blobs.path(sha256))
    return raw


def draft_report(lead: VisitSession, out: Path) -> Path:
    """``reviewer-app report --visit V --format pdf --out out``, as the lead would run it."""
    return write_report(AppPaths.from_environment(), lead.data.visit.visit_id, "pdf", out)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder, to see whether anything is written there."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_draft_report_shows_a_photo_that_is_sealed_on_disk(
    open_demo_session: Callable[..., VisitSession], tmp_path: Path, private_tmp: Path
) -> None:
    lead = open_demo_session("m-lead")
    photo = do(lead, lead.add_photo(camera_photo(), caption="Resuscitation trolley"))
    sha = lead.data.photos[photo.entity_id].sha256
    text = "The resuscitation trolley was not checked daily."
    do(lead, lead.add_finding("shc", "concern", text, photos=[photo.entity_id]))
    raw = sealed_on_disk(lead, sha)
    plain = lead.read_blob(sha)
    assert plain.startswith(JPEG_START) and plain[:16] not in raw  # not readable on disk

    out = write_report(
        AppPaths.from_environment(), lead.data.visit.visit_id, "pdf", tmp_path / "r.pdf"
    )

    pages = PdfReader(out).pages
    [page] = [
        p for p in pages if "resuscitation trolley was not checked" in (p.extract_text() or "")
    ]
    assert "Resuscitation trolley" in (page.extract_text() or "")
    assert "(photo not available)" not in (page.extract_text() or "")
    [shown] = page.images
    with Image.open(io.BytesIO(shown.data)) as img:
        assert img.size == (900, 675)  # the photo, scaled for print
        red, green, blue = img.convert("RGB").resize((1, 1)).getpixel((0, 0))  # type: ignore[misc]
        assert red > 150 and green < 90 and blue < 90
    assert list(private_tmp.iterdir()) == []  # no copy of the photo, scaled or not


def test_a_photo_whose_sealed_file_is_damaged_is_said_not_available(
    open_demo_session: Callable[..., VisitSession], tmp_path: Path
) -> None:
    lead = open_demo_session("m-lead")
    photo = do(lead, lead.add_photo(camera_photo(), caption="Sluice room"))
    text = "The sluice room was used for storage."
    do(lead, lead.add_finding("shc", "concern", text, photos=[photo.entity_id]))
    blob = lead.blobs.path(lead.data.photos[photo.entity_id].sha256)
    os.chmod(blob, stat.S_IRUSR | stat.S_IWUSR)
    damaged = bytearray(blob.read_bytes())
    damaged[100] ^= 0xFF
    blob.write_bytes(bytes(damaged))

    out = write_report(
        AppPaths.from_environment(), lead.data.visit.visit_id, "pdf", tmp_path / "r.pdf"
    )

    text = " ".join(p.extract_text() or "" for p in PdfReader(out).pages)
    assert "Sluice room (photo not available)" in " ".join(text.split())


def test_the_evidence_viewer_opens_a_sealed_pdf_without_a_plaintext_copy(
    qtbot: QtBot, session: VisitSession, private_tmp: Path
) -> None:
    doc = session.data.document(TWO_PAGE_PDF)
    assert doc is not None
    raw = sealed_on_disk(session, doc.sha256)
    assert b"%PDF" not in raw
    viewer = EvidenceViewer(session)
    qtbot.addWidget(viewer)
    viewer.show()

    assert viewer.show_document(TWO_PAGE_PDF)
    qtbot.waitUntil(viewer.showing_pdf, timeout=10_000)

    assert viewer.page_total() == 2
    assert viewer.page_count.text() == "of 2"
    cache = AppPaths.from_environment().cache
    assert not (cache / "open").exists()  # not copied for a viewer
    assert list(private_tmp.iterdir()) == []


def test_the_evidence_viewer_says_a_damaged_sealed_pdf_cannot_be_read(
    qtbot: QtBot, session: VisitSession
) -> None:
    doc = session.data.document(TWO_PAGE_PDF)
    assert doc is not None
    blob = session.blobs.path(doc.sha256)
    os.chmod(blob, stat.S_IRUSR | stat.S_IWUSR)
    damaged = bytearray(blob.read_bytes())
    damaged[-40] ^= 0xFF
    blob.write_bytes(bytes(damaged))
    viewer = EvidenceViewer(session)
    qtbot.addWidget(viewer)
    viewer.show()

    viewer.show_document(TWO_PAGE_PDF)

    qtbot.waitUntil(lambda: viewer.message.text() == SEALED_DAMAGED, timeout=10_000)
    assert not viewer.showing_pdf()
    assert not viewer.system_button.isVisibleTo(viewer)  # no other program could read it
