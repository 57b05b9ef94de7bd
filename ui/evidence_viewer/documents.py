"""The kit's documents as a list model, the viewer's messages and keys, and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QToolButton, QWidget

from reviewer_app.visit.read_model import KitDocument

Index = QModelIndex | QPersistentModelIndex
DOC_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FILTER_ROLE = Qt.ItemDataRole.UserRole + 2

# Keys inside the viewer (its own window, so they do not collide with the reviewer's window).
PREVIOUS_PAGE = ("PgUp",)
NEXT_PAGE = ("PgDown",)
ZOOM_IN = ("Ctrl++", "Ctrl+=")
ZOOM_OUT = ("Ctrl+-",)
FIT_WIDTH = ("Ctrl+0",)
FIND = ("Ctrl+F",)
NEXT_RESULT = ("F3", "Ctrl+G")
PREVIOUS_RESULT = ("Shift+F3", "Ctrl+Shift+G")
FILTER_DOCUMENTS = ("Ctrl+Shift+L",)  # (Ctrl+L locks, in every window of the app)

MISSING = "This document is missing from the workspace; open the visit's kit again to restore it."
DAMAGED = (
    "This document could not be read: the copy in the workspace may be damaged. "
    "Open the visit's kit again to restore it, or try the system viewer."
)
SEALED_DAMAGED = (
    "This document could not be read: its encrypted copy in the workspace is damaged. "
    "Open the visit's kit again to restore it."
)
NO_QTPDF = "The viewer inside the app needs Qt PDF, which is not installed on this computer."


def size_text(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def not_pdf_message(doc: KitDocument) -> str:
    kind = Path(doc.file).suffix.lstrip(".").upper() or "an unknown kind of"
    return f"“{doc.file}” is a {kind} file; the viewer inside the app shows PDFs only."


def tool_button(
    parent: QWidget, text: str, name: str, slot: Callable[[], Any], tip: str
) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    button.clicked.connect(lambda _checked=False: slot())
    return button


class Decrypts(Protocol):
    """What the copy needs of the visit's blob store (``storage.BlobStore``)."""

    def copy_to(self, sha256: str, dst: Path) -> None: ...


def copy_for_system_viewer(blobs: Decrypts, sha256: str, target: Path) -> Path:
    """Runs off the UI thread: the stored document, decrypted, under its own file name for the
    viewer. A plaintext copy in the app's cache, the price of another program showing it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    blobs.copy_to(sha256, target)
    return target


class DocumentsModel(QAbstractListModel):
    """The kit's evidence documents, in kit order: title, then id, size and standards linked."""

    def __init__(self, documents: list[KitDocument], parent: Any = None) -> None:
        super().__init__(parent)
        self._docs = list(documents)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._docs)

    def document(self, row: int) -> KitDocument:
        return self._docs[row]

    def row_of(self, doc_id: str) -> int:
        return next((i for i, d in enumerate(self._docs) if d.id == doc_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._docs):
            return None
        doc = self._docs[index.row()]
        linked = len(doc.standards)
        texts = {
            Qt.ItemDataRole.DisplayRole: (
                f"{doc.title}\n{doc.id} · {size_text(doc.size)} · "
                f"{linked} standard{'' if linked == 1 else 's'}"
            ),
            Qt.ItemDataRole.AccessibleTextRole: doc.title,
            Qt.ItemDataRole.ToolTipRole: (
                f"{doc.id} · {doc.file} · {size_text(doc.size)}\n"
                f"Standards: {', '.join(doc.standards) or 'none'}"
            ),
            DOC_ID_ROLE: doc.id,
            FILTER_ROLE: " ".join((doc.id, doc.title, doc.file, *doc.standards)),
        }
        return texts.get(role)
