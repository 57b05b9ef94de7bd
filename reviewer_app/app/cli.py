"""The ``reviewer-app`` command.

With no sub-command it opens the window (``--demo`` opens the demo visit). Every sub-command is
headless: it never imports Qt, so scripts and CI use it with no display. A problem the user can put
right (a bad file, an untrusted key) prints one line on stderr and exits 2; a fault of ours is
logged with its traceback and summarised in one line, exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from reviewer_app import __version__
from reviewer_app.app import method_cache
from reviewer_app.app.errors import is_user_error
from reviewer_app.app.logs import setup_logging
from reviewer_app.app.paths import AppPaths

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, AppPaths], int]

LOCK_REQUEST = b"lock\n"
LOCKED = b"locked\n"
LOCK_WAIT_S = 30.0  # a window saves and closes its visit before it answers


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The command line; ``commands=False`` leaves the sub-commands out (see ``_window_only``)."""
    parser = argparse.ArgumentParser(
        prog="reviewer-app", description="Peer review visits against Quality Standards, offline."
    )
    parser.add_argument("--version", action="version", version=f"reviewer-app {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="demo mode: trust the demo key, open the demo visit"
    )
    parser.add_argument("--visit", help="open this visit's workspace (a visit id)")
    parser.add_argument("--kit", type=Path, help="open this visit kit (.rvkit)")
    parser.set_defaults(handler=None)
    if not commands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _keys_commands(sub)
    _kit_commands(sub)
    _visit_commands(sub)
    _bundle_commands(sub)
    _demo_commands(sub)
    _report_commands(sub)
    _finalise_command(sub)
    _holidays_commands(sub)
    _central_commands(sub)
    _staff_commands(sub)
    return parser


def _demo_flag(p: argparse.ArgumentParser) -> None:
    # Also accepted after the sub-command; SUPPRESS keeps the global flag when it is not repeated.
    p.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help="demo mode")


def _keys_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command")
    keys.required = True
    p = keys.add_parser("generate", help="make a signing key pair (KEY and KEY.pub)")
    p.add_argument("--out", type=Path, required=True, metavar="KEY")
    p.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="encrypt the private key with the passphrase in this environment variable",
    )
    p.set_defaults(handler="keys_generate")
    p = keys.add_parser("trust", help="trust kits signed with this public key")
    p.add_argument("public_key", type=Path, metavar="KEY.pub")
    p.set_defaults(handler="keys_trust")
    p = keys.add_parser("list", help="the keys this laptop trusts")
    _demo_flag(p)
    p.set_defaults(handler="keys_list")


def _kit_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kit = sub.add_parser("kit", help="visit kits").add_subparsers(dest="kit_command")
    kit.required = True
    p = kit.add_parser("build", help="build and sign a visit kit")
    p.add_argument("--standards", type=Path, required=True, help="CSV, XLSX or JSON")
    p.add_argument(
        "--standards-title",
        metavar="TITLE",
        help="the standards set's name, as the report gives it (default: from the file name)",
    )
    p.add_argument(
        "--standards-version", metavar="VERSION", help='the set\'s version, like "V4" (default 1)'
    )
    p.add_argument(
        "--standards-date", metavar="DATE", help='when the set was published, like "October 2018"'
    )
    p.add_argument("--visit", type=Path, required=True, help="visit details (JSON)")
    p.add_argument("--self-assessment", type=Path, help="the provider's claims (CSV, XLSX, JSON)")
    p.add_argument("--evidence", type=Path, help="a folder of evidence documents")
    p.add_argument("--key", type=Path, required=True, help="the signing key (private half)")
    p.add_argument("--passphrase-env", metavar="VAR", help="the key's passphrase is in VAR")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.rvkit")
    p.set_defaults(handler="kit_build")
    p = kit.add_parser("verify", help="check a kit's signature, hashes and contents")
    p.add_argument("file", type=Path)
    _demo_flag(p)
    p.set_defaults(handler="kit_verify")


