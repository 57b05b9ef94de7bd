"""Standards import: reading a published-shape spreadsheet against reading its cells, same run.

    .venv/bin/python bench/standards_import.py [--standards 2000] [--runs 5]

The rows are the published haemoglobin disorders shapes of ``tests/sync/standards_fixtures.py``
(Notes before Demonstration of Compliance, comma component names, network and commissioning
rows, a.i sub-parts, inline parts, a pasted table, cross-references, curly quotes and £),
repeated with fresh refs up to ``--standards``, written as Excel writes them: Windows-1252 CSV
with CRLF and quoted multi-line cells, and an XLSX workbook. The app trial is
``sync.standards_import.import_standards`` against the visit (columns, Applies to matched and
the levels not reviewed left out, parts, warnings); the floor reads the same file's cells and
nothing more (``csv.reader`` over the decoded text; openpyxl's read-only rows). Trials
alternate; medians are printed. No budget is set for this row of DESIGN.md: kit import and build
carry theirs (``kit_import.py``, ``kit_build.py``); this figure says what reading the spreadsheet
adds.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from sync.kit_inputs import read_visit  # noqa: E402
from sync.standards_import import import_standards  # noqa: E402
from sync.tables import decode_text  # noqa: E402
from tests.sync import standards_fixtures as shapes  # noqa: E402


def rows(count: int) -> list[list[str]]:
    out = []
    for i in range(count):
        row = list(shapes.ROWS[i % len(shapes.ROWS)])
        row[0] = f"HN-{1000 + i}"
        out.append(row)
    return out


def write_csv(path: Path, body: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([shapes.HEADERS, *body])
    path.write_bytes(buf.getvalue().encode("cp1252"))
    return path


def write_xlsx(path: Path, body: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Standards"
    for row in [shapes.HEADERS, *body]:
        sheet.append(row)
    book.save(path)
    return path


def floor_csv(path: Path) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(decode_text(path.read_bytes()), newline="")))


def floor_xlsx(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in book["Standards"].iter_rows(values_only=True))
    finally:
        book.close()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standards", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rv-bench-standards-") as tmp:
        folder = Path(tmp)
        body = rows(args.standards)
        visit = read_visit(shapes.write_visit(folder / "visit.json")).visit
        files = {
            "CSV (Windows-1252, CRLF)": (write_csv(folder / "s.csv", body), floor_csv),
            "XLSX": (write_xlsx(folder / "s.xlsx", body), floor_xlsx),
        }
        for label, (path, floor) in files.items():
            result = import_standards(path, visit=visit)
            app_times, floor_times = [], []
            for _ in range(args.runs):
                app_times.append(timed(partial(import_standards, path, visit=visit)))
                floor_times.append(timed(partial(floor, path)))
            app, base = statistics.median(app_times), statistics.median(floor_times)
            print(
                f"{label}: {args.standards} rows -> {len(result.standards.standards)} standards "
                f"({len(result.left_out)} left out), import {app * 1000:.0f} ms, "
                f"reading the cells {base * 1000:.0f} ms, ratio {app / base:.2f}x "
                f"(median of {args.runs})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
