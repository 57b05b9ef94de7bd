"""The central service's laptop side: signing in, the outbox, "Sync now", and what the sync
centre window remembers between them (no Qt).

Each operation is here once, for the window (which runs them on a worker) and the command line
alike: :func:`sign_in`, :func:`sign_out`, :func:`check`, :func:`sync`, :func:`outbox` and
:func:`retry`; finalisation queues a snapshot with :func:`enqueue_snapshot`. The service's
address is a setting (``central_url``); the token is kept by :mod:`reviewer_app.central.tokens`.

What the service said last is remembered (:mod:`reviewer_app.central.status`): who I am, the
last sync, whether the service answered, my kits and each visit's state on the service, so the
window shows them at once, offline, after a restart. Never the token.

**After the visit** (docs/after-the-visit.md). For each visit this laptop leads, every sync
fetches the provider's factual accuracy comments (``GET /v1/visits/{id}/accuracy``) and keeps
them (``reviewer_app.lead.accuracy.store_comments``) for the lead to answer; and when a version
finalised here is approved and has no final report yet, it makes the final report
(:mod:`reviewer_app.lead.final_report`: only while the workspace is unchanged since that
version), uploads its PDF and DOCX and registers them. What it could not do, and what the lead
must do about it, is in the report's ``to_do``.

**How long to wait.** ``CentralClient``'s defaults (6 attempts, 30 s timeout) make an
unreachable service take a quarter of a minute to declare. A window must say "offline" in a few
seconds, so by default :func:`sync` first asks ``/v1/me`` with a :data:`quick_client`; only when
that answers does the real sync run, with normal timeouts (a large photo on a slow hotel line
must not be cut off) and fewer attempts than a script would make. The command line passes its
own client (its own token, the patient defaults) and skips the probe.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import httpx

from reviewer_app.app.errors import UserError
from reviewer_app.app.keys import OUTBOX, laptop_key, visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.central.downloads import already_opened, file_sha256, kit_file
from reviewer_app.central.status import (
    AssignedKit,
    CentralStatus,
    forget,
    now_iso,
    remember,
    remembered,
)
from reviewer_app.central.tokens import (
    TOKEN_VARIABLE,
    NoKeyring,
    check_token,
    forget_token,
    kept_token,
    load_token,
    store_token,
)
from reviewer_app.visit.workspaces import workspace_exists
from storage.attachments import BlobStore
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.outbox import Outbox, OutboxError, OutboxItem, SendReport
from sync.progress import Progress, no_progress

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite"
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


class NotSignedIn(UserError):
    """No service, or no token for it, on this laptop."""


SIGN_IN_FIRST = "Not signed in to a central service; run `reviewer-app central sign-in --url URL`."
SIGN_IN_AGAIN = "The central service no longer accepts your token; sign in again."
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
    """Not a ``storage.records.Record``: a report for ``--json`` adding the computed ``ok``
    in its own key order, never read back."""

    url: str
    downloaded: list[DownloadedKit] = field(default_factory=list)
    kits_up_to_date: int = 0
    outbox: SendReport = field(default_factory=SendReport)
    visits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    offline: bool = False
    message: str = ""
    # After the visit: new provider comments per visit (those this sync brought), the final
    # reports uploaded ({"visit_id", "version", "snapshot_id"}), and what the lead must do.
    provider_comments: dict[str, int] = field(default_factory=dict)
    comments_held: dict[str, int] = field(default_factory=dict)  # all the service has now
    final_reports: list[dict[str, Any]] = field(default_factory=list)
    to_do: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.offline and not self.outbox.failed

    @property
    def new_comments(self) -> int:
        return sum(self.provider_comments.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "offline": self.offline,
            "message": self.message,
            "downloaded": [asdict(k) for k in self.downloaded],
            "kits_up_to_date": self.kits_up_to_date,
            "outbox": self.outbox.to_dict(),
            "visits": self.visits,
            "provider_comments": self.provider_comments,
            "comments_held": self.comments_held,
            "final_reports": self.final_reports,
            "to_do": self.to_do,
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
        for visit_id, n in sorted(self.provider_comments.items()):
            if n:
                lines.append(
                    f"visit {visit_id}: {n} new provider comment(s) on the factual accuracy; "
                    "answer each beside its finding or standard, then finalise the next version"
                )
        for done in self.final_reports:
            lines.append(
                f"visit {done['visit_id']} version {done['version']}: final report uploaded"
            )
        lines.extend(self.to_do)
        if self.message:
            lines.append(self.message)
        return lines


@dataclass(frozen=True, slots=True)
class OutboxRow(OutboxItem):
    """An outbox item with the visit's title (from the snapshot itself) for people to read."""

    title: str = ""

    @property
    def retries_itself(self) -> bool:
        """Failed because of the network: the next sync tries again."""
        return self.state == "failed" and self.next_attempt_at is not None