def _visit_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    visit = sub.add_parser("visit", help="visits on this laptop").add_subparsers(
        dest="visit_command"
    )
    visit.required = True
    p = visit.add_parser("open", help="create or reopen the workspace for a kit's visit")
    p.add_argument("kit", type=Path)
    p.add_argument("--as", dest="member_id", required=True, metavar="MEMBER_ID")
    _demo_flag(p)
    p.set_defaults(handler="visit_open")
    p = visit.add_parser("list", help="the visits with a workspace on this laptop")
    p.set_defaults(handler="visit_list")
    p = visit.add_parser(
        "lock",
        help="lock the Reviewer App windows open on this laptop (as Visit > Lock, Ctrl+L)",
        description="Lock every Reviewer App window this user has open with these folders: "
        "each saves what is being typed, closes its visit and drops every key from memory, "
        "until Unlock gets the key back from the password store or the passphrase. The "
        "windows are reached through a socket of this user's (no network). With no window "
        "open, it says so and exits 0.",
    )
    p.set_defaults(handler=visit_lock)


def _bundle_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bundle = sub.add_parser("bundle", help="team bundles (pooling the team's work)")
    commands = bundle.add_subparsers(dest="bundle_command")
    commands.required = True
    p = commands.add_parser("export", help="write everything this laptop knows of a visit")
    p.add_argument("--visit", dest="visit_id", required=True, metavar="VISIT_ID")
    p.add_argument(
        "-o", "--out", type=Path, metavar="FILE_OR_FOLDER", help="default: a named file here"
    )
    p.set_defaults(handler="bundle_export")
    p = commands.add_parser("import", help="check and import team bundles into a visit")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.add_argument("--visit", dest="visit_id", required=True, metavar="VISIT_ID")
    p.add_argument("--json", action="store_true", help="print the receipts as a JSON list")
    p.set_defaults(handler="bundle_import")


def _demo_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command")
    demo.required = True
    p = demo.add_parser("kit", help="write the demo kit, or a scaled synthetic one")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.rvkit")
    p.add_argument("--standards", type=int, help="generate this many standards")
    p.add_argument("--evidence-files", type=int, help="generate this many evidence files")
    p.add_argument("--evidence-mb", type=float, help="total size of the evidence files (MB)")
    p.set_defaults(handler="demo_kit")
    p = demo.add_parser(
        "visit", help="make a worked demo visit (the team's work, findings, photos) to open"
    )
    p.add_argument("--reviewers", type=int, help="reviewers who judged (default: the demo team)")
    p.add_argument("--standards", type=int, help="generate this many standards")
    p.add_argument("--photos", type=int, help="photos attached to findings (default 4)")
    p.set_defaults(handler="demo_visit")


def _holidays_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    holidays = sub.add_parser("holidays", help="bank holidays (immediate risks' due dates)")
    commands = holidays.add_subparsers(dest="holidays_command")
    commands.required = True
    p = commands.add_parser(
        "update", help="use a newer gov.uk bank holidays file (gov.uk/bank-holidays.json)"
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(handler="holidays_update")


def _report_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="write the visit's draft report (PDF or Word)")
    p.add_argument("--visit", dest="visit_id", required=True, metavar="VISIT_ID")
    p.add_argument("--format", choices=("pdf", "docx"), default="pdf")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="FILE")
    p.set_defaults(handler="report")
    p = sub.add_parser("feedback", help="print the end-of-visit feedback sheet (PDF)")
    p.add_argument("--visit", dest="visit_id", required=True, metavar="VISIT_ID")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="FILE")
    p.set_defaults(handler="feedback")


def _finalise_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "finalise",
        help="check, sign off and freeze the visit's findings as the next version (lead only)",
    )
    p.add_argument("--visit", dest="visit_id", required=True, metavar="VISIT_ID")
    p.add_argument(
        "--sign-off",
        action="store_true",
        help="confirm the findings and judgements are the review team's (without it: only check)",
    )
    p.add_argument(
        "--confirm-privacy",
        action="append",
        metavar="ID",
        help="confirm that the possible personal data with this id is not patient-identifying",
    )
    p.add_argument("--json", action="store_true", help="print the result as a JSON object")
    p.set_defaults(handler="finalise")


