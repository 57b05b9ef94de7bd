"""The headless sub-commands of ``reviewer-app``: one function each, returning the exit code.

Output meant for scripts goes to stdout (the visit id is the last line of ``visit open``);
everything meant for a person who might be watching goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reviewer_app.app.errors import UserError
from reviewer_app.app.keys import STAFF_SIGNING_KEY, laptop_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import build_demo_kit
from reviewer_app.team.bundles import export_visit_bundle, import_visit_bundles
from reviewer_app.visit.workspaces import list_visits, open_kit, trust_store
from sync.keys import generate_key, key_id, load_public_key, load_signing_key
from sync.kit_builder import build_kit
from sync.kit_inputs import read_evidence_folder, read_self_assessment, read_visit
from sync.kit_model import EvidenceDoc, StandardsSet
from sync.kit_reader import verify_kit
from sync.standards_import import import_standards, set_info_with


def _passphrase(var: str | None) -> bytes | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UserError(f"the environment variable {var} (the key's passphrase) is not set")
    return value.encode("utf-8")


def _progress(done: int, total: int, what: str) -> None:
    if sys.stderr.isatty() and total:
        end = "\n" if done == total else "\r"
        print(f"{what}: {done}/{total}", end=end, file=sys.stderr)


def keys_generate(args: argparse.Namespace, paths: AppPaths) -> int:
    out: Path = args.out
    if out.exists():
        raise UserError(f"{out} already exists; choose another name (keys are never overwritten)")
    passphrase = _passphrase(args.passphrase_env)
    at_rest = None if passphrase else laptop_key(paths, STAFF_SIGNING_KEY)
    generate_key(out, passphrase=passphrase, at_rest=at_rest)
    pub = load_public_key(out.with_name(out.name + ".pub"))
    print(f"wrote {out} (keep it secret) and {out}.pub (share it); key id {key_id(pub)}")
    if at_rest is not None:
        print(
            f"{out} is encrypted with this computer's key (its password store): it opens here "
            "only; give --passphrase-env for a key file you can carry to another computer",
            file=sys.stderr,
        )
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


def kit_build(args: argparse.Namespace, paths: AppPaths) -> int:
    visit_input = read_visit(args.visit)
    _warn(visit_input.warnings)
    visit = visit_input.visit
    imported = import_standards(args.standards, visit=visit)
    _warn(imported.warnings)
    standards = _named_set(imported.standards, args)
    self_assessment = (
        read_self_assessment(args.self_assessment, standards, visit, left_out=imported.left_out)
        if args.self_assessment
        else ()
    )
    evidence = read_evidence_folder(args.evidence) if args.evidence else []
    evidence = _without_links_to(evidence, set(imported.left_out))
    passphrase = _passphrase(args.passphrase_env)
    # A key file with no passphrase of its own is kept encrypted with this computer's key.
    at_rest = None if passphrase else laptop_key(paths, STAFF_SIGNING_KEY)
    key = load_signing_key(args.key, passphrase, at_rest=at_rest)
    manifest = build_kit(
        args.out,
        visit=visit,
        standards=standards,
        signing_key=key,
        created_by=os.environ.get("USER", "programme staff"),
        self_assessment=self_assessment,
        evidence=evidence,
        progress=_progress,
    )
    info = standards.info
    dated = f", {info.date}" if info.date else ""
    print(
        f"built {args.out}: visit {visit.visit_id} ({visit.title}), "
        f"{len(standards.standards)} standards of {info.title} (version {info.version}{dated}), "
        f"{len(evidence)} evidence files, signed by key {manifest.signing_key_id}"
    )
    return 0


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _named_set(standards: StandardsSet, args: argparse.Namespace) -> StandardsSet:
    """The set named as ``--standards-title``, ``--standards-version`` and ``--standards-date``
    say (each one left out keeps what the file gave: its own, or from its name)."""
    info = set_info_with(
        standards.info,
        title=args.standards_title or "",
        version=args.standards_version or "",
        date=args.standards_date or "",
    )
    return replace(standards, info=info)


def _without_links_to(
    evidence: list[tuple[EvidenceDoc, Path]], refs: set[str]
) -> list[tuple[EvidenceDoc, Path]]:
    """Evidence no longer linked to ``refs``, the standards left out of the kit."""
    return [
        (replace(d, standards=tuple(r for r in d.standards if r not in refs)), p)
        for d, p in evidence
    ]


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


def report(args: argparse.Namespace, paths: AppPaths) -> int:
    # Imported here: reportlab and python-docx load only for the command that needs them.
    from reviewer_app.report.headless import write_report  # noqa: PLC0415

    out = write_report(
        paths,
        args.visit_id,
        args.format,
        args.out,
        progress=_progress,
    )
    print(f"draft report of visit {args.visit_id} written", file=sys.stderr)
    print(out)
    return 0


def feedback(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.report.headless import write_feedback  # noqa: PLC0415

    out = write_feedback(paths, args.visit_id, args.out)
    print(f"feedback sheet of visit {args.visit_id} written", file=sys.stderr)
    print(out)
    return 0


def demo_visit(args: argparse.Namespace, paths: AppPaths) -> int:
    """The visit id is the last line of stdout, for scripts."""
    from reviewer_app.demo.visit import DemoVisitOptions, create_demo_visit  # noqa: PLC0415

    options = DemoVisitOptions(
        reviewers=args.reviewers, standards=args.standards, photos=args.photos
    )
    visit_id = create_demo_visit(paths, options, progress=_progress)
    print(f"worked demo visit ready: open it with reviewer-app --visit {visit_id}", file=sys.stderr)
    print(visit_id)
    return 0


def holidays_update(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.lead.working_days import update_holidays  # noqa: PLC0415

    target, count, first, last = update_holidays(paths, args.file)
    print(f"using {count} bank holidays from {first} to {last} (copied to {target})")
    return 0


def central_sign_in(args: argparse.Namespace, paths: AppPaths) -> int:
    """Check the token and keep the address; the token goes to the keyring, or, with none,
    nowhere (the message says how to give it to each command). Exit 0 either way."""
    from reviewer_app.central.service import sign_in  # noqa: PLC0415 (httpx only when signing in)
    from sync.client import CentralClient  # noqa: PLC0415

    token = _read_token(prompt=not args.token_stdin)
    # A command can wait out a slow line: the client's own timeouts, not the window's quick ones.
    result = sign_in(paths, args.url, token, client_factory=CentralClient, keep_in_memory=False)
    print(result.message, file=sys.stdout if result.in_keyring else sys.stderr)
    return 0


def central_sync(args: argparse.Namespace, paths: AppPaths) -> int:
    """Exit 0 when everything went, 2 when the service was unreachable or an item failed.

    The token is the keyring's, unless one is given for this command (``--token-stdin``, else
    ``REVIEWER_APP_TOKEN``): that one is used, kept nowhere, and the user told so."""
    from reviewer_app.central import service as central  # noqa: PLC0415 (httpx only when syncing)
    from reviewer_app.central.tokens import has_keyring  # noqa: PLC0415

    token, source = _given_token(args.token_stdin)
    with central.connect(paths, token=token) as client:
        if token is not None:
            where = "" if has_keyring() else "No password store (keyring) on this computer: "
            print(
                f"reviewer-app: {where}using the token from {source} for this command only;"
                " it is not kept.",
                file=sys.stderr,
            )
        try:
            report = central.sync(paths, _progress, client=client)
        except central.NotSignedIn as exc:
            if token is None:
                raise
            raise central.NotSignedIn(
                f"The central service did not accept the token from {source}; check it, or ask "
                "programme staff for a new one."
            ) from exc
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in report.summary():
            print(line)
    if report.offline:
        print(f"reviewer-app: {report.message}", file=sys.stderr)
    elif not report.ok:
        print("reviewer-app: some findings were refused; see above", file=sys.stderr)
    return 0 if report.ok else 2


def _given_token(from_stdin: bool) -> tuple[str | None, str]:
    """The token given for this one command, and where it came from (None, "" when none)."""
    from reviewer_app.central.tokens import TOKEN_VARIABLE  # noqa: PLC0415

    if from_stdin:
        return _read_token(prompt=False), "--token-stdin"
    if os.environ.get(TOKEN_VARIABLE, "").strip():
        return os.environ[TOKEN_VARIABLE], TOKEN_VARIABLE
    return None, ""


def _read_token(*, prompt: bool) -> str:
    """One line of stdin; asked for without echo when ``prompt`` and a person is typing."""
    if prompt and sys.stdin.isatty():
        import getpass  # noqa: PLC0415

        return getpass.getpass("Token: ")
    return sys.stdin.readline()


def central_sign_out(_args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.central.service import sign_out  # noqa: PLC0415

    sign_out(paths)
    print("signed out: the token is forgotten on this laptop")
    return 0


def central_outbox(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.central.service import outbox  # noqa: PLC0415

    items = outbox(paths)
    if args.json:
        print(json.dumps([i.to_dict() for i in items], indent=2, ensure_ascii=False))
        return 0
    for i in items:
        print(f"{i.snapshot_id}\t{i.visit_id}\tv{i.version}\t{i.state}\t{i.last_error}")
    return 0


def central_retry(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.central.service import retry  # noqa: PLC0415

    item = retry(paths, args.snapshot_id)
    print(f"version {item.version} of visit {item.visit_id} is queued; it goes at the next sync")
    return 0


def finalise(args: argparse.Namespace, paths: AppPaths) -> int:
    """Exit 0 with the new version; 2 (with what stands in the way listed) otherwise."""
    from reviewer_app.lead import finalise as fin  # noqa: PLC0415 (reportlab only when finalising)

    try:
        snap = fin.finalise_visit(
            paths,
            args.visit_id,
            sign_off=args.sign_off,
            confirm=args.confirm_privacy or (),
            progress=_progress,
        )
    except fin.FinaliseRefused as refused:
        if args.json:
            print(json.dumps(fin.refusal_dict(refused), indent=2, ensure_ascii=False))
        else:
            for line in fin.refusal_lines(refused):
                print(line)
        print(f"reviewer-app: {fin.refusal_sentence(refused)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(fin.snapshot_dict(snap), indent=2, ensure_ascii=False))
    else:
        print(f"finalised version {snap.version} of visit {args.visit_id}")
        print(f"snapshot_id {snap.snapshot_id}")
        print(f"content_sha256 {snap.content_sha256}")
    sent = "queued to send at the next sync" if snap.queued else "kept on this laptop only"
    print(f"version {snap.version}: {sent}", file=sys.stderr)
    return 0


# -- staff: the programme after the visit (reviewer_app/staff/programme.py) -----------------------


def _staff_client(paths: AppPaths):  # type: ignore[no-untyped-def]
    """The staff sign-in's client (the token of REVIEWER_APP_TOKEN when set, for this command)."""
    from reviewer_app.staff.programme import staff_client  # noqa: PLC0415 (httpx: only here)

    token, _source = _given_token(False)
    return staff_client(paths, token=token)