# -- the remembered status -----------------------------------------------------------------------


def load_status(paths: AppPaths) -> CentralStatus:
    """The status as last remembered, and whether a token is here now (no network)."""
    url = signed_in_url(paths)
    values = remembered(paths)
    if not url or values.get("url") != url:
        values = {}
    status = CentralStatus(
        url=url,
        signed_in=bool(url and load_token(url)),
        user=str(values.get("user", "")),
        role=str(values.get("role", "")),
        in_keyring=bool(values.get("in_keyring", True)),
        online=values.get("online"),
        last_contact_at=str(values.get("last_contact_at", "")),
        last_sync_at=str(values.get("last_sync_at", "")),
        message=str(values.get("message", "")),
        visits=dict(values.get("visits", {})),
        comments=_counts(values.get("comments")),
    )
    for kit in values.get("kits", []):
        path = kit_file(paths, str(kit["kit_id"]))
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
    for row in outbox(paths):
        status.titles.setdefault(row.visit_id, row.title)
    return status


def _counts(value: Any) -> dict[str, int]:
    """A remembered ``{visit_id: count}``; what is not one is left out."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int)}


# -- signing in and out --------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UserError(
            f"{url!r} is not a web address; give one like https://central.example.nhs.uk"
        )
    return url


def sign_in(
    paths: AppPaths,
    url: str,
    token: str,
    *,
    client_factory: ClientFactory = quick_client,
    keep_in_memory: bool = True,
) -> SignIn:
    """Check the token with the service, then keep it (keyring), the URL (settings) and who I
    am (the remembered status).

    With no keyring the URL is kept all the same; the token stays in this process's memory
    when ``keep_in_memory`` (the window) and is dropped otherwise (the command line, which
    takes it with each command); the message says which.
    """
    url = normalise_url(url)
    token = check_token(token)
    name, role = _who_am_i(url, token, client_factory)
    in_keyring = store_token(url, token, keep_in_memory=keep_in_memory)
    settings = Settings.shared(paths)
    settings.set("central_url", url)
    settings.save()
    remember(
        paths,
        url,
        user=name,
        role=role,
        in_keyring=in_keyring,
        online=True,
        last_contact_at=now_iso(),
        message="",
    )
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


def _who_am_i(url: str, token: str, client_factory: ClientFactory) -> tuple[str, str]:
    """(name, role) the service knows ``token`` by; a UserError saying what to put right."""
    try:
        with client_factory(url, token, max_attempts=2) as client:
            me = client.me()
            return str(me["name"]), str(me["role"])
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


def not_a_service(url: str) -> UserError:
    return UserError(
        f"{url} answered, but it is not a Reviewer App central service; "
        "check the address programme staff gave you."
    )


def sign_out(paths: AppPaths) -> None:
    """Forget the token, the address and what the service said; the outbox and downloaded
    kits stay."""
    settings = Settings.shared(paths)
    url = settings.get("central_url")
    if url:
        forget_token(url)
    settings.set("central_url", "")
    settings.save()
    forget(paths)


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


def _refused(paths: AppPaths, url: str, exc: CentralRefused, *, me: bool = False) -> UserError:
    if exc.status == 401:
        remember(paths, url, online=True, last_contact_at=now_iso(), message=SIGN_IN_AGAIN)
        return NotSignedIn(SIGN_IN_AGAIN)
    if exc.status == 404 and me:
        return not_a_service(url)  # the service always knows /v1/me: this is not it
    return UserError(f"The central service refused: {exc.message}")


def check(paths: AppPaths, *, client_factory: ClientFactory = quick_client) -> CentralStatus:
    """Ask the service who I am (a few seconds at most) and remember whether it answered."""
    if load_status(paths).signed_in:
        _probe(paths, client_factory)
    return load_status(paths)


def _probe(paths: AppPaths, factory: ClientFactory) -> SyncReport | None:
    """Ask who I am and remember the answer: an offline report when the service does not
    answer, None when it does."""
    with connect(paths, client_factory=factory) as client:
        try:
            me = client.me()
        except CentralUnavailable as exc:
            remember(
                paths, client.base_url, online=False, last_contact_at=now_iso(), message=exc.message
            )
            outbox = SendReport(waiting=_waiting(paths), offline=True, message=exc.message)
            return SyncReport(client.base_url, outbox=outbox, offline=True, message=exc.message)
        except CentralRefused as exc:
            raise _refused(paths, client.base_url, exc, me=True) from exc
        remember(
            paths,
            client.base_url,
            user=str(me["name"]),
            role=str(me["role"]),
            online=True,
            last_contact_at=now_iso(),
            message="",
        )
    return None


# -- the outbox -------------------------------------------------------------------------------


def outbox_path(paths: AppPaths) -> Path:
    return paths.data / OUTBOX_FILE


def open_outbox(paths: AppPaths) -> Outbox:
    """The laptop's sending queue, encrypted with its own key (``keys.OUTBOX``); what it sends
    is read from each visit's sealed blob store."""

    def blobs(visit_id: str) -> BlobStore:
        return BlobStore(paths.visit_folder(visit_id) / "blobs", visit_key(paths, visit_id))

    return Outbox(outbox_path(paths), key=laptop_key(paths, OUTBOX), blobs=blobs)


