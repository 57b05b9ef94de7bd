"""Errors a user can cause and put right, gathered in one place.

Each carries a message that says what is wrong and what to do. The CLI prints them as one line
(exit 2); the window shows them in a dialog. Anything else is a fault of ours: logged with its
traceback and reported politely once.
"""

from __future__ import annotations

import functools


class UserError(Exception):
    """A problem with what the user asked for; the message says how to put it right."""


@functools.cache
def user_error_types() -> tuple[type[BaseException], ...]:
    """Every error a user can cause. Imported on first use: the window starts without the kit
    and key machinery (cryptography, zip checks), and errors are rare."""
    # The imports are here on purpose (start-up time): see the docstring.
    from storage import (  # noqa: PLC0415
        NotAnImage,
        WorkspaceDamaged,
        WorkspaceKeyWrong,
        WorkspaceMissing,
    )
    from storage.blob_crypto import BlobCryptoError  # noqa: PLC0415
    from storage.encrypted_sqlite import EncryptionFailed, WrongKey  # noqa: PLC0415
    from storage.staff_store import StaffStoreError  # noqa: PLC0415
    from storage.visit_keys import VisitKeyError  # noqa: PLC0415
    from sync.bundle_format import BundleRefused  # noqa: PLC0415
    from sync.keys import KeyFileError  # noqa: PLC0415
    from sync.kit_builder import KitBuildError  # noqa: PLC0415
    from sync.kit_model import KitDataError  # noqa: PLC0415
    from sync.kit_reader import KitRefused  # noqa: PLC0415
    from sync.standards_import import InputFileError  # noqa: PLC0415

    return (
        UserError,
        KitRefused,
        BundleRefused,
        KitBuildError,
        KitDataError,
        KeyFileError,
        InputFileError,
        WorkspaceDamaged,
        WorkspaceMissing,
        WorkspaceKeyWrong,
        VisitKeyError,
        WrongKey,
        EncryptionFailed,
        BlobCryptoError,
        StaffStoreError,
        NotAnImage,
        FileNotFoundError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
    )


def is_user_error(exc: BaseException) -> bool:
    """True when ``exc`` is the user's to put right (its message says how)."""
    return isinstance(exc, user_error_types())
