"""A bundle of a million operations, imported the way the lead imports one: time, peak RSS, outcome.

    .venv/bin/python bench/big_bundle.py [--ops 1000000] [--fields 5000] [--standards 0]
                                         [--honest] [--seal-every 0]

The bundle is a real format version 2 bundle, streamed (``tests/sync/bundle_tools.write_bundle``:
the format's manifest, seal references and encryption from ``sync.bundles``): its ops sealed by the
member's own device key, whose binding it carries, and encrypted with the kit's team key, as a
reviewer's laptop would write it. Two shapes:

- ``hostile`` (default): ``--ops`` tiny operations by a team member on ``--fields`` note fields,
  none seeing another (the issue's bundle: a million ops leaving 995,000 conflicts);
- ``honest`` (``--honest``): every op on its own field of the member's judgements.

``--seal-every N`` seals the ops N at a time (0: in one seal, as a laptop seals what it has not
sealed yet): a bundle of many small seals, each read and verified on its own (``seals.bin``).

``--standards N`` opens a synthetic kit of N standards (``build_demo_kit``) instead of the demo
kit: with 2,000 standards a million-op bundle is within the visit's limit and is imported.
The import runs in a fresh child process (``import_visit_bundles``, as ``reviewer-app bundle
import`` does); printed: ops, seconds, the child's peak RSS (its own ``VmHWM``: ``RUSAGE_CHILDREN``
would carry the writing parent's peak across fork and exec), the outcome.
Budget (DESIGN.md): refused or imported with peak RSS <= 300 MB.

The workspace is encrypted (the only mode); with no keyring here, its key is wrapped with a
passphrase both processes are given (``REVIEWER_APP_PASSPHRASE``), at a low scrypt cost so that
unwrapping it does not count in the child's time or memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewer_app.app.paths import AppPaths  # noqa: E402
from reviewer_app.demo.kits import build_demo_kit  # noqa: E402
from reviewer_app.visit.model import JUDGEMENT, NOTE, judgement_id  # noqa: E402
from reviewer_app.visit.workspaces import open_kit, open_workspace, workspace_path  # noqa: E402
from storage import Op, visit_keys  # noqa: E402
from tests.sync import bundle_tools  # noqa: E402

MEMBER = "m-cns"
DEVICE = str(uuid.UUID(int=7))
KEYS_ENV = {
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # no keyring: a wrapped key
    "REVIEWER_APP_PASSPHRASE": "big-bundle bench passphrase",
}

CHILD = """
import sys
from pathlib import Path
from reviewer_app.team.bundles import import_visit_bundles
from reviewer_app.app.paths import AppPaths
home, visit, bundle = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
[receipt] = import_visit_bundles(paths, visit, [bundle])
status = open("/proc/self/status").read().splitlines()
print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))
print(receipt.summary())
"""


def hostile_ops(n: int, fields: int) -> Iterator[Op]:
    for i in range(n):
        yield Op(
            str(uuid.UUID(int=i + 1)),
            f"{1_780_000_000_000 + i:015d}.000000",
            DEVICE,
            MEMBER,
            NOTE,
            f"note-{i % fields}",
            "text",
            "x",
            None,
        )


def honest_ops(n: int, refs: list[str]) -> Iterator[Op]:
    per_ref = max(1, n // (len(refs) * 3)) + 1
    for i in range(n):
        ref = refs[(i // per_ref) % len(refs)]
        component = ("shc", "lht", "net")[i // (per_ref * len(refs)) % 3]
        yield Op(
            str(uuid.UUID(int=i + 1)),
            f"{1_780_000_000_000 + i:015d}.000000",
            DEVICE,
            MEMBER,
            JUDGEMENT,
            judgement_id(ref, component, MEMBER),
            f"part.{i % per_ref}",
            i % 2 == 0,
            None,
        )


def write_bundle(  # noqa: PLR0913 (each names what the bundle says)
    out: Path,
    ops: Iterator[Op],
    *,
    count: int,
    visit: str,
    kit: str,
    key: bytes,
    seal_every: int = 0,
) -> None:
    """A bundle of ``ops`` by ``MEMBER`` on device ``DEVICE``, sealed by a key of that device
    (its binding in the bundle) and encrypted with the team ``key`` (bench/kill_actions.py
    makes its bundle with it too)."""
    manifest = bundle_tools.write_bundle(
        out,
        ops,
        visit_id=visit,
        kit_id=kit,
        team_key=key,
        member_id=MEMBER,
        device_id=DEVICE,
        signers=[bundle_tools.Signer(MEMBER, device_id=DEVICE)],
        seal_every=seal_every,
    )
    assert manifest.op_count == count, (manifest.op_count, count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1_000_000)
    parser.add_argument("--fields", type=int, default=5_000)
    parser.add_argument("--standards", type=int, default=0, help="0: the demo kit")
    parser.add_argument("--honest", action="store_true")
    parser.add_argument("--seal-every", type=int, default=0, help="0: one seal")
    parser.add_argument("--source", type=Path, default=ROOT, help="code the import runs")
    args = parser.parse_args()
    os.environ.update(KEYS_ENV)
    visit_keys.SCRYPT_N = 2**10  # the wrapped key file records it: the child unwraps it cheaply
    with tempfile.TemporaryDirectory(prefix="bench-big-bundle-") as tmp:
        work = Path(tmp)
        kit_file = work / "kit.rvkit"
        build_demo_kit(kit_file, standards=args.standards or None)
        home = work / "lead"
        paths = AppPaths(home / "data", home / "config", home / "cache", home / "logs")
        visit = open_kit(kit_file, "m-lead", paths=paths, demo=True).visit_id
        with open_workspace(paths, workspace_path(paths, visit)) as ws:
            info = ws.kit_info()
            assert info is not None
            key = bytes.fromhex(json.loads(info["manifest_json"])["team_key"])
            kit_id = str(info["kit_id"])
            refs = [str(s["ref"]) for s in ws.standards()]
        ops = honest_ops(args.ops, refs) if args.honest else hostile_ops(args.ops, args.fields)
        bundle = work / "big.rvbundle"
        start = time.perf_counter()
        write_bundle(
            bundle,
            ops,
            count=args.ops,
            visit=visit,
            kit=kit_id,
            key=key,
            seal_every=args.seal_every,
        )
        shape = "honest" if args.honest else f"hostile, {args.fields:,} fields"
        if args.seal_every:
            shape += f", a seal every {args.seal_every:,} ops"
        kit = f"{args.standards:,}-standard kit" if args.standards else "demo kit"
        print(
            f"bundle: {args.ops:,} ops ({shape}), {kit}, {bundle.stat().st_size / 1e6:.1f} MB, "
            f"written in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(home), visit, str(bundle)],
            cwd=args.source,
            capture_output=True,
            text=True,
            check=False,
            env={"PYTHONPATH": str(args.source), "PATH": "/usr/bin:/bin", **KEYS_ENV},
        )
        seconds = time.perf_counter() - start
    peak_kb, _, outcome = done.stdout.strip().partition("\n")
    if done.returncode or not peak_kb.isdigit():
        print(done.stderr.strip() or done.stdout.strip(), file=sys.stderr)
        return 1
    peak_mb = int(peak_kb) / 1024
    print(f"ops: {args.ops:,}")
    print(f"seconds: {seconds:.1f}")
    print(f"peak RSS of the importing process: {peak_mb:.0f} MB (budget <= 300 MB)")
    print(f"outcome: {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
