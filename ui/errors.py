"""The one function that tells the user something went wrong.

Errors a user can cause (``is_user_error``: a bad kit, a file that is not an image, a damaged
workspace) are expected: their message says what happened and what to do, and is shown as it
is. Anything else is a fault of ours: logged with its traceback and context, and the user gets
one polite sentence that says where the details are. Never a traceback on screen.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from reviewer_app.app.errors import is_user_error

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)

TITLE = "Reviewer App"


def log_file() -> str:
    """Where the log is written, for the user's message (the app sets up a file handler)."""
    for handler in logging.getLogger().handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return str(name)
    return "the app's log file"


def error_message(exc: BaseException, what: str = "") -> str:
    """The sentence the user sees for ``exc`` (logs it first when it is our fault)."""
    exc = _as_disk_full(exc)
    if is_user_error(exc):
        text = str(exc) or exc.__class__.__name__
        return f"Could not {what}: {text}" if what else text
    log.error("unexpected error%s", f" while trying to {what}" if what else "", exc_info=exc)
    doing = f" while trying to {what}" if what else ""
    return (
        f"Something went wrong{doing}. Your earlier work is safe.\n\n"
        f"The details are in {log_file()}; please pass them on to the review service."
    )


def _as_disk_full(exc: BaseException) -> BaseException:
    """A full disk, however it surfaced (SQLite, an OSError), as the sentence for it."""
    from reviewer_app.app.disk import disk_full_in  # noqa: PLC0415 (errors are rare)
    from reviewer_app.app.paths import AppPaths  # noqa: PLC0415

    full = disk_full_in(exc, AppPaths.from_environment().data)
    if full is None:
        return exc
    log.warning("disk full: %s", exc)
    return full


def told(exc: BaseException, what: str = "") -> tuple[str, bool]:
    """The user's sentence for ``exc`` and whether it is our fault; a fault is logged, once."""
    exc = _as_disk_full(exc)
    return error_message(exc, what), not is_user_error(exc)


def report_error(parent: QWidget | None, exc: BaseException, what: str = "") -> QMessageBox:
    """Show ``exc`` to the user once, in a window-modal message that does not block the caller."""
    text, fault = told(exc, what)
    return show_error(parent, text, fault=fault)


def show_error(parent: QWidget | None, text: str, *, fault: bool) -> QMessageBox:
    """Show a message already worked out by ``error_message`` (which logged it, if ``fault``)."""
    # PySide builds a Qt class's Python type when it is first named: QMessageBox's is left
    # until there is a message, so the window's start-up does not pay for it.
    from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415

    box = QMessageBox(parent)
    box.setWindowTitle(TITLE)
    box.setIcon(QMessageBox.Icon.Critical if fault else QMessageBox.Icon.Warning)
    box.setText(text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName("Error message")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
