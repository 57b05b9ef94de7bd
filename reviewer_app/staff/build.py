"""Building and signing a visit kit from a plan: the pre-flight check, the summary, the build,
and the organisation's signing key (in the OS keyring, or a passphrase-protected key file).

The pre-flight check lists everything worth knowing before building, as ``Check`` items: an
"error" stops the build (no lead, missing evidence files, ...); a "warning" does not (timetable
clashes, standards that apply to no component and so are left out). The build itself is
``sync.kit_builder.build_kit``; this module only turns a plan into its inputs, so a kit built in
the window and one built by ``reviewer-app kit build`` are the same kind of file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.app.errors import UserError
from reviewer_app.app.paths import AppPaths
from reviewer_app.staff.clashes import find_clashes, time_problem
from reviewer_app.staff.planner import VisitPlan
from reviewer_app.staff.provider import missing_evidence
from storage.staff_store import StaffStore
from sync.kit_model import EvidenceDoc, KitManifest, SelfAssessmentEntry, StandardsSet
from sync.progress import Progress
from sync.standards_import import not_reviewed_warnings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEYRING_SERVICE = "Reviewer App kit signing key"
KEYRING_USER = "organisation"


@dataclass(frozen=True, slots=True)
class Check:
    severity: str  # "error" (stops the build) or "warning"
    message: str


@dataclass(frozen=True, slots=True)
class KitSummary:
    standards: int
    key_standards: int
    components: int
    team: int
    sessions: int
    self_assessment: int
    evidence_files: int
    evidence_bytes: int

    def lines(self) -> list[str]:
        return [
            f"{self.standards} standards ({self.key_standards} key standards)"
            f" across {self.components} components",
            f"{self.team} people on the team, {self.sessions} timetabled sessions",
            f"{self.self_assessment} self-assessment claims",
            f"{self.evidence_files} evidence documents, {nice_size(self.evidence_bytes)}",
        ]


def nice_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def preflight(
    plan: VisitPlan, standards: StandardsSet | None, kit: StandardsSet | None = None
) -> list[Check]:
    """Everything that stops the build (errors) or deserves a look (warnings), errors first.

    ``kit``: ``plan.kit_standards(standards)`` when the caller has it already (2,000 standards
    take a while to decide)."""
    errors = _detail_errors(plan) + _team_errors(plan) + _timetable_errors(plan)
    if standards is None:
        errors.append("No standards are chosen: choose a set under Standards.")
    errors += [
        f'Evidence {item.id} "{item.title}": the file {item.path} is missing.'
        for item in missing_evidence(plan)
    ]
    warnings = [
        f"Timetable clash: {clash.message}"
        for clash in find_clashes(plan.timetable, plan.visit_details().team)
    ]
    if standards is not None:
        warnings += _standards_warnings(plan, standards, kit or plan.kit_standards(standards))
    return [Check("error", m) for m in errors] + [Check("warning", m) for m in warnings]


def _detail_errors(plan: VisitPlan) -> list[str]:
    errors = [
        f"The visit has no {name}: fill it in under Visit details."
        for name, value in (("title", plan.title), ("programme", plan.programme))
        if not value.strip()
    ]
    if not plan.start_date:
        errors.append("The visit has no date: fill it in under Visit details.")
    if not plan.components:
        errors.append("The visit reviews no component: add one under Visit details.")
    return errors


def _team_errors(plan: VisitPlan) -> list[str]:
    if not plan.team:
        return ["The team is empty: add reviewers from the pool under Team."]
    leads = [m for m in plan.team if m.lead]
    if not leads:
        return ["The team has no lead: choose one under Team."]
    if len(leads) > 1:
        return ["The team has more than one lead: choose one under Team."]
    return []


def _timetable_errors(plan: VisitPlan) -> list[str]:
    return [f"Timetable: {p}" for s in plan.timetable if (p := time_problem(s))]


def _standards_warnings(plan: VisitPlan, standards: StandardsSet, kit: StandardsSet) -> list[str]:
    warnings = []
    in_kit = {s.ref for s in kit.standards}
    not_reviewed = plan.not_reviewed(standards) if plan.components else ()
    told = {i.ref for i in not_reviewed if i.left_out}
    left_out = [s for s in standards.standards if s.ref not in in_kit and s.ref not in told]
    if left_out and plan.components:
        listed = ", ".join(s.ref for s in left_out[:8]) + (" ..." if len(left_out) > 8 else "")
        warnings.append(
            f"{len(left_out)} standards apply to no component and will be left out: {listed}."
        )
    warnings += not_reviewed_warnings(not_reviewed)
    refs = in_kit
    unknown = sorted({r for e in plan.evidence for r in e.standards if r not in refs})
    if unknown:
        warnings.append(
            "Evidence is linked to standards not in the kit; those links are left out: "
            + ", ".join(unknown[:8])
            + "."
        )
    dropped = _usable_self_assessment(plan, kit)[1]
    if dropped:
        warnings.append(
            f"{dropped} self-assessment claims are for standards or components not in "
            "the kit and are left out."
        )
    return warnings


def _usable_self_assessment(
    plan: VisitPlan, kit: StandardsSet
) -> tuple[list[SelfAssessmentEntry], int]:
    """The claims for standards and components in the kit (``kit``: as it will carry them)."""
    applies = {(s.ref, c) for s in kit.standards for c in s.applies_to}
    docs = {e.id for e in plan.evidence}
    kept = [
        replace(e, evidence=tuple(d for d in e.evidence if d in docs))
        for e in plan.self_assessment
        if (e.ref, e.component) in applies
    ]
    return kept, len(plan.self_assessment) - len(kept)


@dataclass(frozen=True, slots=True)
class PlanCheck:
    """The build tab's view of a plan: the pre-flight check and the kit's summary."""

    checks: list[Check]
    summary: KitSummary

    @property
    def errors(self) -> int:
        return sum(c.severity == "error" for c in self.checks)


def check_plan(_store: object, plan: VisitPlan, standards: StandardsSet | None) -> PlanCheck:
    """Pre-flight check and summary together, on the staff worker: both look at every evidence
    file on disk (a folder of hundreds, perhaps on a network share), and deciding what 2,000
    standards apply to takes a moment too. ``plan`` must be the caller's copy."""
    kit = plan.kit_standards(standards) if standards is not None else None
    return PlanCheck(preflight(plan, standards, kit), summary(plan, standards, kit))


