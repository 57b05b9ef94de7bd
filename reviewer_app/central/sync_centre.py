"""What the sync centre window shows and does, without Qt (the window runs these on a worker).

:mod:`reviewer_app.central.service` signs in and syncs; this module adds what a window needs on top:

- a remembered **status** (``data/central_status.json``): who I am on the service, when the last
  sync was, whether the service answered, the kits assigned to me and the service's state of
  each visit *from the last sync*, so the window shows them at once, offline, after a restart.
  Never the token: that stays in the keyring (or this process's memory).
- **quick clients**: ``CentralClient``'s defaults (6 attempts, 30 s timeout) make an unreachable
  service take a quarter of a minute to declare. A window must say "offline" in a few seconds,
  so :func:`sync` first asks ``/v1/me`` with a short timeout and two attempts; only when that
  answers does the real sync run (normal timeouts: a large photo on a slow hotel line must not
  be cut off), with fewer attempts than a script would make.
- outbox **rows** with the visit's title (from the snapshot itself) for the outbox table.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.central import service as central
from reviewer_app.central.service import NotSignedIn, Progress, SignIn, SyncReport, not_a_service
from reviewer_app.visit.workspaces import workspace_exists
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.outbox import OutboxItem, SendReport

log = logging.getLogger(__name__)

STATUS_FILE = "central_status.json"
QUICK_TIMEOUT = 2.5  # seconds: a probe of /v1/me; two attempts, so "offline" within ~5.5 s
ClientFactory = Callable[..., CentralClient]

quick_client: ClientFactory = functools.partial(
    CentralClient,
    timeout=QUICK_TIMEOUT,
    max_attempts=2,
    backoff_base=0.2,
    backoff_cap=0.5,
    max_retry_after=0.0,  # a busy service asking to wait is "not now" for a probe
)
sync_client: ClientFactory = functools.partial(
    CentralClient, max_attempts=3, backoff_cap=2.0, max_retry_after=5.0
)


@dataclass(frozen=True, slots=True)
class AssignedKit:
    """A kit the service assigned to me, as the last sync listed it."""

    kit_id: str
    visit_id: str
    title: str
    programme: str
    start_date: str
    member_id: str
    path: str
    downloaded: bool  # the file is in the downloads folder
    opened_here: bool  # a workspace for the visit exists on this laptop


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One finalised snapshot in the outbox, with the visit's title for people to read."""

    snapshot_id: str
    visit_id: str
    title: str
    version: int
    state: str
    attempts: int
    last_error: str
    receipt: dict[str, Any] | None
    retries_itself: bool  # failed because of the network: the next sync tries again

    @property
    def waits_for_person(self) -> bool:
        return self.state == "failed" and not self.retries_itself


@dataclass(slots=True)
class CentralStatus:
    """What the window's status line, kits list and server-state panel show."""

    url: str = ""
    signed_in: bool = False  # an address and a token on this laptop
    user: str = ""
    role: str = ""
    in_keyring: bool = True
    online: bool | None = None  # None: not asked since signing in
    last_contact_at: str = ""  # ISO UTC: the last time the service answered or did not
    last_sync_at: str = ""  # ISO UTC: the last sync that reached the service
    message: str = ""  # why the service is offline or refused, from the last contact
    kits: list[AssignedKit] = field(default_factory=list)
    visits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # visit_id -> title


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- the remembered status -----------------------------------------------------------------------


def status_path(paths: AppPaths) -> Path:
    return paths.data / STATUS_FILE


def _read(paths: AppPaths) -> dict[str, Any]:
    try:
        raw = json.loads(status_path(paths).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:  # damaged: the next contact writes it again
        log.warning("sync status unreadable (%s); starting afresh", exc)
        return {}
    return raw if isinstance(raw, dict) else {}


def _write(paths: AppPaths, values: dict[str, Any]) -> None:
    target = status_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(values, indent=1, sort_keys=True), "utf-8")
    os.replace(tmp, target)


def _remember(paths: AppPaths, url: str, **changes: Any) -> None:
    values = _read(paths)
    if values.get("url") != url:
        values = {"url": url}  # another service: what the old one said no longer applies
    values.update(changes)
    _write(paths, values)


def load_status(paths: AppPaths) -> CentralStatus:
    """The status as last remembered, and whether a token is here now (no network)."""
    url = central.signed_in_url(paths)
    values = _read(paths)
    if not url or values.get("url") != url:
        values = {}
    status = CentralStatus(
        url=url,
        signed_in=bool(url and central.load_token(url)),
        user=str(values.get("user", "")),
        role=str(values.get("role", "")),
        in_keyring=bool(values.get("in_keyring", True)),
        online=values.get("online"),
        last_contact_at=str(values.get("last_contact_at", "")),
        last_sync_at=str(values.get("last_sync_at", "")),
        message=str(values.get("message", "")),
        visits=dict(values.get("visits", {})),
    )
    folder = central.downloads_folder(paths)
    for kit in values.get("kits", []):
        # The name sync_now gives a downloaded kit (reviewer_app.central.service._sync).
        path = folder / f"{kit['kit_id']}.rvkit"
        status.kits.append(
            AssignedKit(
                kit_id=str(kit["kit_id"]),
                visit_id=str(kit["visit_id"]),
                title=str(kit.get("title", "")),
                programme=str(kit.get("programme", "")),
                start_date=str(kit.get("start_date", "")),
                member_id=str(kit.get("member_id") or ""),
                path=str(path),
                downloaded=path.is_file(),
                opened_here=workspace_exists(paths, str(kit["visit_id"])),
            )
        )
        status.titles.setdefault(str(kit["visit_id"]), str(kit.get("title", "")))
    for row in outbox_rows(paths):
        status.titles.setdefault(row.visit_id, row.title)
    return status


