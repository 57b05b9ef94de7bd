"""Staff's work after the visit, against the central service (headless; docs/after-the-visit.md).

The programme's visits by state with the timeline (days from the visit's end to each step, the
median per step, what is overdue), the factual accuracy round (send the pack, import the
provider's form), approval, publication, the programme overview report and the QSG summary,
and the expected working days per step. The staff window's Programme page and
``reviewer-app staff programme ...`` both call these functions, each on a worker or in a
command: every one talks to the network.

Staff connect as for publishing kits (``reviewer_app.central.service.connect``, the token kept
by ``reviewer-app central sign-in``). Every failure a person can put right is a ``UserError``
with one sentence: :class:`Offline` when the service does not answer, ``NotSignedIn`` when no
token is kept or the service no longer takes it, a reviewer's token (403), a step the service
refuses (409: approving a version that is not the latest), and :class:`FormRefused` for a
response form with problems, which lists each row's problem so staff can put it right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.central.service import NotSignedIn, connect
from reviewer_app.staff.timeline import (
    STEP_NAMES,
    STEPS,
    Timeline,
    show_date,
    today,
)
from sync.client import CentralClient, CentralRefused, CentralUnavailable
from sync.progress import Progress, no_progress

FOR_OVERVIEW = ("accepted", "approved", "published")
"""A visit's latest version in one of these may be in the programme overview."""
T = TypeVar("T")


