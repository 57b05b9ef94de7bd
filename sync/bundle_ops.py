"""The operations of a team bundle: ``ops.jsonl`` and ``seals.bin`` read and checked.

``seals.bin`` is read one seal at a time, each seal's signature and visit checked
(:func:`read_seals`). ``ops.jsonl`` is read ``OP_BATCH`` lines at a time, never whole, against
its manifest's size, hash and count; every line must be an operation as ``Op.from_json`` reads
it, and is matched with the seal ``ops.seals`` names for it (:func:`scan_ops`,
:func:`sealed_batches`). Any failure raises :class:`sync.bundle_format.BundleRefused`.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from array import array
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

from storage import Op
from storage.hlc import HLC_PATTERN
from storage.oplog import MAX_ID_LENGTH, checked_op
from sync.authorship import Seal, SealError
from sync.bundle_format import (
    BAD_SIGNATURE,
    EXPORT_AGAIN,
    MAX_HELD_OPS,
    MAX_OP_LINE,
    MAX_SEALS,
    MAX_SEALS_SIZE,
    OPS_NAME,
    OTHER_VISIT,
    REFS_NAME,
    SEAL_REF,
    UNSIGNED,
    BundleManifest,
    BundleRefused,
    OpLimits,
    SealTable,
    refuse,
    refuse_changed,
)
from sync.zip_reading import CHUNK

#: Ops are parsed, checked and applied this many at a time, so memory holds one batch.
OP_BATCH = 5_000


def read_seals(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, manifest: BundleManifest, name: str
) -> SealTable:
    """Every seal of ``seals.bin``, checked: its signature, and that it is this visit's. Read
    one at a time: memory holds the seals' hashes (32 bytes an op), nothing more."""
    if manifest.seals_size > MAX_SEALS_SIZE or info.file_size != manifest.seals_size:
        refuse_changed(name, "its seals do not match its manifest")
    digest = hashlib.sha256()
    table: SealTable = []
    # Each op is in one seal; a relayed seal may also list ops its relayer held back.
    room = manifest.op_count + MAX_HELD_OPS
    with zf.open(info) as src:

        def read(n: int) -> bytes:
            data = src.read(n)
            digest.update(data)
            return data

        while True:
            try:
                seal = Seal.read_record(read, room)
            except SealError:
                refuse_changed(
                    name, "its seals are not seals, or list more operations than it holds"
                )
            if seal is None:
                break
            room -= seal.count
            if len(table) >= MAX_SEALS:
                refuse(
                    f"{name} holds more than {MAX_SEALS:,} seals, more than a team makes in a "
                    "visit, so nothing was imported: ask its sender where it came from.",
                    "implausible",
                )
            if not seal.verify():
                table.append(BAD_SIGNATURE)
            elif seal.visit_id != manifest.visit_id:
                table.append(OTHER_VISIT)
            else:
                table.append(seal)
    if digest.hexdigest() != manifest.seals_sha256:
        refuse_changed(name, "its seals do not match its manifest")
    return table


def scan_ops(  # noqa: PLR0913, PLR0917 (a step of read_bundle)
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    limits: OpLimits,
    seals: SealTable,
    *,
    keep: bool,
) -> list[Op]:
    """Check every op of ``ops.jsonl`` in batches; the ops themselves when ``keep``.

    A line that is not a valid op is reported only once the whole file's hash is known: a
    file changed after export is "changed", whatever its first bad line looks like.
    """
    kept: list[Op] = []
    per_field = _FieldCounter(limits.max_ops_per_field)
    invalid: BundleRefused | None = None
    for first, lines, refs in _raw_batches(zf, files, manifest, name):
        if invalid is not None:
            continue  # still reading: the hash decides which sentence is true
        try:
            batch = _parse_batch(lines, first, name, refs, seals)
        except BundleRefused as exc:
            invalid = exc
            continue
        for op in batch:
            if per_field.add(op):
                _refuse_busy_field(name, op, limits.max_ops_per_field)
        if keep:
            kept.extend(batch)
    if invalid is not None:
        raise invalid
    return kept


