"""Who wrote what: device keys, seals over operations, key bindings, signed findings.

DESIGN.md "Team bundle" (format version 2): every laptop has an Ed25519 **device key**, made the
first time it opens a visit (``reviewer_app.app.device.device_key``). Three things are signed
with it:

- a **seal**: the author's signature over a list of its operations (the SHA-256 of each op's
  canonical line, ``Op.to_json_line()``), for one visit and one member. One Ed25519 check
  covers thousands of ops: checking each op's own signature would cost ~250 us an op here, ten
  seconds for a lead merging 40,000, while hashing a line costs ~1 us. An op is authentic when
  its line's hash is in a seal whose signature verifies with the key pinned for the member
  the op names. Seals travel with the ops, so relayed ops verify by their authors' keys.
- a **binding**: "member M's device D has public key K on visit V", signed by K itself (a key
  nobody holds cannot be bound to anyone).
- a snapshot's ``findings.json``: the signature is over its exact bytes.

Every signed message but the findings starts with its own prefix, so no signature made for one
purpose verifies for another (``findings.json`` starts with ``{``).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "Binding",
    "Seal",
    "SealError",
    "fingerprint",
    "fingerprint_words",
    "op_hash",
    "public_hex",
    "sign_findings",
    "verify_findings",
]

SEAL_FORMAT = "reviewer-app.seal"
BINDING_FORMAT = "reviewer-app.device-binding"
_SEAL_PREFIX = b"reviewer-app seal v2\n"
_BINDING_PREFIX = b"reviewer-app device binding v1\n"
PUBLIC_HEX = 64  # 32 raw bytes
SIGNATURE_HEX = 128  # 64 raw bytes
MAX_SEAL_OPS = 5_000_000


class SealError(ValueError):
    """A seal or binding that is malformed (not one that fails to verify: see ``verify``)."""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The key's 32 raw public bytes in lower-case hex: how bundles and pins name it."""
    return public_raw(key).hex()


def _public_key(hex_key: str) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(hex_key)
        if len(raw) != PUBLIC_HEX // 2:
            raise ValueError("not 32 bytes")
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise SealError(f"{hex_key[:20]!r} is not an Ed25519 public key") from exc


def _verify(hex_key: str, signature_hex: str, message: bytes) -> bool:
    try:
        signature = bytes.fromhex(signature_hex)
    except (ValueError, TypeError):
        return False
    try:
        _public_key(hex_key).verify(signature, message)
    except (InvalidSignature, SealError):
        return False
    return True


def op_hash(line: bytes) -> bytes:
    """The 32-byte SHA-256 of one op's canonical line (UTF-8, no newline)."""
    return hashlib.sha256(line).digest()


# -- fingerprints people read aloud ----------------------------------------------------------------

# 256 short, common, distinct English words: byte b of the fingerprint is WORDS[b]. Chosen to be
# easy to say and hear on a ward (no homophones among them, no two that differ by one sound).
WORDS = (
    "acorn", "actor", "adult", "agent", "alarm", "album", "alpha", "amber",
    "angle", "ankle", "apple", "apron", "arena", "arrow", "atlas", "attic",
    "award", "bacon", "badge", "baker", "banjo", "barn", "basin", "beach",
    "beard", "bench", "berry", "bike", "bison", "blade", "blanket", "bloom",
    "board", "bonus", "boots", "bottle", "bread", "brick", "bridge", "brush",
    "bucket", "buffalo", "button", "cabin", "cable", "cactus", "camel", "candle",
    "canoe", "canyon", "carpet", "carrot", "castle", "cattle", "cello", "chalk",
    "cheese", "cherry", "chess", "chimney", "cider", "cinema", "circus", "clock",
    "cloud", "clover", "coast", "cobra", "cocoa", "comet", "copper", "coral",
    "cotton", "cowboy", "crane", "crater", "crayon", "cricket", "crown", "cube",
    "daisy", "dance", "delta", "desert", "diamond", "dinner", "dolphin", "donkey",
    "dragon", "drum", "eagle", "earth", "echo", "elbow", "elephant", "ember",
    "engine", "falcon", "feather", "fence", "ferry", "fiddle", "finger", "flag",
    "flute", "forest", "fossil", "fountain", "fox", "frost", "galaxy", "garden",
    "garlic", "ginger", "giraffe", "glacier", "globe", "goat", "gold", "gorilla",
    "grape", "gravel", "guitar", "hammer", "harbour", "harp", "hazel", "helmet",
    "heron", "hippo", "honey", "horse", "igloo", "island", "ivory", "jacket",
    "jaguar", "jelly", "jigsaw", "jungle", "kayak", "kennel", "kettle", "kitten",
    "koala", "ladder", "lagoon", "lantern", "lemon", "leopard", "letter", "lily",
    "lion", "lizard", "lobster", "locket", "lotus", "magnet", "mango", "maple",
    "marble", "meadow", "melon", "mirror", "monkey", "moose", "mosaic", "mountain",
    "muffin", "museum", "needle", "nest", "noodle", "oasis", "ocean", "octopus",
    "olive", "onion", "orange", "orbit", "orchid", "otter", "owl", "oyster",
    "paddle", "palace", "panda", "parrot", "peach", "peanut", "pebble", "pencil",
    "pepper", "piano", "pigeon", "pillow", "pirate", "planet", "plum", "pocket",
    "pony", "potato", "pretzel", "puffin", "pumpkin", "puzzle", "quartz", "quilt",
    "rabbit", "radar", "raft", "rainbow", "raven", "ribbon", "river", "robot",
    "rocket", "saddle", "salmon", "sandal", "saturn", "scarf", "shark", "shell",
    "silver", "sketch", "sledge", "snail", "spider", "sponge", "squirrel", "statue",
    "strawberry", "sunset", "swan", "table", "teapot", "temple", "thunder", "tiger",
    "tomato", "topaz", "tortoise", "tractor", "trumpet", "tulip", "turnip", "umbrella",
    "unicorn", "valley", "velvet", "violin", "volcano", "wagon", "walnut", "walrus",
)  # fmt: skip
FINGERPRINT_WORDS = 6