def _central_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sync", help="sync with the central service: kits in, findings out")
    p.add_argument("--json", action="store_true", help="print the sync report as JSON")
    p.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the token for this sync from stdin, and keep it nowhere (for a computer "
        "with no keyring; the environment variable REVIEWER_APP_TOKEN does the same)",
    )
    p.set_defaults(handler="central_sync")
    central = sub.add_parser("central", help="the central service this laptop syncs with")
    commands = central.add_subparsers(dest="central_command")
    commands.required = True
    p = commands.add_parser("sign-in", help="sign in with a token staff issued (read from stdin)")
    p.add_argument("--url", required=True, help="the service's address")
    p.add_argument("--token-stdin", action="store_true", help="read the token from stdin")
    p.set_defaults(handler="central_sign_in")
    p = commands.add_parser("sign-out", help="forget the service and its token")
    p.set_defaults(handler="central_sign_out")
    p = commands.add_parser("outbox", help="finalised snapshots waiting to be sent, and sent")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="central_outbox")
    p = commands.add_parser("retry", help="queue a failed snapshot again")
    p.add_argument("snapshot_id")
    p.set_defaults(handler="central_retry")


def _staff_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    staff = sub.add_parser(
        "staff",
        help="open the window for programme staff (plans and kits), or, with a command, "
        "work on a programme on the central service",
    )
    staff.set_defaults(handler=None, staff=True)
    commands = staff.add_subparsers(dest="staff_command", metavar="COMMAND")
    p = commands.add_parser(
        "demo-central",
        help="fill a central service's database with an invented programme of visits",
    )
    p.add_argument("--db", default="central.sqlite", help="SQLite file or database URL")
    p.add_argument("--blobs", type=Path, help="blob folder (default: beside the SQLite file)")
    p.add_argument("--url", default="http://127.0.0.1:8765", help="where it will be served")
    p.set_defaults(handler="staff_demo_central")
    programme = commands.add_parser(
        "programme", help="a programme's visits after the visit (the central service)"
    ).add_subparsers(dest="programme_command", metavar="COMMAND")
    programme.required = True

    def with_programme(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--programme", help="the programme's name (default: the only one on the service)"
        )
        return p

    p = with_programme(programme.add_parser("status", help="the visits by state, with dates"))
    p.add_argument("--json", action="store_true", help="print the service's timeline as JSON")
    p.set_defaults(handler="staff_programme_status")
    p = programme.add_parser(
        "pack", help="save a visit's factual accuracy pack and record it as sent"
    )
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="FOLDER")
    p.add_argument("--sent-at", metavar="DATE", help="when it went (default: now)")
    p.add_argument(
        "--no-record", action="store_true", help="only save the pack; record nothing yet"
    )
    p.set_defaults(handler="staff_programme_pack")
    p = programme.add_parser("import-form", help="import the provider's response form")
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.add_argument("file", type=Path, metavar="FORM", help="the returned XLSX or CSV")
    p.set_defaults(handler="staff_programme_import_form")
    p = programme.add_parser("approve", help="record the approval of a visit's latest version")
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.add_argument("--by", required=True, help="who approved it (the group or the person)")
    p.add_argument("--on", metavar="DATE", help="the date of the decision (default: today)")
    p.add_argument("--conditions", default="", help="any conditions of the approval")
    p.set_defaults(handler="staff_programme_approve")
    p = programme.add_parser("publish", help="publish a visit's approved final report")
    p.add_argument("visit_id", metavar="VISIT_ID")
    p.set_defaults(handler="staff_programme_publish")
    p = with_programme(programme.add_parser("overview", help="write the programme overview"))
    p.add_argument("-o", "--out", type=Path, required=True, metavar="FOLDER")
    p.add_argument(
        "--visit", action="append", default=[], metavar="VISIT_ID", help="only these visits"
    )
    p.add_argument("--format", action="append", choices=("pdf", "docx"), help="default: both")
    p.set_defaults(handler="staff_programme_overview")
    p = with_programme(
        programme.add_parser("qsg", help="write the Quality Surveillance Group summary")
    )
    p.add_argument("-o", "--out", type=Path, required=True, metavar="FOLDER")
    p.add_argument("--format", action="append", choices=("pdf", "csv"), help="default: both")
    p.add_argument(
        "--confirm-privacy",
        action="store_true",
        help="write it although some text may identify a patient (each passage is listed)",
    )
    p.set_defaults(handler="staff_programme_qsg")
    p = with_programme(
        programme.add_parser(
            "settings", help="show, or change, the expected working days to each step"
        )
    )
    p.add_argument(
        "days", nargs="*", metavar="STEP=DAYS", help="like pack_sent=10 (none: show them)"
    )
    p.set_defaults(handler="staff_programme_settings")