def _raw_batches(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
) -> Iterator[tuple[int, list[bytes], bytes]]:
    """``(first line's number, lines, their entries of ops.seals)``, a batch at a time."""
    with zf.open(files[REFS_NAME]) as refs:
        for first, lines in _line_batches(zf, files[OPS_NAME], manifest, name):
            yield first, lines, refs.read(SEAL_REF.size * len(lines))


def sealed_batches(
    zf: zipfile.ZipFile,
    files: Mapping[str, zipfile.ZipInfo],
    manifest: BundleManifest,
    name: str,
    seals: SealTable,
) -> Iterator[tuple[int, list[Op]]]:
    """``(first line's number, its batch of ops)``, each op marked with its seal; the file is
    checked against the manifest as it is read (by the last batch at the latest)."""
    for first, lines, refs in _raw_batches(zf, files, manifest, name):
        yield first, _parse_batch(lines, first, name, refs, seals)


def _line_batches(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, manifest: BundleManifest, name: str
) -> Iterator[tuple[int, list[bytes]]]:
    """``(number of the first line, lines)`` of ``ops.jsonl``, ``OP_BATCH`` lines at a time.

    Reads at most one byte past the manifest's size. After the last batch (or as soon as the
    file is longer than announced) it checks the size, the hash and the count of lines
    against the manifest and raises :class:`BundleRefused` if any differs.
    """
    digest = hashlib.sha256()
    size = count = 0
    pending = b""
    batch: list[bytes] = []
    with zf.open(info) as src:
        while chunk := src.read(min(CHUNK, manifest.ops_size + 1 - size)):
            size += len(chunk)
            digest.update(chunk)
            if size > manifest.ops_size:
                break
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            if len(pending) > MAX_OP_LINE:
                refuse_changed(name, f"an operation longer than {MAX_OP_LINE:,} bytes")
            batch.extend(lines)
            while len(batch) >= OP_BATCH:
                count += OP_BATCH
                if count > manifest.op_count:
                    break
                yield count - OP_BATCH + 1, batch[:OP_BATCH]
                del batch[:OP_BATCH]
            if count > manifest.op_count:
                break
    if pending:
        batch.append(pending)
    if size != manifest.ops_size or digest.hexdigest() != manifest.ops_sha256:
        refuse_changed(name, "its operations do not match its manifest")
    if count + len(batch) != manifest.op_count:
        lines_read = count + len(batch)
        refuse_changed(
            name, f"{lines_read:,} operations where its manifest says {manifest.op_count:,}"
        )
    if batch:
        yield count + 1, batch


def _parse_batch(
    lines: list[bytes], first: int, name: str, refs: bytes, seals: SealTable
) -> list[Op]:
    """The ops of ``lines`` (line ``first`` onwards), each marked with the seal that covers it
    (``refs``: their entries of ``ops.seals``); :class:`BundleRefused` names a bad line."""
    if len(refs) != SEAL_REF.size * len(lines):
        refuse_changed(name, "its list of seals does not match its operations")
    parsed = _parse_lines_fast(lines)
    ops = None if parsed is None else _sealed_ops(parsed, lines, refs, seals)
    if ops is not None:
        return ops
    slow = []
    for number, line in enumerate(lines, start=first):  # slow, to name the wrong line
        try:
            slow.append(Op.from_json(line).to_dict())
        except ValueError as exc:
            refuse(
                f"{name} has an operation that is not valid (line {number} of ops.jsonl: "
                f"{exc}); nothing was imported: {EXPORT_AGAIN}.",
                "invalid",
            )
    ops = _sealed_ops(slow, lines, refs, seals)
    if ops is None:  # every line is an op alone, yet not all together: not ours
        refuse_changed(name, "its operations are not one per line")
    return ops


