"""Searching every evidence document at once: real PDFs (reportlab), Word and CSV files, indexed
into a real SQLite FTS5 file on the indexer's thread, searched on the search thread."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from reviewer_app.visit import doc_search
from reviewer_app.visit.doc_search import DocumentIndex
from reviewer_app.visit.read_model import KitDocument
from storage import BlobStore, encrypted_sqlite
from storage.doc_index import DocIndex, index_path, match_expression
from tests.keys import TEST_KEY

WAIT = 60


def pdf_bytes(*pages: str) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        y = 800
        for line in textwrap.wrap(text, 80) or [""]:
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()
    return out.getvalue()


def encrypted_pdf(text: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Audit"
    table.rows[0].cells[1].text = "haemoglobinopathy dashboard"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class Kit:
    """Documents stored the way a kit's are: in a blob store, named by their SHA-256."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.blobs = BlobStore(folder / "blobs", TEST_KEY)
        self.documents: list[KitDocument] = []

    def add(self, doc_id: str, file: str, data: bytes, title: str = "") -> KitDocument:
        sha = self.blobs.put_bytes(data)
        doc = KitDocument(doc_id, title or f"Document {doc_id}", file, sha, len(data), ())
        self.documents = [d for d in self.documents if d.id != doc_id] + [doc]
        return doc

    def index(self) -> DocumentIndex:
        index = DocumentIndex(self.folder, self.documents, self.blobs.path, key=TEST_KEY)
        index.start()
        return index


def open_index_file(kit: Kit) -> sqlite3.Connection:
    """The index's file as it is on disk (encrypted with the visit's key)."""
    return encrypted_sqlite.connect(index_path(kit.folder), TEST_KEY)


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return Kit(tmp_path / "visit")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files the indexer reads, in order (asked of the reading process)."""
    seen: list[str] = []
    real = doc_search.Reader.read

    def counting(self: doc_search.Reader, path: Path, file_name: str) -> tuple[str, object]:
        seen.append(file_name)
        return real(self, path, file_name)

    monkeypatch.setattr(doc_search.Reader, "read", counting)
    yield seen


def finished(index: DocumentIndex) -> DocumentIndex:
    assert index.wait(WAIT), "indexing did not finish"
    return index


def test_a_word_on_page_two_is_found_on_page_two(kit: Kit) -> None:
    kit.add("E001", "policy.pdf", pdf_bytes("Operational policy", "Transition to adult services"))
    kit.add("E002", "leaflet.pdf", pdf_bytes("Patient leaflet about transfusion"))
    index = finished(kit.index())
    try:
        results = index.search("transition").result(WAIT)
        assert [m.document.id for m in results.documents] == ["E001"]
        assert [p.page for p in results.documents[0].pages] == [2]
        assert "Transition to adult" in results.documents[0].pages[0].snippet
        assert not results.partial
        assert results.summary() == "1 page in 1 document"
        # prefix on the last word; every word must be there
        assert index.search("adult servi").result(WAIT).page_count == 1
        assert index.search("adult leaflet").result(WAIT).page_count == 0
        assert [m.document.id for m in index.search("transf").result(WAIT).documents] == ["E002"]
    finally:
        index.close()


def test_hits_in_several_documents_come_grouped_by_document(kit: Kit) -> None:
    kit.add("E001", "a.pdf", pdf_bytes("safeguarding children", "nothing", "safeguarding adults"))
    kit.add("E002", "b.pdf", pdf_bytes("safeguarding policy"))
    index = finished(kit.index())
    try:
        results = index.search("safeguarding").result(WAIT)
        groups = {m.document.id: [p.page for p in m.pages] for m in results.documents}
        assert groups == {"E001": [1, 3], "E002": [1]}
        assert results.summary() == "3 pages in 2 documents"
    finally:
        index.close()


HOSTILE = [
    '"',
    '""',
    "AND(",
    "OR",
    "NOT",
    "NEAR(a b)",
    "a AND",
    "*",
    "-policy",
    "text:policy",
    "^policy",
    "{text}: policy",
    "policy)",
    "(((",
    "'; DROP TABLE doc_files; --",
    "\x00policy",
    "poli\x00cy",
    "\\",
    "🙂 policy",
    "polícy",
    "a" * 5000,
    "   ",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_input_is_searched_for_as_text(kit: Kit, text: str) -> None:
    kit.add("E001", "p.pdf", pdf_bytes("The operational policy names AND OR NOT as words"))
    index = finished(kit.index())
    try:
        results = index.search(text).result(WAIT)  # never an FTS5 syntax error
        assert results.query == text
    finally:
        index.close()
    with closing(
        encrypted_sqlite.connect(index_path(kit.folder), TEST_KEY)
    ) as conn:  # nothing was dropped
        assert conn.execute("SELECT count(*) FROM doc_files").fetchone() == (1,)


def test_query_words_are_quoted_and_the_last_is_a_prefix() -> None:
    assert match_expression('care "plan') == '"care" """plan"*'
    assert match_expression("AND( x") == '"AND(" "x"*'
    assert match_expression('" * - ( )') == ""
    assert match_expression("a\x00b") == '"a" "b"*'