def summary(
    plan: VisitPlan, standards: StandardsSet | None, kit: StandardsSet | None = None
) -> KitSummary:
    if kit is None and standards is not None:
        kit = plan.kit_standards(standards)
    present = [Path(e.path) for e in plan.evidence if Path(e.path).is_file()]
    return KitSummary(
        standards=len(kit.standards) if kit else 0,
        key_standards=sum(s.key for s in kit.standards) if kit else 0,
        components=len(plan.components),
        team=len(plan.team),
        sessions=len(plan.timetable),
        self_assessment=len(_usable_self_assessment(plan, kit)[0]) if kit else 0,
        evidence_files=len(plan.evidence),
        evidence_bytes=sum(p.stat().st_size for p in present),
    )


def build_plan_kit(
    plan: VisitPlan,
    standards: StandardsSet,
    out: Path,
    signing_key: Ed25519PrivateKey,
    *,
    created_by: str = "",
    progress: Progress | None = None,
) -> KitManifest:
    """Build the plan's kit at ``out``, signed with ``signing_key`` (an Ed25519 private key).

    Refuses (``UserError``) when the pre-flight check has errors. The visit id is the plan's, so
    building again re-issues the kit for the same visit; the kit id is new every time.
    """
    from sync.kit_builder import build_kit  # noqa: PLC0415 (cryptography only when building)

    kit = plan.kit_standards(standards)
    errors = [c.message for c in preflight(plan, standards, kit) if c.severity == "error"]
    if errors:
        raise UserError("The kit cannot be built yet:\n" + "\n".join(f"- {e}" for e in errors))
    refs = {s.ref for s in kit.standards}
    evidence = [
        (
            EvidenceDoc(
                e.id, e.title or e.id, Path(e.path).name, tuple(r for r in e.standards if r in refs)
            ),
            Path(e.path),
        )
        for e in plan.evidence
    ]
    return build_kit(
        Path(out),
        visit=plan.visit_details(),
        standards=kit,
        signing_key=signing_key,
        created_by=created_by or os.environ.get("USER", "programme staff"),
        self_assessment=_usable_self_assessment(plan, kit)[0],
        evidence=evidence,
        progress=progress,
    )


