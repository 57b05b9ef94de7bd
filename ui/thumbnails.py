"""Photo thumbnails for any list that shows photos: read off the UI thread, kept in memory.

Photos are sealed on disk; ``read_blob`` (``VisitSession.read_blob``) decrypts one into memory
and the thumbnail is made from those bytes. Thumbnails are never written to disk (a cache on
disk would have to be sealed too: ``storage.blob_crypto.encrypt_bytes``).

``Thumbnails.get(sha256)`` answers at once: the thumbnail if it has been read, else None, and
the reading starts on a worker; ``ready(sha256)`` says when it is there, so the list can draw it.
The standard's page (``ui.standard_lists``) and the lead's finding editor both use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QWidget

from ui.tasks import when_done

log = logging.getLogger(__name__)
_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thumbnails")


class Thumbnails(QObject):
    """Thumbnails ``height`` pixels high (sharp at ``widget``'s scale) of a visit's photos."""

    ready = Signal(str)  # the SHA-256 of a photo whose thumbnail can now be drawn

    def __init__(self, read_blob: Callable[[str], bytes], height: int, widget: QWidget) -> None:
        super().__init__(widget)
        self._read_blob = read_blob
        self._height = height
        self._widget = widget
        self._done: dict[str, QPixmap] = {}
        self._loading: set[str] = set()

    def count(self) -> int:
        """How many thumbnails have been read."""
        return len(self._done)

    def get(self, sha256: str) -> QPixmap | None:
        """The photo's thumbnail if read already; else start reading it (off the UI thread)."""
        if sha256 in self._done:
            return self._done[sha256]
        if sha256 and sha256 not in self._loading:
            self._loading.add(sha256)
            when_done(
                _reader.submit(self._read_blob, sha256),
                self,
                partial(self._read, sha256),
                partial(self._failed, sha256),
            )
        return None

    def _failed(self, sha256: str, exc: BaseException) -> None:
        self._loading.discard(sha256)
        log.warning("could not read photo %s: %s", sha256, exc)

    def _read(self, sha256: str, raw: bytes) -> None:
        self._loading.discard(sha256)
        pixmap = QPixmap()
        if pixmap.loadFromData(raw):
            ratio = self._widget.devicePixelRatioF()
            pixmap = pixmap.scaledToHeight(
                int(self._height * ratio), Qt.TransformationMode.SmoothTransformation
            )
            pixmap.setDevicePixelRatio(ratio)
            self._done[sha256] = pixmap
            self.ready.emit(sha256)