def enqueue_snapshot(
    paths: AppPaths, envelope: dict[str, Any], blob_files: Mapping[str, Path]
) -> OutboxItem:
    """Queue a finalised snapshot to be sent at the next sync (works offline; durable at once).

    ``blob_files`` maps each attachment's SHA-256 (photos and the rendered report) to its file.
    """
    with open_outbox(paths) as box:
        try:
            return box.enqueue(envelope, blob_files)
        except OutboxError as exc:
            raise UserError(str(exc)) from exc


def outbox(paths: AppPaths) -> list[OutboxRow]:
    """Every outbox item, oldest first, titled with the visit it belongs to."""
    if not outbox_path(paths).exists():
        return []
    with open_outbox(paths) as box:
        return [_row(box, item) for item in box.items()]


def _waiting(paths: AppPaths) -> int:
    if not outbox_path(paths).exists():
        return 0
    with open_outbox(paths) as box:
        return sum(1 for i in box.items() if i.state != "acknowledged")


def _row(box: Outbox, item: OutboxItem) -> OutboxRow:
    visit = box.envelope(item.snapshot_id).get("findings", {}).get("visit", {})
    title = str(visit.get("title", "")) if isinstance(visit, dict) else ""
    values = {f.name: getattr(item, f.name) for f in fields(item)}
    return OutboxRow(**values, title=title or item.visit_id)


def retry(paths: AppPaths, snapshot_id: str) -> OutboxRow:
    """Queue a failed snapshot again; the next sync sends it."""
    with open_outbox(paths) as box:
        try:
            return _row(box, box.retry(snapshot_id))
        except KeyError as exc:
            raise UserError(f"There is no snapshot {snapshot_id} in the outbox.") from exc