def fingerprint(public_key_hex: str) -> bytes:
    """The SHA-256 of a device's 32 raw public bytes (what its words are made from)."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).digest()


def fingerprint_words(public_key_hex: str, count: int = FINGERPRINT_WORDS) -> str:
    """Six words, one per byte of the key's fingerprint, for two people to read aloud and
    compare (48 bits: a forger would need ~2**47 tries to match them)."""
    return " ".join(WORDS[b] for b in fingerprint(public_key_hex)[:count])


# -- bindings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Binding:
    """Member ``member_id``'s device ``device_id`` signs with ``public_key`` (hex) on the visit.

    Not a ``storage.records.Record``: it is hostile input, refused with ``SealError``'s own
    messages and length checks."""

    visit_id: str
    member_id: str
    device_id: str
    public_key: str
    signature: str

    def _message(self) -> bytes:
        body = {
            "format": BINDING_FORMAT,
            "visit_id": self.visit_id,
            "member_id": self.member_id,
            "device_id": self.device_id,
            "public_key": self.public_key,
        }
        return _BINDING_PREFIX + _canonical(body)

    @classmethod
    def make(
        cls, key: Ed25519PrivateKey, *, visit_id: str, member_id: str, device_id: str
    ) -> Binding:
        unsigned = cls(visit_id, member_id, device_id, public_hex(key), "")
        return cls(
            visit_id, member_id, device_id, unsigned.public_key,
            key.sign(unsigned._message()).hex(),
        )  # fmt: skip

    def verify(self) -> bool:
        """True when the binding is signed by the key it names."""
        return _verify(self.public_key, self.signature, self._message())

    def to_dict(self) -> dict[str, str]:
        return {
            "visit_id": self.visit_id,
            "member_id": self.member_id,
            "device_id": self.device_id,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Binding:
        if not isinstance(d, Mapping):
            raise SealError("a device binding is not a JSON object")
        values = [d.get(k) for k in ("visit_id", "member_id", "device_id", "public_key")]
        signature = d.get("signature")
        if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in [*values, signature]):
            raise SealError("a device binding lacks its visit, member, device, key or signature")
        visit_id, member_id, device_id, public_key = (str(v) for v in values)
        binding = cls(visit_id, member_id, device_id, public_key, str(signature))
        if len(binding.public_key) != PUBLIC_HEX or len(binding.signature) != SIGNATURE_HEX:
            raise SealError("a device binding's key or signature has the wrong length")
        return binding

    @property
    def words(self) -> str:
        return fingerprint_words(self.public_key)


# -- seals ---------------------------------------------------------------------------------------

#: A seal as stored and carried: ``signature`` (64 raw bytes), the body's length (4 bytes, big
#: endian), the body (canonical JSON, at most MAX_SEAL_BODY bytes), then ``count`` x 32 bytes of
#: op hashes, raw: a seal over a million ops is 32 MB, read straight into one bytes object.
SEAL_HEADER = struct.Struct(">64sI")
MAX_SEAL_BODY = 4096


@dataclass(frozen=True, slots=True)
class Seal:
    """A device's signature over some of its ops.

    ``hashes`` are the ops' 32-byte hashes end to end (``op_at`` reads one); ``body`` is the
    exact signed JSON (visit, member, device, key, time, count and a random nonce), kept and
    relayed as it is; ``signature`` is hex, over the prefix, the body, a newline and the
    hashes. ``seal_id`` is not a name the seal gives itself but the SHA-256 of what is signed:
    two different seals never share an id, so no seal can stand in for another.
    """

    seal_id: str
    visit_id: str
    member_id: str
    device_id: str
    public_key: str
    created_at: str
    hashes: bytes
    body: bytes
    signature: str

    @property
    def count(self) -> int:
        return len(self.hashes) // 32

    def op_at(self, pos: int) -> bytes:
        """The hash of the op at ``pos`` in the seal's list (``b""`` past its end)."""
        return self.hashes[32 * pos : 32 * pos + 32] if pos >= 0 else b""

    @classmethod
    def make(  # noqa: PLR0913 (each names a fact the signature covers)
        cls,
        key: Ed25519PrivateKey,
        *,
        seal_id: str,
        visit_id: str,
        member_id: str,
        device_id: str,
        created_at: str,
        op_hashes: Sequence[bytes],
    ) -> Seal:
        """Seal ``op_hashes``; ``seal_id`` is a random nonce the body carries (the seal's id
        is then the hash of what is signed)."""
        hashes = b"".join(op_hashes)
        body = _canonical(
            {
                "format": SEAL_FORMAT,
                "nonce": seal_id,
                "visit_id": visit_id,
                "member_id": member_id,
                "device_id": device_id,
                "public_key": public_hex(key),
                "created_at": created_at,
                "count": len(hashes) // 32,
            }
        )
        signature = key.sign(_seal_message(body, hashes)).hex()
        return cls.parse(body, hashes, signature)

    def verify(self) -> bool:
        """True when the seal is signed by the key it names (whether that key is the member's
        is the pins' business, not the seal's)."""
        return _verify(self.public_key, self.signature, _seal_message(self.body, self.hashes))

    @classmethod
    def parse(cls, body: bytes, hashes: bytes, signature: str) -> Seal:
        """A seal from its exact parts; ``SealError`` when malformed."""
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise SealError("a seal is not valid JSON") from exc
        if not isinstance(doc, dict) or doc.get("format") != SEAL_FORMAT:
            raise SealError("a seal is not a seal")
        names = ("visit_id", "member_id", "device_id", "public_key", "created_at")
        values = [doc.get(n) for n in names]
        if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in values):
            raise SealError("a seal lacks its visit, member, device, key or time")
        count = doc.get("count")
        if type(count) is not int or count * 32 != len(hashes):
            raise SealError("a seal's count does not match its list of operations")
        if not isinstance(signature, str) or len(signature) != SIGNATURE_HEX:
            raise SealError("a seal's signature has the wrong length")
        visit_id, member_id, device_id, public_key, created_at = (str(v) for v in values)
        seal_id = hashlib.sha256(_seal_message(body, hashes)).hexdigest()
        return cls(
            seal_id, visit_id, member_id, device_id, public_key, created_at, hashes, body,
            signature,
        )  # fmt: skip

    def to_record(self) -> bytes:
        """The seal as carried (see :data:`SEAL_HEADER`)."""
        return (
            SEAL_HEADER.pack(bytes.fromhex(self.signature), len(self.body))
            + self.body
            + (self.hashes)
        )

    @classmethod
    def read_record(cls, read: Callable[[int], bytes], most_ops: int) -> Seal | None:
        """The next seal from ``read`` (``None`` at the end); ``SealError`` when what is there
        is not a seal, or lists more than ``most_ops`` ops (memory is only spent on a seal
        whose header is sane)."""
        header = read(SEAL_HEADER.size)
        if not header:
            return None
        if len(header) != SEAL_HEADER.size:
            raise SealError("a seal is cut short")
        signature, size = SEAL_HEADER.unpack(header)
        if size > MAX_SEAL_BODY:
            raise SealError("a seal's body is too long")
        body = read(size)
        try:
            count = json.loads(body).get("count")
        except (ValueError, RecursionError, AttributeError) as exc:
            raise SealError("a seal is not valid JSON") from exc
        if type(count) is not int or not 0 <= count <= most_ops:
            raise SealError("a seal lists more operations than its bundle could")
        hashes = read(32 * count)
        if len(hashes) != 32 * count:
            raise SealError("a seal is cut short")
        return cls.parse(body, hashes, signature.hex())


def _seal_message(body: bytes, hashes: bytes) -> bytes:
    return _SEAL_PREFIX + body + b"\n" + hashes


#: The lead's decision on another key for a member: an op on this entity, ``entity_id`` from
#: :func:`key_decision_id`, field :data:`DECISION`, value :data:`ACCEPT` or :data:`REJECT`.
DEVICE_KEY_ENTITY = "device_key"
DECISION = "decision"
ACCEPT = "accepted"
REJECT = "rejected"


def key_decision_id(member_id: str, public_key: str) -> str:
    return f"{member_id}:{public_key}"


# -- signed findings ---------------------------------------------------------------------------


def sign_findings(key: Ed25519PrivateKey, findings_json: bytes) -> str:
    """The hex Ed25519 signature of a snapshot's exact ``findings.json`` bytes."""
    return key.sign(findings_json).hex()


def verify_findings(public_key: str, findings_json: bytes, signature: str) -> bool:
    return _verify(public_key, signature, findings_json)
