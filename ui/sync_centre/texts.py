"""The sync centre's sentences: the status line, the service's state of each visit, the result
of a sync. Pure functions of what ``reviewer_app.central.service`` read (tested without a
window).
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from reviewer_app.central.service import SyncReport
from reviewer_app.central.status import CentralStatus
from ui.sync_centre.models import when_text

SERVER_STATES = {
    "received": "Received: waiting for programme staff to check it",
    "accepted": "Accepted",
    "has_issues": "Has issues: see the comments below",
    "rejected": "Rejected",
}


def status_lines(status: CentralStatus) -> tuple[str, str]:
    """Who I am on which service; when the last sync was and whether the service answers."""
    if not status.url:
        return (
            "Not signed in. Sign in with the address and token programme staff gave you.",
            "",
        )
    if not status.signed_in:
        return (
            f"Not signed in to {status.url}: your sign-in ended when the app closed "
            "(this computer has no password store). Sign in again.",
            "",
        )
    who = f"{status.user} ({status.role})" if status.user else "you"
    first = f"Signed in to {status.url} as {who}."
    if not status.in_keyring:
        first += " Your token is kept only until the app closes."
    last = when_text(status.last_sync_at) or "never"
    if status.online is None:
        online = "not checked yet"
    elif status.online:
        online = "online"
    else:
        online = f"offline ({when_text(status.last_contact_at)})"
    return first, f"Last sync: {last}  ·  Service {online}"


def server_state_html(status: CentralStatus) -> str:
    """Each visit's submissions as the service last reported them, with staff comments in full."""
    if not status.visits:
        return (
            "<p>Nothing to show yet. After a sync, the service's answer to each set of "
            "finalised findings appears here, with any comments from programme staff.</p>"
        )
    parts = []
    order = sorted(status.visits, key=lambda v: (status.titles.get(v) or v).lower())
    for visit_id in order:
        title = status.titles.get(visit_id) or visit_id
        parts.append(f"<h3>{html.escape(title)}</h3>")
        subs = status.visits[visit_id]
        held = status.comments.get(visit_id, 0)
        if held:
            parts.append(
                f"<p>The provider made {held} factual accuracy comment"
                f"{'s' if held != 1 else ''} on the latest version: answer each in the visit's "
                "Finalise window, beside its finding or standard, then finalise the next "
                "version.</p>"
            )
        if not subs:
            parts.append("<p>No findings sent for this visit yet.</p>")
        for sub in sorted(subs, key=lambda s: -int(s.get("version", 0))):
            state = str(sub.get("state", ""))
            words = SERVER_STATES.get(state, state)
            when = when_text(str(sub.get("updated_at") or sub.get("created_at") or ""))
            parts.append(
                f"<p><b>Version {int(sub.get('version', 0))}: {html.escape(words)}</b>"
                + (f" <span>(updated {html.escape(when)})</span>" if when else "")
                + "</p>"
            )
            after = after_the_visit_text(sub)
            if after:
                parts.append(f"<p>{html.escape(after)}</p>")
            for c in sub.get("comments", []):
                said = when_text(str(c.get("created_at", "")))
                text = html.escape(str(c.get("text", ""))).replace("\n", "<br>")
                parts.append(
                    "<blockquote><p><b>"
                    + html.escape(str(c.get("author", "")))
                    + (f"</b>, {html.escape(said)}" if said else "</b>")
                    + f":<br>{text}</p></blockquote>"
                )
    return "".join(parts)


def after_the_visit_text(sub: dict[str, Any]) -> str:
    """A submission's approval, final report and publication, in a sentence ("" for none)."""
    parts = []
    approval = sub.get("approval")
    if isinstance(approval, dict):
        who = str(approval.get("approved_by") or "")
        day = _day(str(approval.get("approved_at") or ""))
        parts.append("Approved" + (f" by {who}" if who else "") + (f" ({day})" if day else ""))
        if approval.get("conditions"):
            parts.append(f"conditions: {approval['conditions']}")
        if not sub.get("final_report"):
            parts.append("the final report is not made yet")
    if sub.get("final_report"):
        parts.append("final report uploaded")
    if sub.get("publication"):
        parts.append("published")
    return "; ".join(parts) + "." if parts else ""


def _day(iso: str) -> str:
    """ "20 January 2027" from an ISO date (or date-time); anything else as written."""
    try:
        day = date.fromisoformat(iso.strip()[:10])
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"


def report_summary(report: SyncReport) -> str:
    """One or two sentences on what "Sync now" did (or why it could not)."""
    if report.offline:
        waiting = report.outbox.waiting + len(report.outbox.failed)
        if not waiting:
            return "The central service could not be reached. Try again when you have a connection."
        one = waiting == 1
        return (
            "The central service could not be reached, so nothing was sent. "
            f"{waiting} snapshot{'' if one else 's'} wait{'s' if one else ''} in the outbox "
            f"and go{'es' if one else ''} at the next sync that reaches the service."
        )
    if not (report.downloaded or report.outbox.acknowledged or report.outbox.failed):
        text = "Synced: everything is up to date."
    else:
        kits = len(report.downloaded)
        sent = len(report.outbox.acknowledged)
        text = (
            f"Synced: {kits} new kit{'s' if kits != 1 else ''} downloaded, "
            f"{sent} snapshot{'s' if sent != 1 else ''} acknowledged by the service."
        )
    if report.outbox.failed:
        text += f" {len(report.outbox.failed)} could not be sent: see the outbox."
    comments = report.new_comments
    if comments:
        text += (
            f" {comments} new factual accuracy comment{'s' if comments != 1 else ''} from the "
            "provider arrived: answer them in the visit's Finalise window."
        )
    for done in report.final_reports:
        text += f" The final report of version {done['version']} was uploaded."
    for line in report.to_do:
        text += f" {line}"
    attention = sum(
        1
        for subs in report.visits.values()
        for sub in subs
        if sub.get("state") in ("has_issues", "rejected") and not sub.get("superseded_by")
    )
    if attention:
        text += (
            f" Programme staff have raised issues with {attention} set"
            f"{'s' if attention != 1 else ''} of findings: see below."
        )
    return text