# -- sync now ---------------------------------------------------------------------------------


def sync(
    paths: AppPaths,
    progress: Progress | None = None,
    *,
    client: CentralClient | None = None,
    quick_factory: ClientFactory = quick_client,
    client_factory: ClientFactory = sync_client,
) -> SyncReport:
    """Download assigned kits, send the outbox, fetch each visit's state and comments, and
    remember what the service said.

    With no ``client`` (the window), the service is first asked who I am with a
    ``quick_factory`` client, so an unreachable one is reported within seconds and nothing
    queued is touched; then the sync runs with a ``client_factory`` client. A ``client`` given
    (the command line, with its own token) is used at once and left open.

    Unreachable service: the report says ``offline`` and the outbox keeps everything for the
    next sync. A token the service no longer accepts raises NotSignedIn; another refusal a
    UserError.
    """
    own = client is None
    if client is None:
        offline = _probe(paths, quick_factory)
        if offline is not None:
            return offline
        client = connect(paths, client_factory=client_factory)
    report = SyncReport(url=client.base_url)
    kits: list[dict[str, Any]] | None = None
    try:
        kits = _sync(paths, client, report, progress or no_progress)
    except CentralUnavailable as exc:
        report.offline = True
        report.message = exc.message
    except CentralRefused as exc:
        raise _refused(paths, client.base_url, exc) from exc
    finally:
        if own:
            client.close()
    _remember_sync(paths, report, None if report.offline else kits)
    return report


def _sync(
    paths: AppPaths, client: CentralClient, report: SyncReport, progress: Progress
) -> list[dict[str, Any]]:
    """The sync itself; the service's list of the kits assigned to me."""
    kits = client.list_kits()
    for n, kit in enumerate(kits):
        progress(n, len(kits), "Downloading kits")
        dest = kit_file(paths, kit["kit_id"])
        if file_sha256(dest) == kit["sha256"] or (  # here, or opened here and removed
            workspace_exists(paths, kit["visit_id"])
            and already_opened(paths, kit["kit_id"], kit["sha256"])
        ):
            report.kits_up_to_date += 1
            continue
        client.download_kit(kit["kit_id"], dest, kit["sha256"])
        report.downloaded.append(
            DownloadedKit(kit["kit_id"], kit["visit_id"], kit["title"], kit["member_id"], str(dest))
        )
    progress(len(kits), len(kits), "Downloading kits")
    from reviewer_app.visit.workspaces import hand_over_every_visit  # noqa: PLC0415 (only to sync)

    hand_over_every_visit(paths)  # a version whose finalising was cut short goes too
    with open_outbox(paths) as box:
        report.outbox = box.send_all(client, progress, everything=True)
        visit_ids = {k["visit_id"] for k in kits} | {i.visit_id for i in box.items()}
    if report.outbox.offline:
        report.offline = True
        report.message = report.outbox.message
        return kits
    for n, visit_id in enumerate(sorted(visit_ids)):
        progress(n, len(visit_ids), "Checking visits")
        try:
            report.visits[visit_id] = client.visit_status(visit_id)
        except CentralRefused as exc:
            if exc.status == 401:
                raise
            log.info("visit %s: %s", visit_id, exc.message)
    progress(len(visit_ids), len(visit_ids), "Checking visits")
    _after_the_visit(paths, client, report, progress)
    return kits


