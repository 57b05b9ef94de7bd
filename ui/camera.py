"""Taking a photo with the laptop's camera, when Qt Multimedia finds one.

Qt Multimedia is imported only when a camera is asked about: on a machine without its media
libraries (PulseAudio, GStreamer, FFmpeg) the import can fail, and then there is simply no
camera, never a crash. The dialog and the window call only ``camera_available()`` and
``capture_photo()``, which tests replace (there is no camera on a build machine).
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

JPEG_QUALITY = 95  # storage re-encodes; this only has to lose little on the way


def _multimedia() -> tuple[ModuleType, ModuleType] | None:
    """(QtMultimedia, QtMultimediaWidgets), or None when they cannot be loaded here."""
    try:
        from PySide6 import QtMultimedia, QtMultimediaWidgets  # noqa: PLC0415 - may fail to load
    except (ImportError, OSError) as exc:  # a missing system library surfaces as either
        log.info("no camera support: %s", exc)
        return None
    return QtMultimedia, QtMultimediaWidgets


def camera_names() -> list[str]:
    """The cameras Qt Multimedia sees (their descriptions), the default first."""
    modules = _multimedia()
    if modules is None:
        return []
    try:
        inputs = modules[0].QMediaDevices.videoInputs()
    except Exception:  # noqa: BLE001 - a broken media backend means "no camera"
        log.exception("listing cameras failed")
        return []
    return [device.description() for device in inputs]


def camera_available() -> bool:
    return bool(camera_names())


def encode(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, b"JPEG", JPEG_QUALITY)
    buffer.close()
    return bytes(data.data())


class CameraDialog(QDialog):
    """A live preview and a "Take the photo" button; ``photo`` holds the JPEG bytes taken."""

    def __init__(self, parent: QWidget | None, modules: tuple[ModuleType, ModuleType]) -> None:
        super().__init__(parent)
        mm, mmw = modules
        self.setWindowTitle("Take a photo")
        self.setAccessibleName("Take a photo")
        self.photo: bytes = b""
        self.preview: Any = mmw.QVideoWidget(self)
        self.preview.setAccessibleName("Camera preview")
        self.preview.setMinimumSize(480, 360)
        self.status = QLabel("No faces, names or NHS numbers in photos.", self)
        self.status.setAccessibleName("Camera status")
        self.status.setWordWrap(True)
        self.take = QPushButton("&Take the photo", self)
        self.take.setAccessibleName("Take the photo")
        self.take.setDefault(True)
        cancel = QPushButton("Cancel", self)
        cancel.setAccessibleName("Cancel")
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.take)
        row.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addLayout(row)
        self.camera: Any = mm.QCamera(mm.QMediaDevices.defaultVideoInput(), self)
        self.capture: Any = mm.QImageCapture(self)
        self.session: Any = mm.QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.session.setVideoOutput(self.preview)
        self.capture.imageCaptured.connect(self._captured)
        self.capture.errorOccurred.connect(lambda _id, _err, text: self._failed(text))
        self.camera.errorOccurred.connect(lambda _err, text: self._failed(text))
        self.take.clicked.connect(self._take)
        self.camera.start()

    def _take(self) -> None:
        if not self.capture.isReadyForCapture():
            self.status.setText("The camera is not ready yet; try again in a moment.")
            return
        self.take.setEnabled(False)
        self.capture.capture()

    def _captured(self, _id: int, image: QImage) -> None:
        self.photo = encode(image)
        self.camera.stop()
        self.accept()

    def _failed(self, text: str) -> None:
        self.take.setEnabled(True)
        self.status.setText(f"The camera reported a problem: {text or 'unknown'}.")
        self.status.setTextFormat(Qt.TextFormat.PlainText)

    def done(self, result: int) -> None:
        self.camera.stop()
        super().done(result)


def capture_photo(parent: QWidget | None) -> bytes | None:
    """Show the camera and return the photo taken (JPEG bytes), or None."""
    modules = _multimedia()
    if modules is None:
        return None
    dialog = CameraDialog(parent, modules)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.photo:
        return dialog.photo
    return None
