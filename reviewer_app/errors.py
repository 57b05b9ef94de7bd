"""Errors a user can cause and put right, gathered in one place.

Each carries a message that says what is wrong and what to do. The CLI prints them as one line
(exit 2); the window shows them in a dialog. Anything else is a fault of ours: logged with its
traceback and reported politely once.
"""

from __future__ import annotations

from storage import NotAnImage, WorkspaceDamaged, WorkspaceMissing
from sync.keys import KeyFileError
from sync.kit_builder import KitBuildError
from sync.kit_model import KitDataError
from sync.kit_reader import KitRefused
from sync.standards_import import InputFileError


class UserError(Exception):
    """A problem with what the user asked for; the message says how to put it right."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    UserError,
    KitRefused,
    KitBuildError,
    KitDataError,
    KeyFileError,
    InputFileError,
    WorkspaceDamaged,
    WorkspaceMissing,
    NotAnImage,
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)
