"""The headless sub-commands of ``reviewer-app``: one function each, returning the exit code.

Output meant for scripts goes to stdout (the visit id is the last line of ``visit open``);
everything meant for a person who might be watching goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from reviewer_app.bundles import export_visit_bundle, import_visit_bundles
from reviewer_app.demo import build_demo_kit
from reviewer_app.errors import UserError
from reviewer_app.paths import AppPaths
from reviewer_app.visits import list_visits, open_kit, trust_store
from sync.keys import generate_key, key_id, load_public_key, load_signing_key
from sync.kit_builder import build_kit
from sync.kit_inputs import read_evidence_folder, read_self_assessment, read_visit
from sync.kit_reader import verify_kit
from sync.standards_import import read_standards


def _passphrase(var: str | None) -> bytes | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UserError(f"the environment variable {var} (the key's passphrase) is not set")
    return value.encode("utf-8")


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty() and total:
        end = "\n" if done == total else "\r"
        print(f"{stage}: {done}/{total}", end=end, file=sys.stderr)


def keys_generate(args: argparse.Namespace, _paths: AppPaths) -> int:
    out: Path = args.out
    if out.exists():
        raise UserError(f"{out} already exists; choose another name (keys are never overwritten)")
    generate_key(out, passphrase=_passphrase(args.passphrase_env))
    pub = load_public_key(out.with_name(out.name + ".pub"))
    print(f"wrote {out} (keep it secret) and {out}.pub (share it); key id {key_id(pub)}")
    return 0


def keys_trust(args: argparse.Namespace, paths: AppPaths) -> int:
    store = trust_store(paths, demo=False)
    kid = store.add(args.public_key, into=paths.trusted_keys)
    print(f"trusted key {kid}: kits it signs now open on this laptop")
    return 0


def keys_list(args: argparse.Namespace, paths: AppPaths) -> int:
    store = trust_store(paths, demo=args.demo)
    keys = store.keys()
    if not keys:
        print("no trusted keys: run `reviewer-app keys trust KEY.pub` with programme staff's key")
    for kid in sorted(keys):
        print(kid)
    return 0


def kit_build(args: argparse.Namespace, _paths: AppPaths) -> int:
    visit_input = read_visit(args.visit)
    for warning in visit_input.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    visit = visit_input.visit
    standards = read_standards(args.standards, visit=visit)
    self_assessment = (
        read_self_assessment(args.self_assessment, standards, visit) if args.self_assessment else ()
    )
    evidence = read_evidence_folder(args.evidence) if args.evidence else []
    key = load_signing_key(args.key, _passphrase(args.passphrase_env))
    manifest = build_kit(
        args.out,
        visit=visit,
        standards=standards,
        signing_key=key,
        created_by=os.environ.get("USER", "programme staff"),
        self_assessment=self_assessment,
        evidence=evidence,
        progress=lambda done, total: _progress("Packing evidence", done, total),
    )
    print(
        f"built {args.out}: visit {visit.visit_id} ({visit.title}), "
        f"{len(standards.standards)} standards, {len(evidence)} evidence files, "
        f"signed by key {manifest.signing_key_id}"
    )
    return 0


def kit_verify(args: argparse.Namespace, paths: AppPaths) -> int:
    manifest = verify_kit(args.file, trust=trust_store(paths, demo=args.demo))
    visit = manifest.visit
    print(
        f"OK {args.file}: kit {manifest.kit_id} for visit {visit.visit_id} "
        f"({visit.title}, {visit.start_date}), {len(manifest.files)} files, "
        f"signed by key {manifest.signing_key_id}"
    )
    return 0


def visit_open(args: argparse.Namespace, paths: AppPaths) -> int:
    opened = open_kit(args.kit, args.member_id, paths=paths, demo=args.demo, progress=_progress)
    if opened.reissued:
        print("this kit re-issues the visit: your work is kept", file=sys.stderr)
    print(f"workspace {opened.workspace_path}", file=sys.stderr)
    print(opened.visit_id)
    return 0


def visit_list(_args: argparse.Namespace, paths: AppPaths) -> int:
    for v in list_visits(paths):
        print(f"{v.visit_id}\t{v.start_date}\t{v.member_id}\t{v.title}")
    return 0


def bundle_export(args: argparse.Namespace, paths: AppPaths) -> int:
    out = export_visit_bundle(paths, args.visit_id, args.out)
    print(f"bundle of visit {args.visit_id} written; give it to your lead", file=sys.stderr)
    print(out)
    return 0


def bundle_import(args: argparse.Namespace, paths: AppPaths) -> int:
    """Exit 0 when every file was imported or already known, 2 when any file was refused."""
    receipts = import_visit_bundles(paths, args.visit_id, args.files)
    if args.json:
        print(json.dumps([r.to_dict() for r in receipts], indent=2, ensure_ascii=False))
    else:
        for receipt in receipts:
            print(receipt.summary())
    refused = [r for r in receipts if r.refused_file]
    for receipt in refused:
        print(f"reviewer-app: {receipt.file}: {receipt.refused_file}", file=sys.stderr)
    return 2 if refused else 0


def demo_kit(args: argparse.Namespace, _paths: AppPaths) -> int:
    manifest = build_demo_kit(
        args.out,
        standards=args.standards,
        evidence_files=args.evidence_files,
        evidence_mb=args.evidence_mb,
    )
    print(f"wrote {args.out}: demo kit {manifest.kit_id} for visit {manifest.visit_id}")
    return 0
