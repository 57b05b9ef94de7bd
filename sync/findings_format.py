"""Finalised findings as they leave the laptop: the snapshot's ``findings.json`` and its envelope.

DESIGN.md "Finalised findings": the lead's sign-off freezes a snapshot whose ``findings.json`` is
canonical JSON (sorted keys, UTF-8). Its SHA-256 is the snapshot's content hash, so the laptop,
the central service and anyone auditing a submission compute the same figure from the same
bytes. Both ends import this module: the app builds ``findings.json`` with it and the central
service checks and reads submissions with it.

``findings.json`` (format ``reviewer-app.findings``, version 1)::

    {
      "format": "reviewer-app.findings", "version": 1,
      "visit": {"visit_id", "kit_id", "programme", "title", "network",
                "organisations": [names], "start_date", "end_date",
                "components": [{"id", "name"}]},
      "team": [{"member_id", "name", "role", "organisation", "lead"}],
      "team_judgements": [{"ref", "component", "value", "rationale", "key"}],
      "compliance": [{"component", "applicable", "met"}],
      "findings": [{"id", "component", "category", "number", "text", "refs": [..],
                    "photos": [sha256..]}],
      "immediate_risks": [{"finding_id", "status", "escalated_to", "escalated_at",
                           "escalated_how", "confirmation_due", "confirmation_sent"}],
      "attachments": [{"sha256", "size", "kind": "photo", "caption"}]
    }

The envelope (what ``PUT /v1/submissions/{snapshot_id}`` carries) adds who and which version:
``snapshot_id``, ``visit_id``, ``version`` (1, 2, ...), ``supersedes`` (a snapshot id or null),
``content_sha256`` (of the canonical findings bytes), ``signed_off_by``, ``signed_off_at`` (ISO
UTC), ``findings`` (the object itself), ``report`` (``{"sha256", "size", "format": "pdf"}``
or null), ``device_public_key`` (the lead's device key, 64 hex digits) and ``signature`` (128
hex digits: its Ed25519 signature over the canonical findings bytes, exactly the bytes of
``findings.json``; ``sync.authorship.sign_findings``). The rendered report is outside
``findings.json`` on purpose: a final report prints its snapshot's content hash, so the hash
cannot cover the report's own bytes. The signature says which laptop signed the findings off;
whether that laptop is the lead's is for the central service to say (it pins the lead's key).

Optional envelope fields (docs/after-the-visit.md; an envelope without them is as valid):
``report_docx`` (``{"sha256", "size", "format": "docx"}``: the same report as a Word document,
a blob like ``report``, put in the factual accuracy pack), ``feedback_sheet_at`` (ISO date or
UTC time the lead's app first made the feedback sheet: the timeline's ``feedback_sheet`` step)
and ``accuracy_answers`` (a list: the lead's answers to the provider's factual accuracy
comments, ``{"comment_id", "decision": "accepted"|"declined", ...}``, also in ``findings.json``
of the version that answers them). The service stores envelopes as sent.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

FORMAT = "reviewer-app.findings"
VERSION = 1
JUDGEMENT_VALUES = ("met", "not_met", "not_applicable", "not_assessed")
ENVELOPE_FIELDS = (
    "snapshot_id",
    "visit_id",
    "version",
    "supersedes",
    "content_sha256",
    "signed_off_by",
    "signed_off_at",
    "findings",
    "device_public_key",
    "signature",
)
OPTIONAL_ENVELOPE_FIELDS = ("report", "report_docx", "feedback_sheet_at", "accuracy_answers")
SIGNATURE_FIELDS = ("device_public_key", "signature")
"""What signing adds to an envelope (an older app queued envelopes without them)."""
_HEX = frozenset("0123456789abcdef")


class FindingsFormatError(ValueError):
    """A findings document or envelope that does not follow the format (one sentence)."""


def canonical_bytes(obj: Any) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def content_sha256(findings: Any) -> str:
    return hashlib.sha256(canonical_bytes(findings)).hexdigest()


def attachment_hashes(findings: dict[str, Any]) -> list[str]:
    """Every blob the findings name (their photos), sorted, once each."""
    return sorted({str(a["sha256"]) for a in findings.get("attachments", [])})


def envelope_blob_hashes(envelope: dict[str, Any]) -> list[str]:
    """Every blob a submission needs on the server: the findings' photos and the report (PDF
    and DOCX)."""
    hashes = set(attachment_hashes(envelope["findings"]))
    for key in ("report", "report_docx"):
        report = envelope.get(key)
        if isinstance(report, dict) and isinstance(report.get("sha256"), str):
            hashes.add(report["sha256"])
    return sorted(hashes)


def check_findings(findings: Any) -> dict[str, Any]:
    """The findings object, or :class:`FindingsFormatError` saying what is wrong."""
    if not isinstance(findings, dict):
        raise FindingsFormatError("the findings are not a JSON object")
    if findings.get("format") != FORMAT:
        raise FindingsFormatError(f"the findings are not in the {FORMAT} format")
    if findings.get("version") != VERSION:
        raise FindingsFormatError(
            f"the findings are format version {findings.get('version')!r}; "
            f"this version reads version {VERSION}"
        )
    visit = findings.get("visit")
    if not isinstance(visit, dict) or not isinstance(visit.get("visit_id"), str):
        raise FindingsFormatError("the findings name no visit")
    for key in ("team", "team_judgements", "compliance", "findings", "attachments"):
        if not isinstance(findings.get(key, []), list):
            raise FindingsFormatError(f"the findings' {key!r} is not a list")
    for tj in findings.get("team_judgements", []):
        if not isinstance(tj, dict) or tj.get("value") not in JUDGEMENT_VALUES:
            raise FindingsFormatError("a team judgement in the findings has no valid value")
    for a in findings.get("attachments", []):
        sha = a.get("sha256") if isinstance(a, dict) else None
        if not isinstance(sha, str) or len(sha) != 64:
            raise FindingsFormatError("an attachment in the findings has no SHA-256")
    return findings


def check_envelope(envelope: Any) -> dict[str, Any]:
    """A submission envelope whose content hash matches its findings, or FindingsFormatError."""
    if not isinstance(envelope, dict):
        raise FindingsFormatError("the submission is not a JSON object")
    missing = [k for k in ENVELOPE_FIELDS if k not in envelope]
    if missing:
        raise FindingsFormatError(f"the submission lacks {', '.join(missing)}")
    findings = check_findings(envelope["findings"])
    if findings["visit"]["visit_id"] != envelope["visit_id"]:
        raise FindingsFormatError("the submission's visit is not the one its findings name")
    body = canonical_bytes(findings)
    if hashlib.sha256(body).hexdigest() != envelope["content_sha256"]:
        raise FindingsFormatError("the submission's content hash does not match its findings")
    _check_signature(envelope["device_public_key"], envelope["signature"], body)
    if not isinstance(envelope["version"], int) or envelope["version"] < 1:
        raise FindingsFormatError("the submission's version is not a whole number from 1")
    for key, what in (("report", "report"), ("report_docx", "report as DOCX")):
        report = envelope.get(key)
        if report is not None and (
            not isinstance(report, dict) or not _is_hex(report.get("sha256"), 64)
        ):
            raise FindingsFormatError(f"the submission's {what} has no SHA-256")
    sheet = envelope.get("feedback_sheet_at")
    if sheet is not None and not _is_iso_date(sheet):
        raise FindingsFormatError(
            "the submission's feedback_sheet_at is not an ISO date (like 2026-12-03)"
        )
    answers = envelope.get("accuracy_answers")
    if answers is not None and (
        not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers)
    ):
        raise FindingsFormatError("the submission's accuracy_answers is not a list of objects")
    return envelope


def _is_iso_date(value: Any) -> bool:
    """An ISO date, or a time whose first ten characters are one."""
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _is_hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and set(value) <= _HEX


def _check_signature(public_key: Any, signature: Any, body: bytes) -> None:
    from sync.authorship import verify_findings  # noqa: PLC0415 (cryptography: only when checked)

    if not _is_hex(public_key, 64):
        raise FindingsFormatError(
            "the submission's device key is not an Ed25519 public key (64 lower-case hex digits)"
        )
    if not _is_hex(signature, 128) or not verify_findings(public_key, body, signature):
        raise FindingsFormatError(
            "the findings' signature does not verify with the device key the submission names, "
            "so they may have been altered since the lead signed them off"
        )