def _programme(client, given: str | None) -> str:  # type: ignore[no-untyped-def]
    """The programme named, or the only one on the service (a UserError naming them else)."""
    from reviewer_app.staff.programme import programmes  # noqa: PLC0415

    if given:
        return given
    known = programmes(client)
    if len(known) == 1:
        return known[0]
    if not known:
        raise UserError("The central service has no visits yet, so no programme to show.")
    names = "; ".join(known)
    raise UserError(f"Say which programme with --programme: the service has {names}.")


def staff_programme_status(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        name = _programme(client, args.programme)
        if args.json:
            raw = ops._call(client, "read the timeline", lambda: client.timeline(name))  # noqa: SLF001
            print(json.dumps(raw, indent=2, ensure_ascii=False))
            return 0
        line_up = ops.timeline(client, name)
    for line in line_up.lines():
        print(line)
    return 0


def staff_programme_pack(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    sent_at = ops.check_date(args.sent_at, "--sent-at") if args.sent_at else None
    with _staff_client(paths) as client:
        done = ops.send_pack(
            client,
            args.visit_id,
            args.out,
            title=_title(client, args.visit_id),
            sent_at=sent_at,
            record=not args.no_record,
            progress=_progress,
        )
    for line in done.lines():
        print(line, file=sys.stderr)
    print(done.path)
    return 0


def _title(client, visit_id: str) -> str:  # type: ignore[no-untyped-def]
    """The visit's title, for file names ("" when the service lists no such visit)."""
    from reviewer_app.staff.programme import talking  # noqa: PLC0415

    with talking(client, "read the visit"):
        listed = client.list_visits()
    return next((str(v.get("title", "")) for v in listed if v.get("visit_id") == visit_id), "")


def staff_programme_import_form(args: argparse.Namespace, paths: AppPaths) -> int:
    """Exit 0 when imported; 2 with each row's problem listed when the form was refused."""
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        try:
            done = ops.import_form(client, args.visit_id, args.file)
        except ops.FormRefused as refused:
            for problem in refused.problems:
                print(problem.text())
            print(f"reviewer-app: {refused}", file=sys.stderr)
            return 2
    for line in done.lines():
        print(line)
    return 0


def staff_programme_approve(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        done = ops.approve(client, args.visit_id, args.by, args.on, args.conditions)
    for line in done.lines():
        print(line)
    return 0


def staff_programme_publish(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        done = ops.publish(client, args.visit_id)
    for line in done.lines():
        print(line)
    return 0


def staff_programme_overview(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        name = _programme(client, args.programme)
        done = ops.overview_report(
            client,
            name,
            args.out,
            visits=args.visit,
            formats=args.format or ("pdf", "docx"),
            progress=_progress,
        )
    print(done.lines()[0], file=sys.stderr)
    for path in done.files:
        print(path)
    return 0


def staff_programme_qsg(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    with _staff_client(paths) as client:
        name = _programme(client, args.programme)

        def write(confirmed: list[str]) -> ops.Written:
            return ops.qsg_summary(
                client,
                name,
                args.out,
                formats=args.format or ("pdf", "csv"),
                confirmed=confirmed,
                progress=_progress,
            )

        try:
            done = write([])
        except ops.PrivacyHits as hits:
            for line in hits.lines:
                print(line)
            if not args.confirm_privacy:
                print(
                    f"reviewer-app: {hits} Read them above; --confirm-privacy writes it anyway.",
                    file=sys.stderr,
                )
                return 2
            done = write(hits.keys)
    print(done.lines()[0], file=sys.stderr)
    for path in done.files:
        print(path)
    return 0


def staff_programme_settings(args: argparse.Namespace, paths: AppPaths) -> int:
    from reviewer_app.staff import programme as ops  # noqa: PLC0415

    changes = ops.parse_days(args.days)
    with _staff_client(paths) as client:
        name = _programme(client, args.programme)
        if changes:
            days = ops.set_expected_days(client, name, changes)
        else:
            days = ops.timeline(client, name).expected_days
    from reviewer_app.staff.timeline import STEPS  # noqa: PLC0415

    print(f"{name}: expected working days from the visit's end")
    for step in STEPS[1:]:
        if step in days:
            print(f"  {step:<18} {days[step]}")
    return 0


def staff_demo_central(args: argparse.Namespace, _paths: AppPaths) -> int:
    """The staff user's token is the last line printed."""
    from reviewer_app.demo.programme import fill_demo_central  # noqa: PLC0415

    made = fill_demo_central(args.db, blob_dir=args.blobs, url=args.url, progress=_progress)
    for line in made.lines():
        print(line, file=sys.stderr)
    print(made.staff_token)
    return 0