# -- signing in and out --------------------------------------------------------------------------


def sign_in(
    paths: AppPaths, url: str, token: str, *, client_factory: ClientFactory = quick_client
) -> SignIn:
    """:func:`reviewer_app.central.service.sign_in` with a quick client, remembering who I am."""
    result = central.sign_in(paths, url, token, client_factory=client_factory)
    _remember(
        paths,
        result.url,
        user=result.user,
        role=result.role,
        in_keyring=result.in_keyring,
        online=True,
        last_contact_at=now_iso(),
        message="",
    )
    return result


def sign_out(paths: AppPaths) -> None:
    """Forget the token and the address; the outbox and downloaded kits stay."""
    central.sign_out(paths)
    status_path(paths).unlink(missing_ok=True)


# -- talking to the service ----------------------------------------------------------------------


def _connect(paths: AppPaths, factory: ClientFactory) -> CentralClient:
    return central.connect(paths, client_factory=factory)


def _refused(paths: AppPaths, url: str, exc: CentralRefused, *, me: bool = False) -> UserError:
    if exc.status == 401:
        message = "The central service no longer accepts your token; sign in again."
        _remember(paths, url, online=True, last_contact_at=now_iso(), message=message)
        return NotSignedIn(message)
    if exc.status == 404 and me:
        return not_a_service(url)  # the service always knows /v1/me: this is not it
    return UserError(f"The central service refused: {exc.message}")


def check(paths: AppPaths, *, client_factory: ClientFactory = quick_client) -> CentralStatus:
    """Ask the service who I am (a few seconds at most) and remember whether it answered."""
    if not load_status(paths).signed_in:
        return load_status(paths)
    with _connect(paths, client_factory) as client:
        try:
            me = client.me()
        except CentralUnavailable as exc:
            _remember(
                paths, client.base_url, online=False, last_contact_at=now_iso(), message=exc.message
            )
        except CentralRefused as exc:
            raise _refused(paths, client.base_url, exc, me=True) from exc
        else:
            _remember(
                paths,
                client.base_url,
                user=str(me["name"]),
                role=str(me["role"]),
                online=True,
                last_contact_at=now_iso(),
                message="",
            )
    return load_status(paths)


def sync(
    paths: AppPaths,
    progress: Progress | None = None,
    *,
    quick_factory: ClientFactory = quick_client,
    client_factory: ClientFactory = sync_client,
) -> tuple[SyncReport, CentralStatus]:
    """Sync now for the window: offline is known within seconds and nothing queued is touched.

    Raises NotSignedIn (no token, or the service no longer accepts it) and UserError (the
    service refused). The report is :func:`reviewer_app.central.service.sync_now`'s.
    """
    offline = _probe(paths, quick_factory)
    if offline is not None:
        return offline, load_status(paths)
    with _connect(paths, client_factory) as client:
        try:
            report = central.sync_now(paths, progress, client=client)
            kits = None if report.offline else client.list_kits()
        except CentralUnavailable:  # the connection went after the sync itself
            kits = None
        except CentralRefused as exc:
            raise _refused(paths, client.base_url, exc) from exc
        changes: dict[str, Any] = {
            "online": not report.offline,
            "last_contact_at": now_iso(),
            "message": report.message,
        }
        if not report.offline:
            changes["last_sync_at"] = changes["last_contact_at"]
            visits = dict(_read(paths).get("visits", {}))
            visits.update(report.visits)
            changes["visits"] = visits
        if kits is not None:
            changes["kits"] = kits
        _remember(paths, client.base_url, **changes)
    return report, load_status(paths)


def _probe(paths: AppPaths, factory: ClientFactory) -> SyncReport | None:
    """An offline report when the service does not answer quickly; None when it does."""
    with _connect(paths, factory) as client:
        try:
            me = client.me()
        except CentralUnavailable as exc:
            _remember(
                paths, client.base_url, online=False, last_contact_at=now_iso(), message=exc.message
            )
            waiting = sum(1 for i in central.outbox_items(paths) if i.state != "acknowledged")
            outbox = SendReport(waiting=waiting, offline=True, message=exc.message)
            return SyncReport(client.base_url, outbox=outbox, offline=True, message=exc.message)
        except CentralRefused as exc:
            raise _refused(paths, client.base_url, exc, me=True) from exc
        _remember(paths, client.base_url, user=str(me["name"]), role=str(me["role"]))
    return None


# -- the outbox --------------------------------------------------------------------------------


def outbox_rows(paths: AppPaths) -> list[OutboxRow]:
    """Every outbox item, oldest first, titled with the visit it belongs to."""
    if not central.outbox_path(paths).exists():
        return []
    rows = []
    with central.open_outbox(paths) as outbox:
        for item in outbox.items():
            rows.append(_row(item, _title(outbox.envelope(item.snapshot_id))))
    return rows


def _title(envelope: dict[str, Any]) -> str:
    visit = envelope.get("findings", {}).get("visit", {})
    return str(visit.get("title", "")) if isinstance(visit, dict) else ""


def _row(item: OutboxItem, title: str) -> OutboxRow:
    return OutboxRow(
        snapshot_id=item.snapshot_id,
        visit_id=item.visit_id,
        title=title or item.visit_id,
        version=item.version,
        state=item.state,
        attempts=item.attempts,
        last_error=item.last_error,
        receipt=item.receipt,
        retries_itself=item.state == "failed" and item.next_attempt_at is not None,
    )


def retry(paths: AppPaths, snapshot_id: str) -> OutboxRow:
    """Queue a failed snapshot again (the next sync sends it)."""
    item = central.retry_item(paths, snapshot_id)
    with central.open_outbox(paths) as outbox:
        return _row(item, _title(outbox.envelope(snapshot_id)))
