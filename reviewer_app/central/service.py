"""The laptop and the central service: signing in, the outbox, and "Sync now" (no Qt).

The service's address is a setting (``central_url``); the token lives in the OS keyring under
:data:`KEYRING_SERVICE` with the URL as the user name. With no usable keyring (none, locked or
broken) the window keeps the token in its process's memory, and the command line, whose process
ends at once, takes it with each command (``--token-stdin`` or :data:`TOKEN_VARIABLE`, handed to
:func:`connect`); either way the user is told, and the token is never written to disk or to a
log. The sync centre window drives the same functions from a worker: :func:`sync_now` takes a
``progress(stage, done, total)`` callback, :func:`outbox_items` lists the outbox and
:func:`retry_item` queues a failed item again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import keyring

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.outbox import Outbox, OutboxError, OutboxItem, SendReport

log = logging.getLogger(__name__)

KEYRING_SERVICE = "reviewer-app-central"
TOKEN_VARIABLE = "REVIEWER_APP_TOKEN"  # the command line's token when there is no keyring
OUTBOX_FILE = "outbox.sqlite"
DOWNLOADS = "downloads"
Progress = Callable[[str, int, int], None]
ClientFactory = Callable[..., CentralClient]

_memory_tokens: dict[str, str] = {}  # when the OS has no keyring: this process only


class NotSignedIn(UserError):
    """No service, or no token for it, on this laptop."""


class NoKeyring(Exception):
    """The OS keyring cannot be asked: there is none, or it is locked or broken."""


SIGN_IN_FIRST = "Not signed in to a central service; run `reviewer-app central sign-in --url URL`."
GIVE_THE_TOKEN = (
    "This computer has no password store (keyring) to keep your token, so give it to each"
    " command: pipe it into `reviewer-app sync --token-stdin`, or set the environment variable"
    f" {TOKEN_VARIABLE}."
)


@dataclass(frozen=True, slots=True)
class SignIn:
    url: str
    user: str
    role: str
    in_keyring: bool
    message: str


@dataclass(frozen=True, slots=True)
class DownloadedKit:
    kit_id: str
    visit_id: str
    title: str
    member_id: str | None
    path: str


@dataclass(slots=True)
class SyncReport:
    url: str
    downloaded: list[DownloadedKit] = field(default_factory=list)
    kits_up_to_date: int = 0
    outbox: SendReport = field(default_factory=SendReport)
    visits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    offline: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.offline and not self.outbox.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "offline": self.offline,
            "message": self.message,
            "downloaded": [vars_of(k) for k in self.downloaded],
            "kits_up_to_date": self.kits_up_to_date,
            "outbox": self.outbox.to_dict(),
            "visits": self.visits,
        }

    def summary(self) -> list[str]:
        lines = [f"{len(self.downloaded)} kit(s) downloaded, {self.kits_up_to_date} up to date"]
        for kit in self.downloaded:
            lines.append(f"  kit for {kit.title}: {kit.path}")
        lines.append(
            f"{len(self.outbox.acknowledged)} snapshot(s) acknowledged, "
            f"{len(self.outbox.failed)} failed, {self.outbox.waiting} waiting"
        )
        for item in self.outbox.failed:
            lines.append(f"  version {item.version} of {item.visit_id}: {item.last_error}")
        for visit_id, subs in sorted(self.visits.items()):
            for s in subs:
                lines.append(f"visit {visit_id} version {s['version']}: {s['state']}")
                lines.extend(f"  {c['author']}: {c['text']}" for c in s.get("comments", []))
        if self.message:
            lines.append(self.message)
        return lines


def vars_of(kit: DownloadedKit) -> dict[str, Any]:
    return {
        "kit_id": kit.kit_id,
        "visit_id": kit.visit_id,
        "title": kit.title,
        "member_id": kit.member_id,
        "path": kit.path,
    }


# -- signing in -------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UserError(
            f"{url!r} is not a web address; give one like https://central.example.nhs.uk"
        )
    return url


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
        # The type only: a backend's message could quote what it was given.
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
    try:
        return kept_token(url)
    except NoKeyring:
        return None


def has_keyring() -> bool:
    """Whether the OS keyring answers a read (so a token stored now is there next time)."""
    try:
        keyring.get_password(KEYRING_SERVICE, "")
    except Exception as exc:
        log.info("no usable keyring (%s)", type(exc).__name__)
        return False
    return True


def sign_in(
    paths: AppPaths,
    url: str,
    token: str,
    *,
    client_factory: ClientFactory = CentralClient,
    keep_in_memory: bool = True,
) -> SignIn:
    """Check the token with the service, then keep it (keyring) and the URL (settings).

    With no keyring the URL is kept all the same; the token stays in this process's memory
    when ``keep_in_memory`` (the window) and is dropped otherwise (the command line, which
    takes it with each command); the message says which.
    """
    url = normalise_url(url)
    token = check_token(token)
    try:
        with client_factory(url, token, max_attempts=2) as client:
            me = client.me()
            name, role = str(me["name"]), str(me["role"])
    except httpx.InvalidURL as exc:
        raise UserError(
            f"{url!r} is not a usable web address; check it and sign in again."
        ) from exc
    except CentralUnavailable as exc:
        raise UserError(
            f"Cannot reach {url}; check the address and the network, then sign in again."
        ) from exc
    except CentralRefused as exc:
        if exc.status == 401:
            raise UserError(
                "The service did not accept that token; ask programme staff for a new one."
            ) from exc
        if exc.status == 404:
            raise not_a_service(url) from exc
        raise UserError(f"The service refused to sign you in: {exc.message}") from exc
    except (ValueError, KeyError, TypeError) as exc:  # it answered, but not as the service does
        raise not_a_service(url) from exc
    in_keyring = store_token(url, token, keep_in_memory=keep_in_memory)
    settings = Settings.shared(paths)
    settings.set("central_url", url)
    settings.save()
    message = f"Signed in to {url} as {name}."
    if in_keyring:
        message += " The token is kept in this computer's password store (keyring)."
    elif keep_in_memory:
        message += (
            " This computer has no password store (keyring), so the token is kept only while"
            " the app runs: you will need to sign in again next time."
        )
    else:
        message += (
            " This computer has no password store (keyring), so the token cannot be kept here"
            " (the address is): give it to each command, piped into"
            f" `reviewer-app sync --token-stdin` or in the environment variable {TOKEN_VARIABLE}."
        )
    return SignIn(url, name, role, in_keyring, message)


def not_a_service(url: str) -> UserError:
    return UserError(
        f"{url} answered, but it is not a Reviewer App central service; "
        "check the address programme staff gave you."
    )


def sign_out(paths: AppPaths) -> None:
    settings = Settings.shared(paths)
    url = settings.get("central_url")
    if url:
        _memory_tokens.pop(url, None)
        try:
            keyring.delete_password(KEYRING_SERVICE, url)
        except Exception as exc:  # not there, or no keyring: nothing to forget
            log.info("keyring: nothing removed (%s)", type(exc).__name__)
    settings.set("central_url", "")
    settings.save()


def signed_in_url(paths: AppPaths) -> str:
    url: str = Settings.shared(paths).get("central_url")
    return url


def connect(
    paths: AppPaths, *, token: str | None = None, client_factory: ClientFactory = CentralClient
) -> CentralClient:
    """A client for the service signed in to, with ``token`` when given (one command's own,
    used and dropped: the command line with no keyring), else the token kept on this laptop."""
    url = signed_in_url(paths)
    if not url:
        raise NotSignedIn(SIGN_IN_FIRST)
    if token is None:
        try:
            token = kept_token(url)
        except NoKeyring as exc:
            raise NotSignedIn(GIVE_THE_TOKEN) from exc
        if not token:
            raise NotSignedIn(SIGN_IN_FIRST)
    return client_factory(url, check_token(token))


# -- the outbox -------------------------------------------------------------------------------


def outbox_path(paths: AppPaths) -> Path:
    return paths.data / OUTBOX_FILE


def open_outbox(paths: AppPaths) -> Outbox:
    return Outbox(outbox_path(paths))


def enqueue_snapshot(
    paths: AppPaths, envelope: dict[str, Any], blob_files: Mapping[str, Path]
) -> OutboxItem:
    """Queue a finalised snapshot to be sent at the next sync (works offline; durable at once).

    ``blob_files`` maps each attachment's SHA-256 (photos and the rendered report) to its file.
    """
    with open_outbox(paths) as outbox:
        try:
            return outbox.enqueue(envelope, blob_files)
        except OutboxError as exc:
            raise UserError(str(exc)) from exc


def outbox_items(paths: AppPaths, visit_id: str | None = None) -> list[OutboxItem]:
    if not outbox_path(paths).exists():
        return []
    with open_outbox(paths) as outbox:
        return outbox.items(visit_id)


def retry_item(paths: AppPaths, snapshot_id: str) -> OutboxItem:
    """Queue a failed item again; the next sync sends it."""
    with open_outbox(paths) as outbox:
        try:
            return outbox.retry(snapshot_id)
        except KeyError as exc:
            raise UserError(f"There is no snapshot {snapshot_id} in the outbox.") from exc


# -- sync now ---------------------------------------------------------------------------------


def downloads_folder(paths: AppPaths) -> Path:
    return paths.data / DOWNLOADS


def _same_file(path: Path, sha: str) -> bool:
    if not path.is_file():
        return False
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest() == sha


def sync_now(
    paths: AppPaths, progress: Progress | None = None, *, client: CentralClient | None = None
) -> SyncReport:
    """Download assigned kits, send the outbox, and fetch each visit's state and comments.

    Unreachable service: the report says ``offline`` and the outbox keeps everything for the
    next sync. A token the service no longer accepts raises NotSignedIn.
    """
    own = client is None
    client = client or connect(paths)
    report = SyncReport(url=client.base_url)
    try:
        _sync(paths, client, report, progress or (lambda _s, _d, _t: None))
    except CentralUnavailable as exc:
        report.offline = True
        report.message = exc.message
    except CentralRefused as exc:
        if exc.status == 401:
            raise NotSignedIn(
                "The central service no longer accepts your token; sign in again."
            ) from exc
        raise UserError(f"The central service refused: {exc.message}") from exc
    finally:
        if own:
            client.close()
    return report


def _sync(paths: AppPaths, client: CentralClient, report: SyncReport, progress: Progress) -> None:
    kits = client.list_kits()
    folder = downloads_folder(paths)
    for n, kit in enumerate(kits):
        progress("Downloading kits", n, len(kits))
        dest = folder / f"{kit['kit_id']}.rvkit"
        if _same_file(dest, kit["sha256"]):
            report.kits_up_to_date += 1
            continue
        client.download_kit(kit["kit_id"], dest, kit["sha256"])
        report.downloaded.append(
            DownloadedKit(kit["kit_id"], kit["visit_id"], kit["title"], kit["member_id"], str(dest))
        )
    progress("Downloading kits", len(kits), len(kits))
    from reviewer_app.visit.workspaces import hand_over_every_visit  # noqa: PLC0415 (only to sync)

    hand_over_every_visit(paths)  # a version whose finalising was cut short goes too
    with open_outbox(paths) as outbox:
        report.outbox = outbox.send_all(client, progress, everything=True)
        visit_ids = {k["visit_id"] for k in kits} | {i.visit_id for i in outbox.items()}
    if report.outbox.offline:
        report.offline = True
        report.message = report.outbox.message
        return
    for n, visit_id in enumerate(sorted(visit_ids)):
        progress("Checking visits", n, len(visit_ids))
        try:
            report.visits[visit_id] = client.visit_status(visit_id)
        except CentralRefused as exc:
            if exc.status == 401:
                raise
            log.info("visit %s: %s", visit_id, exc.message)
    progress("Checking visits", len(visit_ids), len(visit_ids))