def _after_the_visit(
    paths: AppPaths, client: CentralClient, report: SyncReport, progress: Progress
) -> None:
    """For each visit this laptop leads: keep the provider's comments; make and upload the
    final report of an approved version that has none."""
    from reviewer_app.lead import final_report  # noqa: PLC0415 (only to sync)

    led = final_report.led_visits(paths)
    for n, (visit_id, file) in enumerate(led):
        progress(n, len(led), "Fetching the provider's comments")
        fetched = _fetch_comments(paths, client, visit_id)
        if fetched is not None:
            report.provider_comments[visit_id], report.comments_held[visit_id] = fetched
        subs = report.visits.get(visit_id)
        if subs is None:  # not fetched above (this visit's findings were never sent)
            continue
        found = final_report.approved_version(subs)
        if found is None or found[0].get("final_report"):
            continue
        progress(n, len(led), "Making the final report")
        if _upload_final_report(paths, client, report, (visit_id, file), found):
            report.visits[visit_id] = client.visit_status(visit_id)
    progress(len(led), len(led), "Fetching the provider's comments")


def _fetch_comments(
    paths: AppPaths, client: CentralClient, visit_id: str
) -> tuple[int, int] | None:
    """Fetch and keep the visit's provider comments; (how many are new here, how many there
    are); None when the service would not say (one without the accuracy round, or I am not
    this visit's lead)."""
    from reviewer_app.lead import accuracy  # noqa: PLC0415

    try:
        payload = client.accuracy_comments(visit_id)
    except CentralRefused as exc:
        if exc.status == 401:
            raise
        log.info("visit %s: no provider comments fetched: %s", visit_id, exc.message)
        return None
    known = {c.comment_id for c in accuracy.load_comments(paths, visit_id).comments}
    accuracy.store_comments(paths, visit_id, payload if isinstance(payload, dict) else {})
    now = accuracy.load_comments(paths, visit_id).comments
    return sum(1 for c in now if c.comment_id not in known), len(now)


def _upload_final_report(
    paths: AppPaths,
    client: CentralClient,
    report: SyncReport,
    visit: tuple[str, Path],
    found: tuple[dict[str, Any], Any],
) -> bool:
    """Make (or find) the approved version's final report, push its files, register them;
    False, with what the lead must do in ``report.to_do``, when it cannot be made here."""
    from reviewer_app.lead import final_report  # noqa: PLC0415
    from reviewer_app.visit.workspaces import open_workspace  # noqa: PLC0415
    from storage import WorkspaceError  # noqa: PLC0415

    visit_id, file = visit
    sub, approval = found
    snapshot_id = str(sub["snapshot_id"])
    try:
        with open_workspace(paths, file, backup=False) as ws:
            made = final_report.make_final_report(ws, snapshot_id, approval, paths=paths)
    except UserError as exc:  # changed since, or not finalised here
        report.to_do.append(str(exc))
        return False
    except (WorkspaceError, OSError) as exc:
        report.to_do.append(
            f"The final report of version {sub.get('version')} could not be made: {exc}"
        )
        return False
    # The plaintext (the service checks its SHA-256), two at a time as the outbox sends.
    client.push_blobs([(sha, functools.partial(made.store.open, sha)) for sha in made.hashes()])
    body = made.body()
    try:
        client.put_final_report(snapshot_id, body["pdf"], body["docx"])
    except CentralRefused as exc:
        if exc.status == 401:
            raise
        report.to_do.append(
            f"The service did not take the final report of version {made.version}: {exc.message}"
        )
        return False
    report.final_reports.append(
        {"visit_id": visit_id, "version": made.version, "snapshot_id": snapshot_id}
    )
    return True


def _remember_sync(paths: AppPaths, report: SyncReport, kits: list[dict[str, Any]] | None) -> None:
    changes: dict[str, Any] = {
        "online": not report.offline,
        "last_contact_at": now_iso(),
        "message": report.message,
    }
    if not report.offline:
        changes["last_sync_at"] = changes["last_contact_at"]
        visits = dict(remembered(paths).get("visits", {}))
        visits.update(report.visits)
        changes["visits"] = visits
        comments = dict(remembered(paths).get("comments", {}))
        comments.update(report.comments_held)
        changes["comments"] = comments
    if kits is not None:
        changes["kits"] = kits
    remember(paths, report.url, **changes)