def test_operators_in_the_input_are_words_not_syntax(kit: Kit) -> None:
    kit.add("E001", "p.pdf", pdf_bytes("The operational policy names AND OR NOT as words"))
    kit.add("E002", "q.pdf", pdf_bytes("The operational policy"))
    index = finished(kit.index())
    try:
        found = index.search("policy NOT").result(WAIT)
        assert [m.document.id for m in found.documents] == ["E001"]  # NOT is a word here
    finally:
        index.close()


def test_a_damaged_or_locked_pdf_is_skipped_and_listed(kit: Kit) -> None:
    kit.add("E001", "good.pdf", pdf_bytes("audit of transfusion"))
    kit.add("E002", "broken.pdf", b"%PDF-1.4\n% not really\n" + bytes(range(256)) * 40)
    kit.add("E003", "locked.pdf", encrypted_pdf("audit of secrets"))
    kit.add("E004", "sheet.xlsx", b"PK\x03\x04 not read")
    whole = pdf_bytes("audit of the middle")
    kit.add("E005", "cut.pdf", whole[: len(whole) // 2] + whole[-200:])  # its end is kept
    index = finished(kit.index())
    try:
        progress = index.progress()
        assert progress.finished and progress.done == progress.total == 5
        reasons = {doc.id: reason for doc, reason in progress.not_searchable}
        assert set(reasons) == {"E002", "E003", "E004", "E005"}
        assert reasons["E002"].startswith("it could not be read as a PDF (its end is missing")
        assert reasons["E005"].startswith("it could not be read as a PDF (")
        assert reasons["E003"] == "it is protected by a password"
        assert "XLSX" in reasons["E004"]
        assert progress.text() == "4 documents not searchable"
        assert "broken.pdf" in progress.details()
        assert [m.document.id for m in index.search("audit").result(WAIT).documents] == ["E001"]
    finally:
        index.close()


def test_word_and_csv_documents_are_searched(kit: Kit) -> None:
    kit.add("E001", "minutes.docx", docx_bytes("Minutes of the network meeting"))
    kit.add("E002", "rota.csv", "name,role\nAda,consultant haematologist\n".encode("cp1252"))
    index = finished(kit.index())
    try:
        assert [m.document.id for m in index.search("network").result(WAIT).documents] == ["E001"]
        assert index.search("dashboard").result(WAIT).page_count == 1  # in a table cell
        assert [m.document.id for m in index.search("haematol").result(WAIT).documents] == ["E002"]
    finally:
        index.close()


def test_a_document_indexed_once_is_never_read_again(kit: Kit, reads: list[str]) -> None:
    kit.add("E001", "a.pdf", pdf_bytes("first"))
    kit.add("E002", "b.pdf", pdf_bytes("second"))
    finished(kit.index()).close()
    assert reads == ["a.pdf", "b.pdf"]
    reads.clear()
    finished(kit.index()).close()
    assert reads == []
    # a re-issued kit: one file changed, one new, one gone: only the changed and new are read
    kit.add("E002", "b.pdf", pdf_bytes("second, revised"))
    kit.add("E003", "c.pdf", pdf_bytes("third"))
    kit.documents = [d for d in kit.documents if d.id != "E001"]
    index = finished(kit.index())
    try:
        assert reads == ["b.pdf", "c.pdf"]
        assert index.search("revised").result(WAIT).page_count == 1
        assert index.search("first").result(WAIT).page_count == 0  # E001 left the kit
    finally:
        index.close()


def test_stopping_part_way_resumes_where_it_stopped(kit: Kit, reads: list[str]) -> None:
    for i in range(1, 4):
        kit.add(f"E00{i}", f"{i}.pdf", pdf_bytes(f"page one of {i}", f"page two of {i}"))
    index = DocumentIndex(kit.folder, kit.documents, kit.blobs.path, key=TEST_KEY)
    real = doc_search.Reader.read

    def stop_in_the_second(self: doc_search.Reader, path: Path, name: str) -> tuple[str, object]:
        if name == "2.pdf":
            index._stop.set()  # what closing the visit does, in the middle of a document
        return real(self, path, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(doc_search.Reader, "read", stop_in_the_second)
        index.start()
        index.wait(WAIT)
        index.close()
    assert index.progress().done == 1 and not index.progress().finished
    with closing(
        encrypted_sqlite.connect(index_path(kit.folder), TEST_KEY)
    ) as conn:  # whole documents only
        assert conn.execute("SELECT count(*) FROM doc_files").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM doc_pages").fetchone() == (2,)
    reads.clear()
    index = finished(kit.index())
    try:
        assert reads == ["2.pdf", "3.pdf"]
        assert index.search("two").result(WAIT).page_count == 3
    finally:
        index.close()


KILLER = """
import os, sys
from pathlib import Path
from reviewer_app.visit import doc_search
from reviewer_app.visit.read_model import KitDocument
from storage import BlobStore
from tests.keys import TEST_KEY

folder = Path(sys.argv[1])
blobs = BlobStore(folder / "blobs", TEST_KEY)
docs = [KitDocument(f"E{i}", f"D{i}", f"{i}.pdf", sha, 0, ())
        for i, sha in enumerate(sys.argv[2:], start=1)]
real = doc_search.DocIndex.add_document
calls = []

def add_then_die(self, sha, pages):
    calls.append(sha)
    if len(calls) == 2:  # killed between the rows of the second document and its commit
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute("INSERT INTO doc_pages (sha256, page, text) VALUES (?, 1, 'x')", (sha,))
        os._exit(9)
    return real(self, sha, pages)

doc_search.DocIndex.add_document = add_then_die
index = doc_search.DocumentIndex(folder, docs, blobs.path, key=TEST_KEY)
index.start()
index.wait(60)
"""


def test_a_laptop_killed_mid_index_resumes(kit: Kit, reads: list[str]) -> None:
    for i in range(1, 4):
        kit.add(f"E{i}", f"{i}.pdf", pdf_bytes(f"killed document {i}"))
    shas = [d.sha256 for d in kit.documents]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", KILLER, str(kit.folder), *shas], check=False, cwd=root, timeout=120
    )
    assert done.returncode == 9
    stored = DocIndex.open(index_path(kit.folder), key=TEST_KEY)
    try:
        assert list(stored.known()) == [shas[0]]  # the half-written second one is not there
    finally:
        stored.close()
    index = finished(kit.index())
    try:
        assert reads == ["2.pdf", "3.pdf"]
        assert index.search("killed").result(WAIT).page_count == 3
    finally:
        index.close()


def test_a_search_while_indexing_says_it_is_partial(kit: Kit) -> None:
    kit.add("E001", "a.pdf", pdf_bytes("transfusion"))
    index = DocumentIndex(kit.folder, kit.documents, kit.blobs.path, key=TEST_KEY)  # not started
    try:
        results = index.search("transfusion").result(WAIT)  # starts it; may be done or not
        assert index.wait(WAIT)
        if results.page_count == 0:
            assert results.partial and "partial" in results.summary()
        assert not index.search("transfusion").result(WAIT).partial
    finally:
        index.close()


def test_a_damaged_index_file_is_made_again(kit: Kit) -> None:
    kit.add("E001", "a.pdf", pdf_bytes("transfusion"))
    finished(kit.index()).close()
    path = index_path(kit.folder)
    path.write_bytes(b"garbage" * 1000)
    index = finished(kit.index())
    try:
        assert index.search("transfusion").result(WAIT).page_count == 1
    finally:
        index.close()


def test_past_the_limit_the_pages_are_counted_not_shown(kit: Kit) -> None:
    for i in range(1, 4):
        kit.add(f"E00{i}", f"{i}.pdf", pdf_bytes(*(f"rota page {p}" for p in range(3))))
    index = finished(kit.index())
    try:
        results = index.search("rota", limit=5).result(WAIT)
        assert results.page_count == 5 and results.total_pages == 9
        assert "5 of 9 pages shown" in results.summary()
        assert index.search("rota").result(WAIT).total_pages == 9
    finally:
        index.close()


def test_an_index_from_a_newer_app_is_made_again(kit: Kit) -> None:
    kit.add("E001", "a.pdf", pdf_bytes("transfusion"))
    finished(kit.index()).close()
    with closing(open_index_file(kit)) as conn:
        conn.execute("PRAGMA user_version = 99")
    index = finished(kit.index())
    try:
        assert index.search("transfusion").result(WAIT).page_count == 1
    finally:
        index.close()