def _window_only(argv: Sequence[str]) -> bool:
    """True when ``argv`` names no sub-command (the window opens, maybe at a kit or a visit):
    then the parser is built without them, a quarter of the window path's own start-up."""
    value_next = False
    for arg in argv:
        if value_next:
            value_next = False
        elif arg in ("-h", "--help") or not arg.startswith("-"):
            return False
        elif arg in ("--kit", "--visit"):
            value_next = True
    return True


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 1 and argv[0].lower().endswith(".rvkit"):
        argv = ["--kit", argv[0]]  # a kit double-clicked in the file manager
    parser = build_parser(commands=not _window_only(argv))
    args = parser.parse_args(argv)
    paths = AppPaths.from_environment()
    setup_logging(paths)
    try:
        if args.handler is None:
            return _open_window(args, paths)
        if callable(args.handler):
            handler: Handler = args.handler
        else:
            # Imported only for a sub-command: the window starts without the kit machinery.
            commands = importlib.import_module("reviewer_app.app.commands")
            handler = getattr(commands, args.handler)
        return handler(args, paths)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from reviewer_app.app.disk import disk_full_in  # noqa: PLC0415 (only when something failed)

        full = disk_full_in(exc, paths.data)
        if full is not None:
            log.warning("disk full: %s", exc)
            exc = full
        if is_user_error(exc):
            print(f"reviewer-app: {exc}", file=sys.stderr)
            return 2
        log.exception("command failed: %s", argv)
        print(
            f"reviewer-app: something went wrong ({type(exc).__name__}: {exc}). "
            f"The details are in {paths.logs / 'reviewer-app.log'}.",
            file=sys.stderr,
        )
        return 1


def run() -> NoReturn:
    """The program (``reviewer-app``, ``python -m reviewer_app``): ``main``, then the exit.

    After a window, the exit is quick: by the time ``main`` returns, the window has closed,
    every session's worker has written and closed its workspace, and the settings are saved
    (``AppController.shutdown``). Tearing down the interpreter would then only free memory,
    widget by widget and module by module (some 10 ms, longer with more open), that the
    system takes back at once. So threads still finishing (a kit being opened) are waited
    for, the logs, the standard streams and the method cache are flushed, and the process
    ends. Headless commands, and tests calling ``main``, exit as usual.

    On the window's path the cyclic garbage collector is off from here (``ui.app.run_app``
    keeps it off until the first window shows, then freezes what start-up made and turns it
    back on): the imports before the window make many objects and free few, and the sixty-odd
    collections they set off took 5-8 ms of the start to free a few hundred objects.
    """
    if _window_only(sys.argv[1:]):
        gc.disable()
    code = main()
    if "ui.app" not in sys.modules:  # no window was opened (main imports it only for one)
        raise SystemExit(code)
    from ui.app import can_end_quickly  # noqa: PLC0415 (already imported: see above)

    if not can_end_quickly():
        raise SystemExit(code)
    _wait_for_threads()
    method_cache.save_now()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):  # (buffered output is lost by os._exit)
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _wait_for_threads() -> None:
    """What the interpreter does first as it exits: the thread pools' exit hooks run (each
    pool's workers finish what was queued, then stop), then every other non-daemon thread is
    joined (a kit still being opened). Joining the threads alone would wait for ever on the
    idle worker of a pool nobody shuts down (one made at import, as ``reviewer_app.lead.view``
    has): the window closed, the process never ended."""
    shutdown = getattr(threading, "_shutdown", None)  # (CPython's, run before finalising)
    if callable(shutdown):
        shutdown()
        return
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def _open_window(args: argparse.Namespace, paths: AppPaths) -> int:
    # Before the window's dataclasses are made: their methods come compiled from the last
    # start. Only here, so that headless commands, the tests and a bundle-reading process
    # keep the standard library's dataclasses as they are.
    method_cache.install()
    from reviewer_app.app import keys  # noqa: PLC0415
    from reviewer_app.demo import demo_visit_id  # noqa: PLC0415

    # The key of the visit about to open is fetched from the password store (or the store made
    # ready) on a thread of its own, from now on, while the rest is imported and the window
    # built: a D-Bus round trip or two, or, without the store found last time, keyring's own
    # start (a quarter of a second).
    opening = args.visit or (demo_visit_id() if args.demo else None)
    if not getattr(args, "staff", False):
        keys.prefetch(paths, opening)

    # Our own non-Qt modules first: imported before PySide6 they skip its import hook, which
    # reads every later module's source (~15 ms of start-up).
    import reviewer_app.app.settings  # noqa: F401, PLC0415
    import reviewer_app.demo.kits  # noqa: F401, PLC0415
    import reviewer_app.visit.workspaces  # noqa: F401, PLC0415

    # The one place a layer above reviewer_app is imported: only when a window is wanted.
    from ui.app import run_app  # noqa: PLC0415

    if getattr(args, "staff", False):
        return run_app(paths, demo=args.demo, staff=True)
    return run_app(paths, demo=args.demo, kit=args.kit, visit_id=args.visit)


