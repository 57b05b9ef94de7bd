"""The laptop and the central service: signing in, the outbox, and "Sync now" (no Qt).

The service's address is a setting (``central_url``); the token lives in the OS keyring under
:data:`KEYRING_SERVICE` with the URL as the user name. With no usable keyring the token is kept
in this process's memory only, and the sign-in result says so: it is never written to disk or
to a log. The sync centre window drives the same functions from a worker: :func:`sync_now`
takes a ``progress(stage, done, total)`` callback, :func:`outbox_items` lists the outbox and
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

from reviewer_app.errors import UserError
from reviewer_app.paths import AppPaths
from reviewer_app.settings import Settings
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.outbox import Outbox, OutboxError, OutboxItem, SendReport

log = logging.getLogger(__name__)

KEYRING_SERVICE = "reviewer-app-central"
OUTBOX_FILE = "outbox.sqlite"
DOWNLOADS = "downloads"
Progress = Callable[[str, int, int], None]
ClientFactory = Callable[..., CentralClient]

_memory_tokens: dict[str, str] = {}  # when the OS has no keyring: this process only


class NotSignedIn(UserError):
    """No service, or no token for it, on this laptop."""


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


def store_token(url: str, token: str) -> bool:
    """Keep ``token`` for ``url``: True in the OS keyring, False in memory for this process."""
    try:
        keyring.set_password(KEYRING_SERVICE, url, token)
    except Exception as exc:  # NoKeyringError, a locked or broken keyring: all the same here
        log.warning(
            "no usable keyring (%s); the central token is kept in memory", type(exc).__name__
        )
        _memory_tokens[url] = token
        return False
    _memory_tokens.pop(url, None)
    return True


def load_token(url: str) -> str | None:
    if url in _memory_tokens:
        return _memory_tokens[url]
    try:
        return keyring.get_password(KEYRING_SERVICE, url)
    except Exception as exc:
        log.warning("cannot read the keyring (%s)", type(exc).__name__)
        return None


def sign_in(
    paths: AppPaths, url: str, token: str, *, client_factory: ClientFactory = CentralClient
) -> SignIn:
    """Check the token with the service, then keep it (keyring) and the URL (settings)."""
    url = normalise_url(url)
    token = token.strip()
    if not token:
        raise UserError("No token given; paste the token programme staff issued to you.")
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
    in_keyring = store_token(url, token)
    settings = Settings.shared(paths)
    settings.set("central_url", url)
    settings.save()
    message = f"Signed in to {url} as {name}."
    if not in_keyring:
        message += (
            " This computer has no password store (keyring), so the token is kept only while"
            " the app runs: you will need to sign in again next time."
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


def connect(paths: AppPaths, *, client_factory: ClientFactory = CentralClient) -> CentralClient:
    url = signed_in_url(paths)
    token = load_token(url) if url else None
    if not url or not token:
        raise NotSignedIn(
            "Not signed in to a central service; run `reviewer-app central sign-in --url URL`."
        )
    return client_factory(url, token)


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
    from reviewer_app.visits import hand_over_every_visit  # noqa: PLC0415 (only to sync)

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