class Offline(UserError):
    """The central service did not answer."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str
    message: str

    def text(self) -> str:
        where = f"Row {self.row}" if self.row else "The form"
        column = f", {self.column}" if self.column else ""
        return f"{where}{column}: {self.message}"


class FormRefused(UserError):
    """The service refused a response form; ``problems`` says what to put right, row by row.
    Nothing was imported."""

    def __init__(self, message: str, problems: Sequence[RowProblem]) -> None:
        super().__init__(message)
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return [str(self), *(p.text() for p in self.problems)]


# -- talking to the service --------------------------------------------------------------------


def staff_client(paths: AppPaths, token: str | None = None) -> CentralClient:
    """A client signed in as on this laptop (``token``: this command's own instead)."""
    return connect(paths, token=token, client_factory=_patient_client)


def using_staff_client(paths: AppPaths, job: Callable[[CentralClient], T]) -> T:
    """``job(client)`` with this laptop's staff sign-in, the client closed afterwards (the
    window's workers call this: one client per piece of work)."""
    with staff_client(paths) as client:
        return job(client)


def _patient_client(url: str, token: str) -> CentralClient:
    # A window must hear "offline" in seconds, not after six attempts over a minute.
    return CentralClient(url, token, timeout=20.0, max_attempts=2, backoff_cap=1.0)


@contextmanager
def talking(client: CentralClient, doing: str) -> Iterator[None]:
    """Turn the service's refusals into one sentence each (``doing``: "import the form")."""
    try:
        yield
    except CentralUnavailable as exc:
        raise Offline(
            f"Cannot reach the central service at {client.base_url} to {doing}: check the "
            "network (and that the service is running), then try again. Nothing was changed."
        ) from exc
    except CentralRefused as exc:
        raise refusal(exc, client.base_url, doing) from exc


def refusal(exc: CentralRefused, url: str, doing: str) -> UserError:
    if exc.status == 401:
        return NotSignedIn(
            f"The central service at {url} no longer accepts your token: sign in again "
            "(reviewer-app central sign-in), then try again."
        )
    if exc.status == 403:
        return UserError(
            f"The central service at {url} says only programme staff may {doing}: sign in "
            "with a staff token, then try again."
        )
    rows = exc.body.get("rows") if isinstance(exc.body, dict) else None
    if isinstance(rows, list) and rows:
        problems = [
            RowProblem(int(r.get("row") or 0), str(r.get("column") or ""), str(r.get("message")))
            for r in rows
            if isinstance(r, dict)
        ]
        n = len(problems)
        said = (exc.message or "").strip().rstrip(".")
        return FormRefused(
            f"{said[:1].upper()}{said[1:]}."
            if said
            else f"The form was not imported: {n} problem{'s' if n != 1 else ''} to put "
            "right in the file. Nothing was imported.",
            problems,
        )
    return UserError(f"Could not {doing}: {_sentence(exc.message)}.")


def _sentence(text: str) -> str:
    text = (text or "the service refused").strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _call(client: CentralClient, doing: str, fn: Callable[[], T]) -> T:
    with talking(client, doing):
        return fn()


def programmes(client: CentralClient) -> list[str]:
    """The programmes of the visits the service knows, sorted."""
    visits: list[dict[str, Any]] = _call(client, "list the programmes", client.list_visits)
    return sorted({str(v.get("programme") or "") for v in visits} - {""})


def timeline(client: CentralClient, programme: str) -> Timeline:
    return Timeline.from_dict(
        _call(client, "read the programme's timeline", lambda: client.timeline(programme))
    )


@dataclass(frozen=True, slots=True)
class Version:
    """A submitted version of a visit's findings, as the service lists it."""

    snapshot_id: str
    version: int
    state: str
    approval: dict[str, Any] | None = None
    final_report: dict[str, Any] | None = None
    publication: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Version:
        return cls(
            snapshot_id=str(d["snapshot_id"]),
            version=int(d.get("version") or 0),
            state=str(d.get("state") or ""),
            approval=d.get("approval") or None,
            final_report=d.get("final_report") or None,
            publication=d.get("publication") or None,
        )

    @property
    def label(self) -> str:
        return f"V{self.version}"


def latest_version(client: CentralClient, visit_id: str) -> Version | None:
    """The visit's latest version that was not rejected (None when none has arrived)."""
    listed = _call(client, "read the visit's versions", lambda: client.visit_status(visit_id))
    alive = [Version.from_dict(s) for s in listed if s.get("state") != "rejected"]
    return max(alive, key=lambda v: v.version) if alive else None


def _need_version(client: CentralClient, visit_id: str, doing: str) -> Version:
    version = latest_version(client, visit_id)
    if version is None:
        raise UserError(
            f"Cannot {doing} yet: the lead has not sent this visit's findings to the service."
        )
    return version


# -- the factual accuracy round ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackSent:
    path: Path
    snapshot_id: str
    version: int
    recorded: bool

    def lines(self) -> list[str]:
        out = [f"The accuracy pack of V{self.version} is saved as {self.path}."]
        if self.recorded:
            out.append("The pack is recorded as sent to the provider.")
        return out


def file_stem(title: str) -> str:
    """A file name's stem from a visit's title (letters, digits and dashes)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()
    return stem[:60].rstrip("-") or "visit"


def send_pack(  # noqa: PLR0913
    client: CentralClient,
    visit_id: str,
    folder: Path,
    *,
    title: str = "",
    sent_at: str | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> PackSent:
    """Save the visit's factual accuracy pack (a ZIP) in ``folder`` and, with ``record``,
    record that it went to the provider (``sent_at``: ISO date, else now)."""
    step = progress or no_progress
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file, not a folder: choose a folder for the pack.")
    step(0, 3, "Finding the visit's latest version")
    version = _need_version(client, visit_id, "send the accuracy pack")
    dest = folder / f"{file_stem(title or visit_id)}-accuracy-pack-v{version.version}.zip"
    step(1, 3, "Downloading the accuracy pack")
    _call(client, "make the accuracy pack", lambda: client.accuracy_pack(visit_id, dest))
    if record:
        step(2, 3, "Recording the pack as sent")
        _call(
            client,
            "record the pack as sent",
            lambda: client.pack_sent(visit_id, version.snapshot_id, sent_at),
        )
    step(3, 3, "Done")
    return PackSent(dest, version.snapshot_id, version.version, record)


@dataclass(frozen=True, slots=True)
class FormImported:
    snapshot_id: str
    version: int
    comments: int
    again: bool  # the same form was imported before: nothing added

    def lines(self) -> list[str]:
        if self.again:
            return [f"This form was imported before: nothing was added (V{self.version})."]
        return [
            f"Imported {self.comments} comment{'s' if self.comments != 1 else ''} from the "
            f"provider on V{self.version}; the lead sees them at the next sync."
        ]


MAX_FORM_BYTES = 20 * 1024 * 1024


def import_form(client: CentralClient, visit_id: str, path: Path) -> FormImported:
    """Import the provider's response form (XLSX or CSV). All or nothing: a form with problems
    raises :class:`FormRefused` listing them row by row."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"There is no file at {path}: choose the provider's response form.")
    if path.stat().st_size > MAX_FORM_BYTES:
        raise UserError(
            f"{path.name} is too large to be a response form; choose the form the provider "
            "returned (an XLSX or CSV file)."
        )
    data = path.read_bytes()
    answer = _call(
        client, "import the response form", lambda: client.import_accuracy_form(visit_id, data)
    )
    comments = answer.get("comments", 0)
    return FormImported(
        snapshot_id=str(answer.get("snapshot_id", "")),
        version=int(answer.get("version") or 0),
        comments=int(comments) if isinstance(comments, int) else len(comments or []),
        again=bool(answer.get("again") or answer.get("already_imported")),
    )


# -- approval and publication ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approval:
    visit_id: str
    snapshot_id: str
    version: int
    approved_by: str
    approved_at: str
    conditions: str

    def lines(self) -> list[str]:
        out = [
            f"V{self.version} recorded as approved by {self.approved_by} on "
            f"{show_date(self.approved_at)}."
        ]
        if self.conditions:
            out.append(f"Conditions: {self.conditions}")
        out.append("The lead's app makes the final report at its next sync.")
        return out


def check_date(text: str, what: str) -> str:
    """``text`` as an ISO date, or a UserError naming ``what``."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise UserError(
            f"{what} must be a date written as YYYY-MM-DD (for example {today()}), "
            f"not {text.strip()!r}."
        ) from None


def approve(
    client: CentralClient,
    visit_id: str,
    approved_by: str,
    approved_at: str | None = None,
    conditions: str = "",
) -> Approval:
    """Record the approval of the visit's latest version (who approved it: the group or the
    person; when: an ISO date, today when None; any conditions)."""
    who = " ".join(approved_by.split())
    if not who:
        raise UserError("Say who approved the report (the group or the person).")
    when = check_date(approved_at, "The date of approval") if approved_at else today()
    version = _need_version(client, visit_id, "record approval")
    conditions = conditions.strip()
    _call(
        client,
        "record the approval",
        lambda: client.approve(version.snapshot_id, who, when, conditions),
    )
    return Approval(visit_id, version.snapshot_id, version.version, who, when, conditions)


@dataclass(frozen=True, slots=True)
class Published:
    visit_id: str
    snapshot_id: str
    version: int
    published_at: str

    def lines(self) -> list[str]:
        when = f" on {show_date(self.published_at)}" if self.published_at else ""
        return [f"V{self.version} published{when}: anyone signed in can download it."]


def publish(client: CentralClient, visit_id: str) -> Published:
    """Publish the final report of the visit's approved version."""
    version = _need_version(client, visit_id, "publish")
    if version.approval is None:
        raise UserError(
            f"V{version.version} is not approved yet: record the approval first; the lead's app "
            "then makes the final report, which can be published."
        )
    if version.final_report is None:
        raise UserError(
            f"The final report of V{version.version} has not arrived yet: the lead's app makes "
            "it at its next sync after approval. Try again once it has."
        )
    answer = _call(client, "publish the report", lambda: client.publish(version.snapshot_id))
    return Published(
        visit_id, version.snapshot_id, version.version, str(answer.get("published_at", ""))
    )


