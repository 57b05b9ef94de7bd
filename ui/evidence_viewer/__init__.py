"""The evidence viewer: the kit's documents, read inside the app and searchable.

``EvidenceViewer(session)`` is the window (``window.py``); ``documents.py`` holds the list of
the kit's documents and the messages; ``search.py`` the search within a PDF.
"""

from __future__ import annotations

from ui.evidence_viewer.documents import DAMAGED, MISSING, NO_QTPDF, DocumentsModel
from ui.evidence_viewer.window import HAVE_PDF, EvidenceViewer

__all__ = ["DAMAGED", "HAVE_PDF", "MISSING", "NO_QTPDF", "DocumentsModel", "EvidenceViewer"]
