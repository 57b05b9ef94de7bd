"""A programme's timeline after the visit, as the central service reports it
(``GET /v1/programme/timeline``, docs/after-the-visit.md): each visit's steps with the date
first reached, the days from the visit's end, when each is due and whether it is overdue, and
the median days per step. Read-only data for the staff window and the command line (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

STEPS = (
    "visit_end",
    "feedback_sheet",
    "v1_finalised",
    "pack_sent",
    "comments_returned",
    "v2_finalised",
    "approved",
    "published",
)
STEP_NAMES = {
    "planned": "Planned",
    "visit_end": "Visit",
    "feedback_sheet": "Feedback sheet",
    "v1_finalised": "V1 finalised",
    "pack_sent": "Pack sent",
    "comments_returned": "Comments returned",
    "v2_finalised": "V2 finalised",
    "approved": "Approved",
    "published": "Published",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a visit: when it was reached (``at``, "" when not yet), the days from the
    visit's end, when it is due, and whether it is overdue (not reached and past due)."""

    at: str = ""
    days: int | None = None
    due: str = ""
    overdue: bool = False

    @property
    def reached(self) -> bool:
        return bool(self.at)

    @property
    def date(self) -> str:
        return self.at[:10]

    def text(self) -> str:
        """The cell's words: "12 Mar 2026 (21 d)", "due 3 Apr 2026", "OVERDUE since ..."."""
        if self.reached:
            days = f" ({self.days} d)" if self.days is not None else ""
            return f"{show_date(self.at)}{days}"
        if self.overdue:
            return f"OVERDUE: due {show_date(self.due)}"
        return f"due {show_date(self.due)}" if self.due else ""

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Step:
        d = d or {}
        days = d.get("days")
        return cls(
            at=str(d.get("at") or ""),
            days=int(days) if isinstance(days, int | float) else None,
            due=str(d.get("due") or ""),
            overdue=bool(d.get("overdue")),
        )


@dataclass(frozen=True, slots=True)
class VisitLine:
    visit_id: str
    title: str
    organisations: tuple[str, ...]
    state: str
    steps: dict[str, Step]

    @property
    def shown_state(self) -> str:
        """The state, except that a visit whose day is still to come is "planned" (the
        service records the visit's end as soon as its kit is uploaded)."""
        end = self.step("visit_end").date
        if self.state == "visit_end" and end and end > today():
            return "planned"
        return self.state

    @property
    def state_name(self) -> str:
        return STEP_NAMES.get(self.shown_state, self.shown_state)

    @property
    def overdue(self) -> list[str]:
        return [s for s, step in self.steps.items() if step.overdue]

    def step(self, name: str) -> Step:
        return self.steps.get(name, Step())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VisitLine:
        orgs = d.get("organisations") or []
        return cls(
            visit_id=str(d.get("visit_id", "")),
            title=str(d.get("title", "")),
            organisations=tuple(str(o) for o in orgs),
            state=str(d.get("state") or "planned"),
            steps={str(k): Step.from_dict(v) for k, v in (d.get("steps") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Timeline:
    programme: str
    steps: tuple[str, ...]
    expected_days: dict[str, int]
    visits: tuple[VisitLine, ...]
    median_days: dict[str, float | None]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        return cls(
            programme=str(d.get("programme", "")),
            steps=tuple(str(s) for s in d.get("steps") or STEPS),
            expected_days={str(k): int(v) for k, v in (d.get("expected_days") or {}).items()},
            visits=tuple(VisitLine.from_dict(v) for v in d.get("visits") or []),
            median_days={
                str(k): (float(v) if v is not None else None)
                for k, v in (d.get("median_days") or {}).items()
            },
        )

    def by_state(self) -> list[VisitLine]:
        """The visits, furthest step first, then by visit date."""
        order = {s: i for i, s in enumerate(("planned", *self.steps))}
        return sorted(
            self.visits,
            key=lambda v: (-order.get(v.shown_state, 0), v.step("visit_end").at, v.title),
        )

    def counts(self) -> dict[str, int]:
        """How many visits are at each state, in the steps' order (states with none left out)."""
        out: dict[str, int] = {}
        for state in ("planned", *self.steps):
            n = sum(v.shown_state == state for v in self.visits)
            if n:
                out[state] = n
        return out

    def median_text(self, step: str) -> str:
        m = self.median_days.get(step)
        return "–" if m is None else f"{int(m + 0.5)} d"  # whole days, a half rounded up

    def lines(self) -> list[str]:
        """The timeline for a person reading a terminal."""
        out = [f"{self.programme}: {len(self.visits)} visit(s)"]
        counts = ", ".join(f"{STEP_NAMES.get(s, s)} {n}" for s, n in self.counts().items())
        if counts:
            out.append(f"by state: {counts}")
        out.append(
            "median days from the visit: "
            + ", ".join(f"{STEP_NAMES[s]} {self.median_text(s)}" for s in self.steps[1:])
        )
        for v in self.by_state():
            out.append("")
            out.append(f"{v.title} [{v.state_name}] {v.visit_id}")
            for s in self.steps:
                cell = v.step(s).text()
                if cell:
                    out.append(f"  {STEP_NAMES.get(s, s):<18} {cell}")
        return out


def show_date(iso: str) -> str:
    """ "2026-03-12..." as "12 Mar 2026" (as it is when not a date)."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{d.day} {d:%b %Y}"


def today() -> str:
    return datetime.now(UTC).date().isoformat()
