"""Publishing a built kit to the central service, and assigning it to the team (headless).

Staff sign in once (``reviewer-app central sign-in``, the same token store the reviewers use);
publishing then runs on a worker: check the sign-in is a staff one, make sure the service
trusts the organisation's public key (sent when the caller has it: trusting a key is idempotent
and staff-only), upload the kit, and assign it to a central user for each team member the staff
named (``member_id -> user name``, remembered in the plan as ``central_users``). Reviewers then
find the kit with "Sync now".

Every failure a person can put right becomes a ``UserError`` whose one sentence says what to do:
not signed in, offline, a token the service no longer takes (401), a reviewer's token (403),
a kit signed with a key the service does not trust, a user name the service does not know.
Assignments are independent: one unknown user does not undo the upload or the others; the
result lists what failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.central.service import NotSignedIn, connect
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.progress import Progress, no_progress

STAGE_SIGN_IN = "Checking your sign-in"
STAGE_KEY = "Making sure the service trusts the signing key"
STAGE_UPLOAD = "Uploading the kit"
STAGE_ASSIGN = "Assigning the kit to the team"


@dataclass(slots=True)
class PublishResult:
    url: str
    user: str
    kit_id: str
    visit_id: str
    assigned: list[tuple[str, str]] = field(default_factory=list)  # (member_id, user)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (member_id, user, why)
    skipped: list[str] = field(default_factory=list)  # member ids with no central user

    def lines(self, names: Mapping[str, str] | None = None) -> list[str]:
        """What happened, for a person; ``names``: member id -> name, to say who."""
        who = names or {}

        def name(member: str) -> str:
            return who.get(member, member)

        out = [f"Published kit {self.kit_id[:8]} to {self.url}."]
        if self.assigned:
            people = ", ".join(f"{name(m)} as {u}" for m, u in self.assigned)
            out.append(f"Assigned to {len(self.assigned)}: {people}.")
        out += [f"Not assigned to {name(m)} ({u}): {why}" for m, u, why in self.failed]
        if self.skipped:
            out.append(
                f"Not assigned yet (no central user named): "
                f"{', '.join(name(m) for m in self.skipped)}."
            )
        return out


def clean_assignments(
    assignments: Mapping[str, str], team: list[str]
) -> tuple[dict[str, str], list[str]]:
    """(member -> user for the team members with a user name, members left without one)."""
    chosen = {m: u.strip() for m, u in assignments.items() if m in team and u.strip()}
    return chosen, [m for m in team if m not in chosen]


def publish_kit(  # noqa: PLR0913
    path: Path,
    assignments: Mapping[str, str],
    *,
    paths: AppPaths | None = None,
    client: CentralClient | None = None,
    team: list[str] | None = None,
    public_key_pem: bytes | None = None,
    progress: Progress | None = None,
) -> PublishResult:
    """Upload the kit at ``path`` and assign it (``member_id -> central user name``).

    ``client``: a signed-in client (else the one
    ``reviewer_app.central.service.connect(paths)`` makes,
    closed afterwards). ``team``: every member id of the kit's team, so those with no user are
    listed as skipped. ``public_key_pem``: the signing key's public half, sent first so the
    service will accept the kit. Runs on a worker: it reads the kit and talks to the network.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"The kit file {path} is not there any more; build the kit again.")
    step = progress or no_progress
    step(0, 1, STAGE_SIGN_IN)
    own = client is None
    if client is None:
        if paths is None:
            raise NotSignedIn("Not signed in to a central service.")
        client = connect(paths)
    try:
        return _publish(client, path, assignments, team, public_key_pem, step)
    except CentralUnavailable as exc:
        raise UserError(
            f"Cannot reach the central service at {client.base_url}: check the network and "
            f"publish again. The kit is saved at {path}."
        ) from exc
    except CentralRefused as exc:
        raise _refused(exc, client.base_url) from exc
    finally:
        if own:
            client.close()


def _publish(  # noqa: PLR0913, PLR0917
    client: CentralClient,
    path: Path,
    assignments: Mapping[str, str],
    team: list[str] | None,
    public_key_pem: bytes | None,
    step: Progress,
) -> PublishResult:
    me = client.me()
    if me.get("role") != "staff":
        raise UserError(
            f"You are signed in to {client.base_url} as {me.get('name')}, a reviewer: only "
            "programme staff can publish kits. Sign in with a staff token, then publish again."
        )
    if public_key_pem:
        step(0, 1, STAGE_KEY)
        client.trust_key(public_key_pem)
    step(0, 1, STAGE_UPLOAD)
    try:
        listing = client.upload_kit(path)
    except CentralRefused as exc:
        if exc.status == 422:
            hint = (
                ""
                if public_key_pem
                else " Build the kit again in this window with the organisation's key: the app "
                "then sends the key's public half with it."
            )
            raise UserError(f"The central service refused the kit: {exc.message}{hint}") from exc
        raise
    chosen, skipped = clean_assignments(assignments, team or list(assignments))
    result = PublishResult(
        url=client.base_url,
        user=str(me.get("name", "")),
        kit_id=str(listing["kit_id"]),
        visit_id=str(listing.get("visit_id", "")),
        skipped=skipped,
    )
    for n, (member, user) in enumerate(sorted(chosen.items())):
        step(n, len(chosen), STAGE_ASSIGN)
        try:
            client.assign(result.kit_id, user, member)
        except CentralRefused as exc:
            if exc.status in (401, 403):
                raise
            result.failed.append((member, user, exc.message))
        else:
            result.assigned.append((member, user))
    step(len(chosen), len(chosen), STAGE_ASSIGN)
    return result


def _refused(exc: CentralRefused, url: str) -> UserError:
    if exc.status == 401:
        return NotSignedIn(
            f"The central service at {url} no longer accepts your token: sign in again "
            "(reviewer-app central sign-in), then publish again."
        )
    if exc.status == 403:
        return UserError(
            f"The central service at {url} says only programme staff may publish kits: sign in "
            "with a staff token, then publish again."
        )
    return UserError(f"The central service refused: {exc.message}")
