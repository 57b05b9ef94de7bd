"""The standards library: sets of Quality Standards kept in several versions.

Staff import a set from the spreadsheet they were given (``preview`` reads it and lists every
row-level problem before anything is saved), keep each version (title, version label, date),
compare two versions (standards added, removed and reworded, with a word-level diff), and mark
key standards. Reading uses ``sync.standards_import`` as ``reviewer-app kit build`` does, so a set
that previews cleanly builds cleanly.

Functions that take a ``StaffStore`` first run on the staff worker: ``service.submit(fn, ...)``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from reviewer_app.app.errors import UserError
from storage.staff_store import StaffStore
from sync.kit_model import Standard, StandardsSet, StandardsSetInfo
from sync.standards_import import InputFileError, import_standards, info_from_file_name

__all__ = [
    "Reworded",
    "SetVersion",
    "Standard",
    "StandardsComparison",
    "StandardsPreview",
    "StandardsSet",
    "compare_sets",
    "compare_versions",
    "list_versions",
    "load_version",
    "preview",
    "requirement_text",
    "save_version",
    "set_key_standard",
    "slug",
    "word_diff",
]


@dataclass(frozen=True, slots=True)
class StandardsPreview:
    """What importing a file would give: the set, or the problems (one line each) that stop it."""

    file: Path
    standards: StandardsSet | None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # worth knowing, not stopping the import ("see HN-999")

    @property
    def ok(self) -> bool:
        return self.standards is not None and not self.problems


def preview(path: Path) -> StandardsPreview:
    """Read a standards file (CSV, XLSX, JSON) without saving anything.

    Every row-level problem is listed (``standards.csv, row 7, column "Ref": ...``); a file
    that cannot be read at all is one problem saying so.
    """
    path = Path(path)
    try:
        read = import_standards(path)
    except InputFileError as exc:
        return StandardsPreview(path, None, tuple(str(p) for p in exc.problems))
    except OSError as exc:
        return StandardsPreview(path, None, (f"{path.name}: cannot be read: {exc.strerror}",))
    return StandardsPreview(path, read.standards, warnings=read.warnings)


def suggested_info(path: Path) -> StandardsSetInfo:
    """Title and id from the file's name, as the importer would give them."""
    return info_from_file_name(Path(path))


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-") or "standards"


# -- versions in the store -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetVersion:
    """One kept version of a set (its standards are loaded separately: ``load_version``)."""

    id: int
    set_key: str
    title: str
    version: str
    date: str
    source: str
    imported_at: str
    count: int

    @property
    def label(self) -> str:
        dated = f", {self.date}" if self.date else ""
        return f"{self.title}, version {self.version}{dated}"


def save_version(
    store: StaffStore,
    standards: StandardsSet,
    *,
    title: str,
    version: str,
    date: str = "",
    set_key: str = "",
    source: str = "",
) -> int:
    """Keep ``standards`` as a version of the set ``set_key`` (from the title when empty)."""
    key = set_key or slug(title)
    info = StandardsSetInfo(id=key, title=title, version=version, date=date)
    doc = replace(standards, info=info).to_dict()
    return store.add_standards_version(
        set_key=key,
        title=title,
        version=version,
        date=date,
        source=source,
        doc=doc,
        count=len(standards.standards),
    )


def list_versions(store: StaffStore) -> list[SetVersion]:
    return [SetVersion(**row) for row in store.standards_versions()]


def plans_using(store: StaffStore, version_id: int) -> list[str]:
    """The titles of the visit plans that use a version (it must not be deleted under them)."""
    titles = []
    for row in store.plans():
        doc = store.plan(row["id"])
        if doc is not None and doc.get("standards_version") == version_id:
            titles.append(row["title"] or "Untitled visit")
    return titles


def delete_version(store: StaffStore, version_id: int) -> None:
    """Delete a kept version; refused (``UserError`` naming the plan) while a plan uses it."""
    using = plans_using(store, version_id)
    if using:
        raise UserError(
            f'The visit plan "{using[0]}"'
            + (f" (and {len(using) - 1} more)" if len(using) > 1 else "")
            + " uses this version of the standards: choose another version in that plan first."
        )
    store.delete_standards_version(version_id)


def load_version(store: StaffStore, version_id: int) -> StandardsSet:
    doc = store.standards_doc(version_id)
    if doc is None:
        raise LookupError(f"standards version {version_id} is not in the library")
    return StandardsSet.from_dict(doc)


def set_key_standard(store: StaffStore, version_id: int, ref: str, key: bool) -> StandardsSet:
    """Mark (or unmark) ``ref`` as a key standard in a kept version; returns the set as now."""
    standards = load_version(store, version_id)
    changed = tuple(replace(s, key=key) if s.ref == ref else s for s in standards.standards)
    updated = replace(standards, standards=changed)
    store.replace_standards_doc(version_id, updated.to_dict())
    return updated


# -- comparing two versions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reworded:
    """A standard in both versions whose title or requirement text changed."""

    ref: str
    old: Standard
    new: Standard
    title_diff: tuple[tuple[str, str], ...]  # (kind, text): kind is "same", "added", "removed"
    requirement_diff: tuple[tuple[str, str], ...]

    @property
    def fields(self) -> tuple[str, ...]:
        changed = []
        if self.old.title != self.new.title:
            changed.append("title")
        if requirement_text(self.old) != requirement_text(self.new):
            changed.append("requirement")
        return tuple(changed)


@dataclass(frozen=True, slots=True)
class StandardsComparison:
    added: tuple[Standard, ...]
    removed: tuple[Standard, ...]
    reworded: tuple[Reworded, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.reworded)

    def summary(self) -> str:
        if self.unchanged:
            return "No standards added, removed or reworded."
        return (
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.reworded)} reworded"
        )


def requirement_text(s: Standard) -> str:
    """The requirement as staff read it: the stem, then each lettered part on its own line."""
    lines = [s.requirement.strip()] + [f"{p.label}. {p.text.strip()}" for p in s.parts]
    return "\n".join(lines)


def compare_sets(old: StandardsSet, new: StandardsSet) -> StandardsComparison:
    """What changed from ``old`` to ``new``, standards matched by ref (refs are ids).

    Added and removed keep each set's order; reworded is in the new set's order. Whitespace
    differences alone are not rewording.
    """
    old_by_ref = {s.ref: s for s in old.standards}
    new_refs = {s.ref for s in new.standards}
    added = tuple(s for s in new.standards if s.ref not in old_by_ref)
    removed = tuple(s for s in old.standards if s.ref not in new_refs)
    reworded = []
    for s in new.standards:
        before = old_by_ref.get(s.ref)
        if before is None:
            continue
        title_changed = _words(before.title) != _words(s.title)
        req_changed = _words(requirement_text(before)) != _words(requirement_text(s))
        if title_changed or req_changed:
            reworded.append(
                Reworded(
                    ref=s.ref,
                    old=before,
                    new=s,
                    title_diff=word_diff(before.title, s.title),
                    requirement_diff=word_diff(requirement_text(before), requirement_text(s)),
                )
            )
    return StandardsComparison(added, removed, tuple(reworded))


def compare_versions(store: StaffStore, old_id: int, new_id: int) -> StandardsComparison:
    return compare_sets(load_version(store, old_id), load_version(store, new_id))


def _words(text: str) -> list[str]:
    return text.split()


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """``old`` -> ``new`` word by word: runs of ("same" | "removed" | "added", text)."""
    a, b = _words(old), _words(new)
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(b[j1:j2])))
    return tuple(out)
