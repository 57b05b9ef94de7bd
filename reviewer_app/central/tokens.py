"""Where this laptop keeps its central-service token (no Qt, no network).

The token lives in the OS keyring under :data:`KEYRING_SERVICE` with the service's URL as the
user name. With no usable keyring (none, locked or broken) the window keeps it in its process's
memory, and the command line, whose process ends at once, takes it with each command
(``--token-stdin`` or :data:`TOKEN_VARIABLE`). It is never written to disk or to a log: a
keyring backend's message could quote what it was given, so only the exception's type is logged.
"""

from __future__ import annotations

import logging

import keyring

from reviewer_app.app.errors import UserError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "reviewer-app-central"
TOKEN_VARIABLE = "REVIEWER_APP_TOKEN"  # the command line's token when there is no keyring

_memory_tokens: dict[str, str] = {}  # when the OS has no keyring: this process only


class NoKeyring(Exception):
    """The OS keyring cannot be asked: there is none, or it is locked or broken."""


def check_token(token: str) -> str:
    """``token`` without the spaces around it; UserError when it cannot be one (a token is
    printable ASCII). The message never repeats it."""
    token = token.strip()
    if not token:
        raise UserError("No token given; paste the token programme staff issued to you.")
    if not all("!" <= c <= "~" for c in token):
        raise UserError(
            "That is not a token (it has spaces or unusual characters in it); copy it again"
            " from what programme staff sent you."
        )
    return token


def store_token(url: str, token: str, *, keep_in_memory: bool = True) -> bool:
    """Keep ``token`` for ``url`` in the OS keyring: True. With no usable keyring, False, and
    the token is kept in this process's memory when ``keep_in_memory`` (the window), or not
    at all (a command, whose process is about to end)."""
    try:
        keyring.set_password(KEYRING_SERVICE, url, token)
    except Exception as exc:  # NoKeyringError, a locked or broken keyring: all the same here
        log.warning("no usable keyring (%s); the central token is not kept", type(exc).__name__)
        if keep_in_memory:
            _memory_tokens[url] = token
        return False
    _memory_tokens.pop(url, None)
    return True


def kept_token(url: str) -> str | None:
    """The token kept for ``url`` (this process's memory, then the keyring), None when the
    keyring has none. NoKeyring when there is no keyring to ask."""
    if url in _memory_tokens:
        return _memory_tokens[url]
    try:
        return keyring.get_password(KEYRING_SERVICE, url)
    except Exception as exc:  # NoKeyringError, a locked or broken keyring
        log.warning("cannot read the keyring (%s)", type(exc).__name__)
        raise NoKeyring(type(exc).__name__) from exc


def load_token(url: str) -> str | None:
    """:func:`kept_token`, with no keyring counted as no token."""
    try:
        return kept_token(url)
    except NoKeyring:
        return None


def forget_token(url: str) -> None:
    """Take the token for ``url`` out of memory and the keyring (nothing there is fine)."""
    _memory_tokens.pop(url, None)
    try:
        keyring.delete_password(KEYRING_SERVICE, url)
    except Exception as exc:  # not there, or no keyring: nothing to forget
        log.info("keyring: nothing removed (%s)", type(exc).__name__)


def has_keyring() -> bool:
    """Whether the OS keyring answers a read (so a token stored now is there next time)."""
    try:
        keyring.get_password(KEYRING_SERVICE, "")
    except Exception as exc:
        log.info("no usable keyring (%s)", type(exc).__name__)
        return False
    return True