def _sealed_ops(  # noqa: C901 (one loop, kept tight: it runs for every op of a merge)
    parsed: list[Any], lines: list[bytes], refs: bytes, seals: SealTable
) -> list[Op] | None:
    """The ops, checked as ``Op.from_json`` checks them (``None`` if any is not well formed),
    each with the seal that covers it: one that lists the hash of its exact line and names its
    member and device. Otherwise ``seal`` is ``None`` and ``seal_pos`` says why."""
    ops: list[Op] = []
    append = ops.append
    sha256 = hashlib.sha256
    count = len(seals)
    keys = _OP_KEYS
    longest = MAX_ID_LENGTH
    hlc_ok = HLC_PATTERN.match
    make = checked_op
    for d, line, (number, pos) in zip(parsed, lines, SEAL_REF.iter_unpack(refs), strict=True):
        if type(d) is not dict or d.keys() != keys:
            return None
        op_id, device, member = d["op_id"], d["device_id"], d["member_id"]
        entity, entity_id, name, hlc, base = (
            d["entity"], d["entity_id"], d["field"], d["hlc"], d["base"]
        )  # fmt: skip
        if not (
            type(op_id) is str
            and type(device) is str
            and type(member) is str
            and type(entity) is str
            and type(entity_id) is str
            and type(name) is str
            and type(hlc) is str
        ):
            return None
        if not (
            0 < len(op_id) <= longest
            and 0 < len(device) <= longest
            and 0 < len(member) <= longest
            and 0 < len(entity) <= longest
            and 0 < len(entity_id) <= longest
            and 0 < len(name) <= longest
            and hlc_ok(hlc)
        ):
            return None
        if base is not None and (type(base) is not str or not base):
            return None
        seal = seals[number] if number < count else UNSIGNED
        if isinstance(seal, int):
            seal_id, seal_pos = None, seal
        elif (
            seal.member_id == member
            and seal.device_id == device
            and seal.op_at(pos) == sha256(line).digest()
        ):
            seal_id, seal_pos = seal.seal_id, pos
        else:
            seal_id, seal_pos = None, UNSIGNED
        append(make(op_id, hlc, device, member, entity, entity_id, name, d["value"], base,
                  seal_id, seal_pos))  # fmt: skip
    return ops


class _FieldCounter:
    """Ops counted per field in fixed memory (4 MB): fields are hashed into 2**20 counters.

    Fields that share a counter only add up, so a field is never under-counted; an honest
    bundle (a few ops on each field) would need thousands of fields in one counter to reach
    the limit, which with even a million fields does not happen.
    """

    SIZE = 1 << 20

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts = array("I", bytes(4 * self.SIZE))

    def add(self, op: Op) -> bool:
        """Count ``op``; true when its field's counter passes the limit."""
        slot = hash((op.entity, op.entity_id, op.field)) & (self.SIZE - 1)
        self.counts[slot] += 1
        return self.counts[slot] > self.limit


def _refuse_busy_field(name: str, op: Op, limit: int) -> NoReturn:
    refuse(
        f"{name} holds more than {limit:,} operations on one field ({op.entity} "
        f"{op.entity_id[:60]!r}, {op.field[:60]}), more than anyone makes by editing it, so "
        "nothing was imported: ask its sender where it came from.",
        "implausible",
    )


_OP_KEYS = frozenset(
    ("op_id", "hlc", "device_id", "member_id", "entity", "entity_id", "field", "value", "base")
)


def _no_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not allowed")


def _parse_lines_fast(lines: list[bytes]) -> list[Any] | None:
    """The lines parsed as one JSON array (parsing 40,000 lines one by one costs more than the
    rest of an import); ``None`` when that fails. Strict JSON (no NaN or infinities) means
    every parsed value can be stored as JSON again."""
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, list) or len(parsed) != len(lines):
        return None
    return parsed