# -- settings ----------------------------------------------------------------------------------


def set_expected_days(
    client: CentralClient, programme: str, expected_days: dict[str, int]
) -> dict[str, int]:
    """Change the expected working days from the visit's end to each step; the settings
    now in force."""
    bad = [s for s in expected_days if s not in STEPS[1:]]
    if bad:
        raise UserError(f"{', '.join(bad)} is not a step; the steps are {', '.join(STEPS[1:])}.")
    for step, days in expected_days.items():
        if not isinstance(days, int) or not 0 <= days <= 500:
            raise UserError(
                f"The working days for {STEP_NAMES[step]} must be a whole number from 0 to 500."
            )
    answer = _call(
        client,
        "change the programme's settings",
        lambda: client.set_programme_settings(programme, dict(expected_days)),
    )
    given = answer.get("expected_days") if isinstance(answer, dict) else None
    now: dict[str, Any] = given if isinstance(given, dict) else dict(expected_days)
    return {str(k): int(v) for k, v in now.items()}


def parse_days(pairs: Sequence[str]) -> dict[str, int]:
    """``["pack_sent=10", "published=60"]`` as a mapping (a UserError saying what is wrong)."""
    out: dict[str, int] = {}
    for pair in pairs:
        step, _, days = pair.partition("=")
        if not days.strip().isdigit():
            raise UserError(f"Write each setting as STEP=DAYS (like pack_sent=10), not {pair!r}.")
        out[step.strip()] = int(days)
    return out


# -- the overview and the QSG summary ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A visit that may go in the programme overview."""

    visit_id: str
    title: str
    state: str  # the latest version's: accepted, approved or published


def overview_candidates(
    client: CentralClient, line_up: Timeline, progress: Progress | None = None
) -> list[Candidate]:
    """The programme's visits whose latest version is accepted, approved or published."""
    step = progress or no_progress
    out: list[Candidate] = []
    for i, v in enumerate(line_up.visits):
        step(i, len(line_up.visits), "Checking which visits are accepted")
        if not v.step("v1_finalised").reached:
            continue
        version = latest_version(client, v.visit_id)
        if version is None:
            continue
        state = (
            "published"
            if version.publication
            else "approved"
            if version.approval
            else version.state
        )
        if state in FOR_OVERVIEW:
            out.append(Candidate(v.visit_id, v.title, state))
    return out


