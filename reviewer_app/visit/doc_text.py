"""The text of one evidence document, page by page, for the document index.

PDFs are read with pypdf (pure Python: below ui/ there is no Qt PDF), Word documents with
python-docx, and text and CSV files as they are (UTF-8, or Windows-1252 as Excel writes CSV).
A Word, text or CSV document is one "page". Anything else, or a file that cannot be read (a
damaged PDF, one protected by a password), raises ``NotSearchable`` with a reason a reviewer
can read ("it is protected by a password").
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

Source = Path | BinaryIO
"""A document: a file's path, or a seekable binary file object (a sealed blob decrypted as it
is read, ``storage.blob_crypto.open_decrypted``: no plaintext copy on disk)."""

PDF = ".pdf"
WORD = ".docx"
PLAIN = (".txt", ".csv", ".md")
KINDS = (PDF, WORD, *PLAIN)
TAIL_BYTES = 4096  # where a PDF's end-of-file marker must be

log = logging.getLogger(__name__)


class NotSearchable(Exception):
    """The document's text cannot be read; ``reason`` says why, as a phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def pages(path: Source, file_name: str) -> Iterator[str]:
    """The text of each page of the document stored at ``path`` (a path or a seekable binary
    file; ``file_name`` is its name in the kit: its extension says what it is). Raises
    ``NotSearchable``."""
    kind = Path(file_name).suffix.lower()
    if kind == PDF:
        yield from _pdf_pages(path)
    elif kind == WORD:
        yield _docx_text(path)
    elif kind in PLAIN:
        yield _plain_text(path)
    else:
        shown = kind.lstrip(".").upper() or "unknown"
        raise NotSearchable(
            f"it is a {shown} file: only PDF, Word, text and CSV files are searched"
        )


def _pdf_pages(path: Source) -> Iterator[str]:
    from pypdf import PdfReader  # noqa: PLC0415 (only the indexer needs it: keep start-up lean)

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings are about odd files
    _check_pdf_end(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise NotSearchable("it is protected by a password")
        count = len(reader.pages)
    except NotSearchable:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        raise NotSearchable(f"it could not be read as a PDF ({_short(exc)})") from exc
    for number in range(count):
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others
            log.warning("page %d of a PDF could not be read: %s", number + 1, exc)
            text = ""
        yield text


def read(path: Source, file_name: str) -> tuple[str, list[str] | str]:
    """``pages`` as plain data, for another process to send back: ``("pages", [text, ...])``,
    ``("skipped", reason)`` or ``("missing", "")``."""
    try:
        return "pages", list(pages(path, file_name))
    except NotSearchable as exc:
        return "skipped", exc.reason
    except FileNotFoundError:
        return "missing", ""


def _check_pdf_end(path: Source) -> None:
    """A PDF ends with its cross-reference pointer and ``%%EOF``. Without them pypdf rebuilds
    the whole file's table by scanning it in Python: seconds for a file that is usually damaged
    beyond use (cut short, or not a PDF at all). Such a file is not searched."""
    if isinstance(path, Path):
        with open(path, "rb") as fh:
            tail = _tail(fh)
    else:
        tail = _tail(path)
        path.seek(0)
    if b"startxref" not in tail and b"%%EOF" not in tail:
        raise NotSearchable(
            "it could not be read as a PDF (its end is missing: it may be cut short)"
        )


def _tail(fh: BinaryIO) -> bytes:
    fh.seek(0, io.SEEK_END)
    fh.seek(max(0, fh.tell() - TAIL_BYTES))
    return fh.read()


def _docx_text(path: Source) -> str:
    import docx  # noqa: PLC0415

    try:
        document = docx.Document(str(path) if isinstance(path, Path) else path)
    except Exception as exc:  # noqa: BLE001 - a damaged zip, a missing part...
        raise NotSearchable(f"it could not be read as a Word document ({_short(exc)})") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _plain_text(path: Source) -> str:
    data = path.read_bytes() if isinstance(path, Path) else path.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
