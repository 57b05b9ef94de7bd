"""What encryption at rest costs on this machine (issue 19), against floors in the same run.

    .venv/bin/python bench/crypto.py [--mb 100] [--runs 5] [--rows 100000]

Blobs (a file of ``--mb`` random MB, read from the page cache each time):
- floor: SHA-256 of the file (read + hash: what kit import and bundle import do per blob today);
- floor: copy + SHA-256 into a new file (``BlobStore.put_file`` without its fsync);
- seal + SHA-256 into a new file (``blob_crypto.encrypt_file`` without its fsync), and into
  nothing (the CPU alone);
- open + SHA-256 (``open_decrypted`` read through, hashed: what checking a sealed blob costs).
Database: ``--rows`` rows of ~200 bytes inserted in one transaction (WAL, synchronous=FULL),
plain sqlite3 against SQLCipher (``encrypted_sqlite.connect``); then ``encrypt_plain_database``
of that plain file. Runs alternate; medians; MB/s and ratios to the floors.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.attachments import CHUNK, sha256_file  # noqa: E402
from storage.blob_crypto import encrypt_file, open_decrypted  # noqa: E402
from storage.encrypted_sqlite import connect, encrypt_plain_database  # noqa: E402

KEY = os.urandom(32)


class Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def copy_and_hash(src: Path, dst: Path) -> str:
    digest = hashlib.sha256()
    with open(src, "rb") as f, open(dst, "wb") as out:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def seal_to_file(src: Path, dst: Path) -> str:
    with open(dst, "wb") as out:
        return encrypt_file(src, out, KEY).sha256


def seal_to_nothing(src: Path) -> str:
    return encrypt_file(src, Discard(), KEY).sha256  # type: ignore[arg-type]


def open_and_hash(sealed: Path) -> str:
    digest = hashlib.sha256()
    with open_decrypted(sealed, KEY) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def insert_rows(conn: sqlite3.Connection, rows: int) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE ops (op_id TEXT PRIMARY KEY, entity TEXT, field TEXT, value TEXT)")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT OR IGNORE INTO ops VALUES (?, ?, ?, ?)",
        (
            (f"{i:032x}", f"judgement/S-{i % 2000}", "note", f"finding text {i} " * 8)
            for i in range(rows)
        ),
    )
    conn.execute("COMMIT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-crypto-") as tmp:
        folder = Path(tmp)
        src = folder / "evidence.bin"
        block = os.urandom(CHUNK)
        with open(src, "wb") as f:
            for _ in range(args.mb):
                f.write(block)
        sealed = folder / "sealed"
        with open(sealed, "wb") as out:
            encrypt_file(src, out, KEY)
        size_mb = src.stat().st_size / 1e6

        blob_cases: dict[str, Callable[[], object]] = {
            "SHA-256 (floor)": lambda: sha256_file(src),
            "copy + SHA-256 (floor)": lambda: copy_and_hash(src, folder / "copy"),
            "seal + SHA-256 to a file": lambda: seal_to_file(src, folder / "sealed-again"),
            "seal + SHA-256, CPU only": lambda: seal_to_nothing(src),
            "open + SHA-256": lambda: open_and_hash(sealed),
        }
        times: dict[str, list[float]] = {name: [] for name in blob_cases}
        for _ in range(args.runs):
            for name, case in blob_cases.items():
                times[name].append(timed(case))
        median = {name: statistics.median(t) for name, t in times.items()}
        print(f"blobs: {args.mb} MB, {args.runs} runs, medians")
        for name, seconds in median.items():
            print(
                f"  {name:28s} {seconds * 1000:8.0f} ms {size_mb / seconds:8.0f} MB/s"
                f"  x{seconds / median['SHA-256 (floor)']:.2f} of SHA-256"
                f"  x{seconds / median['copy + SHA-256 (floor)']:.2f} of copy + SHA-256"
            )

        db_times: dict[str, list[float]] = {"plain sqlite3": [], "SQLCipher": []}
        export_times: list[float] = []
        for run in range(args.runs):
            plain_path = folder / f"plain-{run}.sqlite"
            plain = sqlite3.connect(plain_path, isolation_level=None)
            db_times["plain sqlite3"].append(timed(partial(insert_rows, plain, args.rows)))
            plain.close()
            encrypted = connect(folder / f"encrypted-{run}.sqlite", KEY)
            db_times["SQLCipher"].append(timed(partial(insert_rows, encrypted, args.rows)))
            encrypted.close()
            export_times.append(timed(partial(encrypt_plain_database, plain_path, plain_path, KEY)))
        floor = statistics.median(db_times["plain sqlite3"])
        print(f"database: {args.rows} rows in one transaction (WAL, synchronous=FULL), medians")
        for name, t in db_times.items():
            m = statistics.median(t)
            print(f"  {name:28s} {m * 1000:8.0f} ms  x{m / floor:.2f} of plain")
        db_mb = (folder / "plain-0.sqlite").stat().st_size / 1e6
        m = statistics.median(export_times)
        print(
            f"  {'encrypt in place':28s} {m * 1000:8.0f} ms  {db_mb:.0f} MB file,"
            f" {db_mb / m:.0f} MB/s (export, check, rename)"
        )


if __name__ == "__main__":
    main()
