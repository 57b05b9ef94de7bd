"""The reviewer pool: trained peer reviewers that visit teams are drawn from.

Staff keep it in a contacts spreadsheet today, so it imports from CSV/XLSX with the same
reader and row-level problems as the standards (``sync.tables``); after that it is edited in the
staff window. A reviewer is matched by e-mail (any case) on import, so importing an updated
spreadsheet updates people rather than adding them twice.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from pathlib import Path

from storage.records import Record
from storage.staff_store import StaffStore
from sync.tables import Column, InputFileError, RowProblem, match_columns, read_table

POOL_COLUMNS = (
    Column("name", "Name", ("Full name", "Reviewer"), required=True),
    Column("role", "Role", ("Job title", "Profession", "Post")),
    Column("organisation", "Organisation", ("Organization", "Trust", "Employer")),
    Column("email", "Email", ("E-mail", "Email address", "E-mail address")),
    Column("training_date", "Training date", ("Trained", "Date trained", "Training")),
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


class PoolImportError(InputFileError):
    """A reviewer spreadsheet has problems; ``str()`` lists them, one a line."""


@dataclass(frozen=True, slots=True)
class Reviewer(Record):
    id: str
    name: str
    role: str = ""
    organisation: str = ""
    email: str = ""
    training_date: str = ""  # ISO date, or "" when not known

    @classmethod
    def new(cls, **values: str) -> Reviewer:
        return cls(id=str(uuid.uuid4()), **values)


EDITABLE = tuple(f.name for f in fields(Reviewer) if f.name != "id")


def parse_date(text: str) -> str | None:
    """An ISO date from the ways staff write dates (``2025-03-04``, ``04/03/2025``, ``4 March
    2025``); "" for a blank; None when it is not a date."""
    text = text.strip()
    if not text:
        return ""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def field_problem(name: str, value: str) -> str:
    """Why ``value`` cannot go in the field ``name`` ("" when it can): for the table editor."""
    value = value.strip()
    if name == "name" and not value:
        return "A reviewer needs a name."
    if name == "email" and value and not _EMAIL.match(value):
        return f'"{value}" is not an e-mail address; write it like name@nhs.net.'
    if name == "training_date" and parse_date(value) is None:
        return f'"{value}" is not a date; write it like 2025-03-04 or 04/03/2025.'
    return ""


def read_pool(path: Path) -> list[Reviewer]:
    """Reviewers from a CSV/XLSX/JSON file; every problem is listed before any is refused."""
    path = Path(path)
    table = read_table(path, PoolImportError)
    cols = match_columns(table, POOL_COLUMNS, PoolImportError)
    problems: list[RowProblem] = []
    out: list[Reviewer] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        values = {c.name: cols.value(row, c.name) for c in POOL_COLUMNS}
        for name, value in values.items():
            problem = field_problem(name, value)
            if problem:
                problems.append(cols.problem(row, name, problem))
        email = values["email"].casefold()
        if email and email in first_row:
            message = f"{values['email']} appears twice (first on {table.unit} {first_row[email]})"
            problems.append(cols.problem(row, "email", message))
        elif email:
            first_row[email] = row.number
        values["training_date"] = parse_date(values["training_date"]) or ""
        out.append(Reviewer.new(**values))
    if problems:
        raise PoolImportError(problems)
    return out


# -- in the store --------------------------------------------------------------------------------


def list_reviewers(store: StaffStore) -> list[Reviewer]:
    return [Reviewer(**row) for row in store.reviewers()]


def save_reviewers(store: StaffStore, reviewers: list[Reviewer]) -> list[Reviewer]:
    """Add or update reviewers (by id); returns the whole pool as now."""
    store.put_reviewers([r.to_dict() for r in reviewers])
    return list_reviewers(store)


def import_reviewers(
    store: StaffStore, incoming: list[Reviewer]
) -> tuple[list[Reviewer], int, int]:
    """Merge ``incoming`` into the pool: same e-mail updates, otherwise adds.

    Returns the pool as now, how many were added and how many updated.
    """
    existing = {r.email.casefold(): r for r in list_reviewers(store) if r.email}
    merged = []
    updated = 0
    for r in incoming:
        known = existing.get(r.email.casefold()) if r.email else None
        if known is not None:
            updated += 1
            merged.append(replace(r, id=known.id))
        else:
            merged.append(r)
    return save_reviewers(store, merged), len(merged) - updated, updated


def delete_reviewer(store: StaffStore, reviewer_id: str) -> list[Reviewer]:
    store.delete_reviewer(reviewer_id)
    return list_reviewers(store)
