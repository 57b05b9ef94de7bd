"""Document search: time to index a kit's documents, and time to search them all.

    .venv/bin/python bench/doc_index.py [--kit /tmp/big.rvkit] [--files 200] [--pages 10] [--runs 5]

Two kits of documents:

1. the big demo kit (``reviewer-app demo kit -o /tmp/big.rvkit --standards 2000
   --evidence-files 200 --evidence-mb 100``, built when missing), opened into a fresh workspace
   and indexed as the window does (``VisitSession.document_index``). Its 200 "PDFs" are random
   bytes behind a PDF header, so every one is refused as unreadable: this measures what it costs
   to find that out for 100 MB;
2. ``--files`` real PDFs of ``--pages`` pages of prose each (reportlab), stored by hash as a
   kit's are (sealed with a visit key), indexed the same way (the index encrypted too). Floor:
   pypdf extracting the same text from the plain files, storing nothing.

Then the median and p95 of searches for a few words (each run ``--runs`` x 20 times) on the
second index, through ``DocumentIndex.search`` (the search thread and its future included).
Each indexing is timed ``--runs`` times from an empty index (median printed); an index already
built is also re-opened and "indexed" again, which reads nothing (the resume path).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ["transfusion", "safeguarding policy", "nurse specialist", "annual rep", "audit", "zzq"]
DOMAIN = (
    "transfusion safeguarding policy nurse specialist annual report audit consultant "
    "haematologist haemoglobinopathy clinic transition network governance competence training "
    "leaflet protocol screening doppler stroke chelation hydroxycarbamide emergency admission "
    "pathway commissioning review outpatient appointments rota staffing job plan"
).split()


def make_pdfs(folder: Path, files: int, pages: int, seed: int = 11) -> list[Path]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    syllables = ["ra", "ne", "to", "li", "mar", "sen", "cu", "dor", "pel", "vi", "an", "os"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)]
    vocab += DOMAIN * 3
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(files):
        path = folder / f"doc-{i:04d}.pdf"
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4)
        for _ in range(pages):
            y = 800
            for _line in range(45):
                c.drawString(50, y, " ".join(rng.choice(vocab) for _ in range(12)))
                y -= 16
            c.showPage()
        c.save()
        path.write_bytes(buf.getvalue())
        out.append(path)
    return out


KEY = os.urandom(32)  # the text PDFs' visit key


def store(paths: list[Path], folder: Path) -> list[object]:
    from reviewer_app.visit.read_model import KitDocument
    from storage import BlobStore

    blobs = BlobStore(folder / "blobs", KEY)
    docs = []
    for i, p in enumerate(paths):
        sha = blobs.put_file(p)
        docs.append(KitDocument(f"E{i:04d}", p.stem, p.name, sha, p.stat().st_size, ()))
    return docs


def index_once(
    folder: Path, docs: list[object], key: bytes, *, fresh: bool
) -> tuple[float, object]:
    from reviewer_app.visit.doc_search import DocumentIndex
    from storage import BlobStore
    from storage.doc_index import index_path

    if fresh:
        for end in ("", "-wal", "-shm"):
            Path(str(index_path(folder)) + end).unlink(missing_ok=True)
    blobs = BlobStore(folder / "blobs", key)
    start = time.perf_counter()
    index = DocumentIndex(folder, docs, blobs.path, key=key)  # type: ignore[arg-type]
    index.start()
    assert index.wait(3600)
    took = time.perf_counter() - start
    return took, index


def floor(pdfs: list[Path]) -> float:
    from pypdf import PdfReader

    start = time.perf_counter()
    for pdf in pdfs:
        reader = PdfReader(pdf)
        for page in reader.pages:
            page.extract_text()
    return time.perf_counter() - start


def demo_kit_documents(kit: Path, work: Path) -> tuple[Path, list[object], bytes]:
    os.environ["REVIEWER_APP_HOME"] = str(work / "home")
    os.environ.setdefault("REVIEWER_APP_PASSPHRASE", "doc-index bench")  # with no keyring
    from reviewer_app.app.keys import visit_key
    from reviewer_app.app.paths import AppPaths
    from reviewer_app.demo.kits import build_demo_kit
    from reviewer_app.visit.read_model import KitDocument
    from reviewer_app.visit.workspaces import device_id, open_kit, workspace_path
    from storage import Workspace

    if not kit.exists():
        print(f"building {kit} (2,000 standards, 200 evidence files, 100 MB)…", flush=True)
        build_demo_kit(kit, standards=2000, evidence_files=200, evidence_mb=100)
    paths = AppPaths.from_environment()
    opened = open_kit(kit, "m-lead", paths=paths, demo=True)
    file = workspace_path(paths, opened.visit_id)
    key = visit_key(paths, opened.visit_id)
    with Workspace.open(file, key=key, device_id=device_id(paths), backup=False) as ws:
        rows = ws.evidence_index()
    docs = [KitDocument(r["id"], r["title"], r["file"], r["sha256"], r["size"], ()) for r in rows]
    return file.parent, docs, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, default=Path("/tmp/big.rvkit"))
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rv-docindex-"))
    try:
        folder, docs, key = demo_kit_documents(args.kit, work)
        times = []
        for _ in range(args.runs):
            took, index = index_once(folder, docs, key, fresh=True)
            index.close()  # type: ignore[attr-defined]
            times.append(took)
        progress = index.progress()  # type: ignore[attr-defined]
        size = sum(d.size for d in docs) / 1e6  # type: ignore[attr-defined]
        print(
            f"big demo kit: {len(docs)} files, {size:.0f} MB: indexed in "
            f"{statistics.median(times):.2f} s median of {args.runs} "
            f"({len(progress.not_searchable)} not searchable: random bytes, as built)"
        )

        text = work / "text"
        pdfs = make_pdfs(work / "pdfs", args.files, args.pages)
        docs = store(pdfs, text)
        mb = sum(p.stat().st_size for p in pdfs) / 1e6
        floors, times = [], []
        for _ in range(args.runs):
            floors.append(floor(pdfs))
            took, index = index_once(text, docs, KEY, fresh=True)
            index.close()  # type: ignore[attr-defined]
            times.append(took)
        pages = args.files * args.pages
        f, t = statistics.median(floors), statistics.median(times)
        from storage.doc_index import index_path

        stored = index_path(text).stat().st_size / 1e6
        print(
            f"text PDFs: {args.files} files x {args.pages} pages ({pages} pages, {mb:.1f} MB): "
            f"indexed in {t:.2f} s median ({pages / t:.0f} pages/s); floor (pypdf text only) "
            f"{f:.2f} s; ratio {t / f:.2f}; index file {stored:.1f} MB"
        )
        again, index = index_once(text, docs, KEY, fresh=False)
        print(f"re-opening the indexed kit: {again * 1000:.0f} ms (nothing read again)")

        samples: dict[str, list[float]] = {w: [] for w in WORDS}
        for _ in range(args.runs):
            for word in WORDS:
                for _ in range(20):
                    start = time.perf_counter()
                    results = index.search(word).result(60)  # type: ignore[attr-defined]
                    samples[word].append(time.perf_counter() - start)
        every = sorted(s for v in samples.values() for s in v)
        p95 = every[int(len(every) * 0.95) - 1]
        print(
            f"search ({len(every)} searches of {', '.join(repr(w) for w in WORDS)}): median "
            f"{statistics.median(every) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
        )
        for word in WORDS:
            results = index.search(word).result(60)  # type: ignore[attr-defined]
            print(
                f"  {word!r}: median {statistics.median(samples[word]) * 1000:.2f} ms, "
                f"{results.summary()}"
            )
        index.close()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