@dataclass(frozen=True, slots=True)
class Written:
    files: list[Path] = field(default_factory=list)
    what: str = ""

    def lines(self) -> list[str]:
        return [f"{self.what} written:", *(f"  {p}" for p in self.files)]


def _writable_folder(folder: Path) -> Path:
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file, not a folder: choose a folder for the reports.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def overview_report(  # noqa: PLR0913
    client: CentralClient,
    programme: str,
    folder: Path,
    *,
    visits: Sequence[str] = (),
    formats: Sequence[str] = ("pdf", "docx"),
    progress: Progress | None = None,
) -> Written:
    """Write the programme overview (PDF and/or DOCX) into ``folder``, computed by the service
    from the visits given (default: every accepted, approved or published one)."""
    step = progress or no_progress
    formats = _formats(formats, ("pdf", "docx"), "the overview")
    folder = _writable_folder(folder)
    step(0, 2, "Asking the service for the programme's figures")
    data = _call(
        client,
        "make the programme overview",
        lambda: client.programme_overview(programme, list(visits) or None),
    )
    if not data.get("visits") and "visits" in data:
        raise UserError(
            "No visit of this programme is accepted, approved or published yet: the overview "
            "has nothing to show."
        )
    step(1, 2, "Writing the overview")
    from reviewer_app.report import programme as report  # noqa: PLC0415 (reportlab, docx)

    model = report.build_programme_overview(data)
    render = {"pdf": report.render_programme_pdf, "docx": report.render_programme_docx}
    stem = f"{file_stem(programme)}-overview"
    files = [render[fmt](model, folder / f"{stem}.{fmt}", step) for fmt in formats]
    step(2, 2, "Done")
    return Written([Path(f) for f in files], "The programme overview")


class PrivacyHits(UserError):
    """The QSG summary holds text that may identify a patient; nothing was written until staff
    confirm each passage is meant (``keys``) or the visit's text is corrected."""

    def __init__(self, message: str, lines: Sequence[str], keys: Sequence[str]) -> None:
        super().__init__(message)
        self.lines = list(lines)
        self.keys = list(keys)


def qsg_summary(  # noqa: PLR0913
    client: CentralClient,
    programme: str,
    folder: Path,
    *,
    formats: Sequence[str] = ("pdf", "csv"),
    confirmed: Sequence[str] = (),
    progress: Progress | None = None,
) -> Written:
    """Write the Quality Surveillance Group summary (PDF and/or CSV) into ``folder``. Text
    that may identify a patient stops it (:class:`PrivacyHits`) unless its key is in
    ``confirmed``."""
    step = progress or no_progress
    formats = _formats(formats, ("pdf", "csv"), "the QSG summary")
    folder = _writable_folder(folder)
    step(0, 2, "Asking the service for the immediate risks and serious concerns")
    data = _call(client, "make the QSG summary", lambda: client.qsg(programme))
    step(1, 2, "Writing the QSG summary")
    from reviewer_app.report import qsg as report  # noqa: PLC0415 (reportlab)

    summary = report.build_qsg_summary(data)
    hits = [h for h in report.privacy_hits(summary) if h.key not in set(confirmed)]
    if hits:
        n = len(hits)
        raise PrivacyHits(
            f"The QSG summary was not written: {n} passage{'s' if n != 1 else ''} may identify "
            "a patient. Correct the text in the visit, or confirm each is meant.",
            [h.message() for h in hits],
            [h.key for h in hits],
        )
    stem = f"{file_stem(programme)}-qsg-summary"
    files = []
    for fmt in formats:
        out = folder / f"{stem}.{fmt}"
        if fmt == "csv":
            files.append(report.write_qsg_csv(summary, out, confirmed=confirmed))
        else:
            files.append(report.render_qsg_pdf(summary, out, step, confirmed=confirmed))
    step(2, 2, "Done")
    return Written([Path(f) for f in files], "The QSG summary")


def _formats(formats: Sequence[str], allowed: tuple[str, ...], what: str) -> list[str]:
    chosen = [f.lower().lstrip(".") for f in formats]
    bad = [f for f in chosen if f not in allowed]
    if bad or not chosen:
        raise UserError(
            f"{what.capitalize()} is written as {' or '.join(a.upper() for a in allowed)}."
        )
    return list(dict.fromkeys(chosen))
