"""Hostile and broken photos: time and peak memory of adding each, in a fresh process.

    .venv/bin/python bench/big_photo.py

Issue 13: a 420 KB PNG of 12000 x 12000 pixels was decoded (1.9 GB, 7.5 s) before anything
looked at its size. Each trial runs ``BlobStore.add_photo`` on one file in its own child
process and prints the outcome (the sentence a reviewer reads, or the stored size), the
seconds it took and the child's own peak RSS (``VmHWM``: ``ru_maxrss`` would carry this
process's peak across fork and exec). The files are made here: the 12000 x 12000 PNG
(``tests/storage/test_photos_hostile.py`` writes it row by row), a camera-sized JPEG, and the
same JPEG cut short.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from tests.storage.test_photos_hostile import one_colour_png  # noqa: E402

CHILD = """
import json, os, sys, time
from pathlib import Path
from storage import BlobStore, NotAnImage
data = Path(sys.argv[1]).read_bytes()
start = time.perf_counter()
try:
    sha = BlobStore(Path(sys.argv[2]), os.urandom(32)).add_photo(data)
    outcome = f"stored ({(Path(sys.argv[2]) / sha[:2] / sha).stat().st_size:,} bytes)"
except NotAnImage as exc:
    outcome = f"refused: {exc}"
seconds = time.perf_counter() - start
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak / 1024}))
"""


def camera_jpeg() -> bytes:
    img = Image.new("RGB", (4032, 3024), (90, 140, 60))
    for x in range(0, 4032, 16):  # detail, so that the JPEG is camera-sized
        img.paste((x % 256, 200, 30), (x, 0, x + 6, 3024))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="rv-bench-photo-") as tmp:
        folder = Path(tmp)
        jpeg = camera_jpeg()
        files = {
            "PNG 12000 x 12000 (hostile)": one_colour_png(12000, 12000),
            "JPEG 4032 x 3024 (a phone's)": jpeg,
            "the same JPEG cut short": jpeg[: len(jpeg) // 2],
        }
        for label, data in files.items():
            path = folder / "photo"
            path.write_bytes(data)
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), str(folder / "blobs")],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout)
            print(
                f"{label}, {len(data) / 1024:,.0f} KB: {r['seconds']:.2f} s, "
                f"peak RSS {r['peak_mb']:.0f} MB; {r['outcome']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
