"""A photo from a file or the camera, with an optional caption.

The bytes are handed on as they are: storage re-encodes every photo (upright, no EXIF or GPS,
size capped). The camera is behind ``ui.camera`` so that tests can stand in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ui import camera, file_dialogs
from ui.dialogs.base import (
    FormDialog,
    bold,
)

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.bmp *.gif *.tif *.tiff);;All files (*)"
MAX_PHOTO_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class PhotoInput:
    data: bytes
    caption: str


class PhotoDialog(FormDialog):
    """A photo from a file or the camera, with an optional caption. Storage re-encodes it."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent, "Add a photo")
        self.noun = "photo"
        self.photo: bytes = b""
        self.reminder = QLabel("No faces, names or NHS numbers in photos.", self)
        self.reminder.setAccessibleName("Reminder")
        bold(self.reminder)
        self.from_file = QPushButton("From a &file…", self)
        self.from_file.setAccessibleName("Choose a photo from a file")
        self.from_file.clicked.connect(self.choose_file)
        self.take = QPushButton("&Take a photo", self)
        self.take.setAccessibleName("Take a photo with the camera")
        self.take.clicked.connect(self.take_photo)
        if not camera.camera_available():
            self.take.setEnabled(False)
            self.take.setToolTip("No camera found")
        buttons = QHBoxLayout()
        buttons.addWidget(self.from_file)
        buttons.addWidget(self.take)
        buttons.addStretch(1)
        self.preview = QLabel("No photo yet", self)
        self.preview.setAccessibleName("Photo preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(QSize(360, 240))
        self.preview.setStyleSheet("border: 1px solid palette(mid); border-radius: 4px;")
        self.caption = QLineEdit(self)
        self.caption.setAccessibleName("Caption")
        self.caption.setPlaceholderText("Optional: what the photo shows")
        self.body.addWidget(self.reminder)
        self.body.addLayout(buttons)
        self.body.addWidget(self.preview, 1)
        self.form.addRow("&Caption:", self.caption)
        self.validate()

    def has_changes(self) -> bool:
        return bool(self.photo) or super().has_changes()

    def problem(self) -> str:
        return "" if self.photo else "Choose a photo from a file, or take one."

    def set_photo(self, data: bytes) -> bool:
        """Show ``data`` if it is an image; False (and a hint) when it is not."""
        image = QImage.fromData(data)
        if image.isNull():
            self.validate()
            self.hint.setText("That file is not a picture this app can read. Choose a photo.")
            return False
        self.photo = data
        shown = QPixmap.fromImage(image).scaled(
            self.preview.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.preview.setPixmap(shown)
        self.validate()
        return True

    def choose_file(self) -> None:
        path = file_dialogs.ask_open_file(self, file_dialogs.PHOTO, "Choose a photo", IMAGE_FILTER)
        if path is None:
            return
        try:
            if path.stat().st_size > MAX_PHOTO_BYTES:
                self.hint.setText("That file is too big for a photo (more than 50 MB).")
                return
            data = path.read_bytes()  # the reviewer's own file, not the workspace
        except OSError as exc:
            self.hint.setText(f"Could not read that file: {exc.strerror or exc}.")
            return
        self.set_photo(data)

    def take_photo(self) -> None:
        data = camera.capture_photo(self)
        if data:
            self.set_photo(data)

    def value(self) -> PhotoInput:
        return PhotoInput(data=self.photo, caption=self.caption.text().strip())

    @classmethod
    def ask(cls, parent: QWidget | None) -> PhotoInput | None:
        dialog = cls(parent)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