# -- `visit lock`: reaching the windows that are open --------------------------------------------


def lock_listener_folder(paths: AppPaths) -> Path:
    """Where each window of this user with these folders listens for ``visit lock``: one
    socket per window process (``<pid>.sock``), in a folder only this user can enter, under the
    user's runtime folder (short: a socket's path has a length limit)."""
    import hashlib  # noqa: PLC0415 (kept off the window's start-up imports)
    import tempfile  # noqa: PLC0415

    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    data = hashlib.sha256(str(paths.data.resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(runtime) / f"reviewer-app-{user}" / data


def private_folder(folder: Path) -> Path:
    """``folder`` made if need be, and checked to be this user's alone (0700): another user
    must not be able to put a socket there that a lock request would go to."""
    for part in (folder.parent, folder):
        part.mkdir(mode=0o700, exist_ok=True)
        st = part.stat()
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise PermissionError(f"{part} belongs to another user, so it is not used")
        if st.st_mode & 0o077:
            part.chmod(0o700)  # ours, made by an earlier version or with another umask
    return folder


def lock_windows(paths: AppPaths) -> int:
    """Ask every window open with ``paths`` to lock; the number that did. A socket nobody
    listens on any more (a window that crashed) is removed."""
    import socket  # noqa: PLC0415 (only this command needs it)

    folder = lock_listener_folder(paths)
    if not folder.is_dir():
        return 0
    private_folder(folder)
    locked = 0
    for address in sorted(folder.glob("*.sock")):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(LOCK_WAIT_S)
                conn.connect(str(address))
                conn.sendall(LOCK_REQUEST)
                answer = conn.recv(len(LOCKED))
        except (ConnectionRefusedError, FileNotFoundError):
            address.unlink(missing_ok=True)  # its window is gone
            continue
        except OSError as exc:
            log.warning("visit lock: %s did not answer (%s)", address.name, exc)
            continue
        if answer == LOCKED:
            locked += 1
    return locked


def visit_lock(args: argparse.Namespace, paths: AppPaths) -> int:  # noqa: ARG001 (a handler)
    """``reviewer-app visit lock``: the open windows lock (as Ctrl+L does in one)."""
    import socket  # noqa: PLC0415 (only this command needs it)

    if not hasattr(socket, "AF_UNIX"):
        print(
            "reviewer-app: locking from the command line is not available on this system; "
            "use Visit > Lock (Ctrl+L) in the window.",
            file=sys.stderr,
        )
        return 2
    locked = lock_windows(paths)
    if not locked:
        print("No Reviewer App window is open; nothing to lock.")
    elif locked == 1:
        print("The Reviewer App window is locked.")
    else:
        print(f"{locked} Reviewer App windows are locked.")
    return 0