def record_kit(
    store: StaffStore,
    plan: VisitPlan,
    manifest: KitManifest,
    out: Path,
    public_key_pem: str = "",
) -> None:
    """Add the kit to the staff workspace's log (runs on the staff worker).

    ``public_key_pem``: the signing key's public half, kept so publishing can ask the central
    service to trust it (a public key is no secret)."""
    summary: dict[str, object] = {
        "standards": manifest.standards_set.id,
        "files": len(manifest.files),
    }
    if public_key_pem:
        summary["public_key"] = public_key_pem
    store.log_kit(
        plan_id=plan.plan_id,
        visit_id=manifest.visit_id,
        kit_id=manifest.kit_id,
        path=str(out),
        size=Path(out).stat().st_size,
        key_id=manifest.signing_key_id,
        summary=summary,
    )


def public_pem(signing_key: Ed25519PrivateKey) -> str:
    from sync.keys import public_key_pem  # noqa: PLC0415

    return public_key_pem(signing_key.public_key()).decode("ascii")


# -- the signing key ----------------------------------------------------------------------------


class KeyringUnavailable(UserError):
    """There is no OS keyring here; the key file is the way."""


def load_key_file(
    path: Path, passphrase: str | None, *, paths: AppPaths | None = None
) -> Ed25519PrivateKey:
    """The private key in a key file; a wrong passphrase is a ``KeyFileError`` that says so.

    A file with no passphrase of its own is kept encrypted with this installation's
    signing-key key (``paths``'s; the environment's when not given): one left in the clear
    is re-written encrypted. Ask on the thread that may show the passphrase dialog."""
    from reviewer_app.app.keys import STAFF_SIGNING_KEY, laptop_key  # noqa: PLC0415
    from sync.keys import load_signing_key  # noqa: PLC0415

    if passphrase:
        return load_signing_key(Path(path), passphrase.encode("utf-8"))
    at_rest = laptop_key(paths or AppPaths.from_environment(), STAFF_SIGNING_KEY)
    return load_signing_key(Path(path), None, at_rest=at_rest)


def key_file_is_protected(path: Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return b"ENCRYPTED PRIVATE KEY" in fh.read(4096)
    except OSError:
        return False


def save_key_to_keyring(signing_key: Ed25519PrivateKey) -> str:
    """Keep the private key (PEM, unencrypted: the keyring protects it) in the OS keyring.

    Returns the key id. Raises ``KeyringUnavailable`` when this computer has no keyring.
    """
    import keyring  # noqa: PLC0415
    import keyring.errors  # noqa: PLC0415
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    from sync.keys import key_id  # noqa: PLC0415

    pem = signing_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, pem)
    except keyring.errors.NoKeyringError as exc:
        raise _no_keyring() from exc
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The keyring refused to keep the key ({exc}).") from exc
    return key_id(signing_key.public_key())


def load_key_from_keyring() -> Ed25519PrivateKey:
    """The signing key kept in the OS keyring. ``KeyringUnavailable`` when there is no keyring
    or no key in it (the message says to use the key file)."""
    import keyring  # noqa: PLC0415
    import keyring.errors  # noqa: PLC0415
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    try:
        pem = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except keyring.errors.NoKeyringError as exc:
        raise _no_keyring() from exc
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(f"The keyring could not be read ({exc}).") from exc
    if not pem:
        raise KeyringUnavailable(
            "No signing key is kept in this computer's keyring yet; choose the key file "
            "(you can keep it in the keyring from there)."
        )
    key = serialization.load_pem_private_key(pem.encode("ascii"), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyringUnavailable("The key in the keyring is not an Ed25519 signing key.")
    return key


def _no_keyring() -> KeyringUnavailable:
    return KeyringUnavailable(
        "This computer has no keyring the app can use, so the key cannot be kept there; "
        "sign with the key file instead."
    )
