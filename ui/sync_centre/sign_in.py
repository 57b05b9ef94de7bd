"""Sign in to the central service: its address and the token programme staff issued.

The check with the service runs on a worker (a few seconds at most: a quick client) and its
answer comes back through ``ui.operations.TaskOp``, so the dialog stays responsive and says what
it is doing. A wrong address, an unreachable service or a refused token each give one sentence,
in the dialog itself (no message box), and what was typed stays for the user to correct. Success
says who the service knows me as, and whether the token is in the computer's password store or
kept only until the app closes (no keyring: told once, here).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.central.service import SignIn
from ui.dialogs.base import warning_colour
from ui.errors import error_message
from ui.operations import TaskOp
from ui.text_style import heading, muted

URL_HINT = "https://central.example.nhs.uk"


def who_text(result: SignIn) -> str:
    """The sentences shown once signed in."""
    where = (
        "Your token is kept in this computer's password store (keyring)."
        if result.in_keyring
        else "This computer has no password store (keyring), so your token is kept only until "
        "the app closes: you will need to sign in again next time."
    )
    return f"Signed in as {result.user} ({result.role}) at {result.url}.\n{where}"


class SignInDialog(QDialog):
    """Address and token in; ``result`` is the SignIn once the service has accepted them."""

    def __init__(self, parent: QWidget | None, paths: AppPaths, url: str = "") -> None:
        super().__init__(parent)
        self.paths = paths
        self.result_: SignIn | None = None
        self.busy = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sign-in")
        self.setWindowTitle("Sign in to the central service")
        self.setAccessibleName("Sign in to the central service")
        self._build(url)
        for box in (self.url, self.token):
            box.textChanged.connect(self._changed)
        self._changed()
        (self.token if url else self.url).setFocus()

    def _build(self, url: str) -> None:
        title = QLabel("Sign in to the central service", self)
        heading(title, 1.15)
        intro = QLabel(
            "Programme staff give you the service's address and a personal token. "
            "You need to sign in once on this laptop.",
            self,
        )
        intro.setWordWrap(True)
        muted(intro)
        self.url = QLineEdit(url, self)
        self.url.setAccessibleName("Service address")
        self.url.setPlaceholderText(URL_HINT)
        self.token = QLineEdit(self)
        self.token.setAccessibleName("Token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Paste the token programme staff gave you")
        form = QFormLayout()
        form.addRow("Service &address:", self.url)
        form.addRow("&Token:", self.token)
        self.message = QLabel(self)
        self.message.setAccessibleName("Sign-in result")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)
        self.working = QProgressBar(self)
        self.working.setRange(0, 0)
        self.working.setTextVisible(False)
        self.working.setAccessibleName("Checking with the service")
        self.working.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.working.setVisible(False)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok | cancel, self)
        self.ok_button = self.buttons.button(ok)
        self.ok_button.setText("&Sign in")
        self.ok_button.setAccessibleName("Sign in")
        self.cancel_button = self.buttons.button(cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.working)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.url.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 30)

    @property
    def signed_in(self) -> SignIn | None:
        return self.result_

    def _changed(self) -> None:
        if self.result_ is None:
            ready = bool(self.url.text().strip() and self.token.text().strip())
            self.ok_button.setEnabled(ready and not self.busy)

    # -- signing in ----------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Check the address and token with the service (on a worker); Done once signed in."""
        if self.result_ is not None:
            self.accept()
            return
        if self.busy or not self.ok_button.isEnabled():
            return
        self._set_busy(True)
        self._show("Checking with the service…", problem=False)
        url, token = self.url.text(), self.token.text()
        TaskOp(
            self,
            lambda _progress: self._pool.submit(central.sign_in, self.paths, url, token),
            what="sign in",
        ).success(self._signed_in).failure(self._failed, tell=False).run()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.working.setVisible(busy)
        for widget in (self.url, self.token, self.cancel_button):
            widget.setEnabled(not busy)
        self._changed()

    def _signed_in(self, result: SignIn) -> None:
        self.result_ = result
        self._set_busy(False)
        self.url.setEnabled(False)
        self.token.setEnabled(False)
        self.cancel_button.setVisible(False)
        self.ok_button.setText("&Done")
        self.ok_button.setAccessibleName("Done")
        self.ok_button.setEnabled(True)
        self.ok_button.setFocus()
        self._show(who_text(result), problem=False)  # no keyring: news, not a fault

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        text = error_message(exc)
        self._show(text, problem=True)
        (self.token if "token" in text.lower() else self.url).setFocus()

    def _show(self, text: str, *, problem: bool) -> None:
        self.message.setText(text)
        colour = warning_colour(self) if problem else "palette(window-text)"
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setVisible(True)
        self.adjustSize()  # a wrapped sentence of two or three lines: grow to show it all

    def reject(self) -> None:
        if not self.busy:  # a check under way finishes first (a few seconds at most)
            super().reject()

    def done(self, code: int) -> None:
        self._pool.shutdown(wait=False)
        super().done(code)

    @classmethod
    def ask(cls, parent: QWidget | None, paths: AppPaths, url: str = "") -> SignIn | None:
        """Sign in (the SignIn), or None when the user gave up."""
        dialog = cls(parent, paths, url)
        dialog.exec()
        result = dialog.result_
        dialog.deleteLater()
        return result

    def keyPressEvent(self, event: Any) -> None:
        if self.busy and event.key() == Qt.Key.Key_Escape:
            return
        super().keyPressEvent(event)
