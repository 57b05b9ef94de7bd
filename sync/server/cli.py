"""``reviewer-central``: set up and run the central service.

    reviewer-central init [--db PATH] [--trust staff.key.pub]
    reviewer-central add-user NAME --role staff|reviewer [--db PATH]
    reviewer-central issue-token NAME [--db PATH]      # the token is the last line printed
    reviewer-central revoke-token NAME [--db PATH]
    reviewer-central reset-device-key NAME [--db PATH]   # NAME changed laptop
    reviewer-central serve [--db PATH] [--port 8765] [--host 127.0.0.1]
    reviewer-central upgrade [--db PATH]     # bring the schema to this release's
    reviewer-central check [--db PATH]       # reachable and current: exit 0; behind: 1

``--db`` is an SQLite file (default ``central.sqlite`` in ``$REVIEWER_CENTRAL_HOME`` or the
current folder) or a database URL (``postgresql://user@host/db``, then ``--blobs`` is needed).
Every command but ``check`` upgrades the schema first. A problem the user can put right (a
database that cannot be reached, a URL that is not one) prints one line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from sync.server.accounts import (
    ServiceError,
    add_user,
    issue_token,
    reset_device_key,
    revoke_tokens,
)
from sync.server.db import ROLES, Database, database_url, shown_url, sqlite_file

DEFAULT_DB = "central.sqlite"
DEFAULT_PORT = 8765


def _default_db() -> str:
    home = os.environ.get("REVIEWER_CENTRAL_HOME")
    return str(Path(home) / DEFAULT_DB) if home else DEFAULT_DB


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewer-central", description="The central service for Reviewer App."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--db", default=_default_db(), help="SQLite file or database URL")
        p.add_argument("--blobs", type=Path, help="blob folder (default: beside the SQLite file)")
        return p

    p = with_db(sub.add_parser("init", help="create the database and blob folder"))
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="KEY.pub")
    p = with_db(sub.add_parser("add-user", help="add a user"))
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, required=True)
    p = with_db(sub.add_parser("issue-token", help="issue a token (printed last)"))
    p.add_argument("name")
    p = with_db(sub.add_parser("revoke-token", help="revoke every token of a user"))
    p.add_argument("name")
    p = with_db(
        sub.add_parser(
            "reset-device-key",
            help="forget the laptop key pinned to a user (they changed laptop)",
        )
    )
    p.add_argument("name")
    p = with_db(sub.add_parser("serve", help="run the service"))
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="KEY.pub")
    with_db(sub.add_parser("upgrade", help="bring the database's schema to this release's"))
    with_db(
        sub.add_parser(
            "check", help="is the database reachable and its schema current (exit 0, else 1)?"
        )
    )
    return parser


def _database(args: argparse.Namespace) -> Database:
    db = Database(database_url(args.db))
    db.upgrade()
    return db


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ServiceError as exc:
        print(f"reviewer-central: {exc.message}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(f"reviewer-central: {database_problem(args.db, exc)}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(
            f"reviewer-central: this installation lacks {exc.name or 'a module'} for that "
            "database; install the service with: pip install 'reviewer-app[server]'.",
            file=sys.stderr,
        )
        return 2
    except (OSError, ValueError) as exc:
        print(f"reviewer-central: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def database_problem(db: str, exc: SQLAlchemyError) -> str:
    """One sentence for a database that cannot be used: what, where, and what to do."""
    if isinstance(exc, ArgumentError):
        return (
            f"{db!r} is not a database URL this service knows; give an SQLite file path or "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE."
        )
    where = shown_url(database_url(db))
    if isinstance(exc, DBAPIError) and exc.connection_invalidated is False:
        reason = " ".join(str(exc.orig).split()) if exc.orig is not None else type(exc).__name__
    else:
        reason = type(exc).__name__
    reason = reason.split(" (Background on this error")[0][:300].rstrip(".")
    return (
        f"the database at {where} cannot be used ({reason}); check that it is running, "
        "that the URL is right, and that this user may connect."
    )


T = TypeVar("T")


def _on(url: str, action: Callable[[Database], T]) -> T:
    """``action`` on the database at ``url``, its connections closed afterwards."""
    db = Database(url)
    try:
        return action(db)
    finally:
        db.dispose()


def _check(url: str) -> int:
    """``check``: 0 when reachable and current, 1 when it needs an upgrade (or is newer)."""
    from sync.server.schema import state  # noqa: PLC0415

    path = sqlite_file(url)
    if path is not None and not path.exists():
        print(
            f"reviewer-central: there is no database at {path}; make one with: "
            "reviewer-central init --db PATH.",
            file=sys.stderr,
        )
        return 2
    now = _on(url, state)
    where = shown_url(url)
    if now.is_current:
        print(f"{where}: reachable, schema current (revision {now.head})")
        return 0
    if not now.is_known:
        print(
            f"{where}: the schema is at revision {now.current}, newer than this release knows "
            f"({now.head}); run the newer release of reviewer-central.",
            file=sys.stderr,
        )
        return 1
    print(
        f"{where}: the schema is at revision {now.current or 'none'}, this release needs "
        f"{now.head}; run: reviewer-central upgrade --db URL.",
        file=sys.stderr,
    )
    return 1


def _upgrade(url: str) -> int:
    from sync.server.schema import upgrade  # noqa: PLC0415

    before = _on(url, upgrade)
    where = shown_url(url)
    if before.is_current:
        print(f"{where}: schema already current (revision {before.head})")
    else:
        print(f"{where}: schema upgraded from {before.current or 'none'} to {before.head}")
    return 0


def _run(args: argparse.Namespace) -> int:
    url = database_url(args.db)
    if args.command == "check":
        return _check(url)
    if args.command == "upgrade":
        return _upgrade(url)
    commands = {
        "init": _init,
        "add-user": _add_user,
        "issue-token": _issue_token,
        "revoke-token": _revoke_token,
        "reset-device-key": _reset_device_key,
        "serve": _serve,
    }
    return commands[args.command](args, url)


def _init(args: argparse.Namespace, url: str) -> int:
    # The app is imported only for commands that need it (FastAPI takes a moment to import).
    from sync.server.app import create_app  # noqa: PLC0415

    create_app(url, blob_dir=args.blobs, trusted_keys=args.trust)
    print(f"central service ready: {shown_url(url)}", file=sys.stderr)
    return 0


def _add_user(args: argparse.Namespace, _url: str) -> int:
    user = add_user(_database(args), args.name, args.role)
    print(f"added {user.name} ({user.role})")
    return 0


def _issue_token(args: argparse.Namespace, _url: str) -> int:
    token = issue_token(_database(args), args.name)
    print(f"token for {args.name} (shown once; give it to them privately):", file=sys.stderr)
    print(token)
    return 0


def _revoke_token(args: argparse.Namespace, _url: str) -> int:
    count = revoke_tokens(_database(args), args.name)
    print(f"revoked {count} token(s) of {args.name}")
    return 0


def _reset_device_key(args: argparse.Namespace, _url: str) -> int:
    removed = reset_device_key(_database(args), args.name)
    if removed is None:
        print(f"{args.name} had no device key pinned; their next findings pin one")
    else:
        print(
            f"forgot the device key of {args.name} (fingerprint {removed['fingerprint']}); "
            "their next findings pin the new laptop's key"
        )
    return 0


def _serve(args: argparse.Namespace, url: str) -> int:
    import uvicorn  # noqa: PLC0415

    from sync.server.app import create_app  # noqa: PLC0415

    app = create_app(url, blob_dir=args.blobs, trusted_keys=args.trust)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
