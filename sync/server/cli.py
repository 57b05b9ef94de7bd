"""``reviewer-central``: set up and run the central service.

    reviewer-central init [--db PATH] [--trust staff.key.pub]
    reviewer-central add-user NAME --role staff|reviewer [--db PATH]
    reviewer-central issue-token NAME [--db PATH]      # the token is the last line printed
    reviewer-central revoke-token NAME [--db PATH]
    reviewer-central reset-device-key NAME [--db PATH]   # NAME changed laptop
    reviewer-central serve [--db PATH] [--port 8765] [--host 127.0.0.1]

``--db`` is an SQLite file (default ``central.sqlite`` in ``$REVIEWER_CENTRAL_HOME`` or the
current folder) or a database URL (``postgresql+psycopg://...``, then ``--blobs`` is needed).
A problem the user can put right prints one line on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sync.server.accounts import (
    ServiceError,
    add_user,
    issue_token,
    reset_device_key,
    revoke_tokens,
)
from sync.server.db import ROLES, Database, database_url

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
    return parser


def _database(args: argparse.Namespace) -> Database:
    db = Database(database_url(args.db))
    db.create()
    return db


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ServiceError as exc:
        print(f"reviewer-central: {exc.message}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"reviewer-central: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    # The app is imported only for commands that need it (FastAPI takes a moment to import).
    from sync.server.app import create_app  # noqa: PLC0415

    url = database_url(args.db)
    if args.command == "init":
        create_app(url, blob_dir=args.blobs, trusted_keys=args.trust)
        print(f"central service ready: {url}", file=sys.stderr)
        return 0
    if args.command == "add-user":
        user = add_user(_database(args), args.name, args.role)
        print(f"added {user.name} ({user.role})")
        return 0
    if args.command == "issue-token":
        token = issue_token(_database(args), args.name)
        print(f"token for {args.name} (shown once; give it to them privately):", file=sys.stderr)
        print(token)
        return 0
    if args.command == "revoke-token":
        count = revoke_tokens(_database(args), args.name)
        print(f"revoked {count} token(s) of {args.name}")
        return 0
    if args.command == "reset-device-key":
        removed = reset_device_key(_database(args), args.name)
        if removed is None:
            print(f"{args.name} had no device key pinned; their next findings pin one")
        else:
            print(
                f"forgot the device key of {args.name} (fingerprint {removed['fingerprint']}); "
                "their next findings pin the new laptop's key"
            )
        return 0
    import uvicorn  # noqa: PLC0415

    app = create_app(url, blob_dir=args.blobs, trusted_keys=args.trust)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0
