"""Reading one password from the desktop's Secret Service (GNOME Keyring, KWallet...) quickly,
as a window starts.

    secret = read_password(service, account)   # the secret, or None: ask keyring instead

keyring reads the same entry, but importing it and having it choose its backend costs some
0.2-0.25 s here (it loads every backend it knows; ``jaraco.context`` brings urllib and email
along), all before the first paint when the visit to open needs its key. This reads exactly
what keyring's Secret Service backend reads (the default collection, attributes ``username``
and ``service``, the first item found), with the same transport encryption
(``dh-ietf1024-sha256-aes128-cbc-pkcs7``: the secret never crosses the bus in the clear) and
only jeepney, the D-Bus library keyring's backend uses itself, in a few milliseconds.

It only ever answers the plain case: anything else (no session bus, no default collection, a
locked collection or item, no such entry, an error) is ``None``, and the caller asks keyring,
which unlocks, prompts, explains, and finds other backends. Writing and deleting stay with
keyring. Imports nothing of ours.
"""

from __future__ import annotations

import hmac
import logging
import os
from hashlib import sha256
from typing import Any

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
ALGORITHM = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
EXPONENT_BYTES = 32  # the Diffie-Hellman private exponent (see _read)
TIMEOUT_S = 2.0  # a Secret Service that does not answer this soon is left to keyring
# RFC 2409's second Oakley group, the prime the algorithm above names.
DH_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)


def read_password(service: str, account: str) -> str | None:
    """The secret kept for ``account`` of ``service``, or None when it cannot be read this way
    (then keyring is asked: it unlocks, prompts and explains)."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        from jeepney.io.blocking import open_dbus_connection  # noqa: PLC0415 (see above)
    except ImportError:  # not on Linux, or installed without it: keyring's way
        return None
    # _decrypt's cipher, imported now: the window's start runs this on a thread of its own,
    # and now is before PySide6 is imported (whose import hook makes every later import dearer).
    import cryptography.hazmat.primitives.ciphers  # noqa: F401, PLC0415

    try:
        with open_dbus_connection(bus="SESSION") as conn:
            return _read(conn, service, account)
    except Exception as exc:  # any surprise: keyring's way, which says what is wrong
        log.info("the Secret Service was not read directly (%s)", type(exc).__name__)
        return None


def _read(conn: Any, service: str, account: str) -> str | None:
    from jeepney import DBusAddress, Properties, new_method_call  # noqa: PLC0415
    from jeepney.wrappers import unwrap_msg  # noqa: PLC0415

    def call(address: DBusAddress, method: str, signature: str, *args: Any) -> Any:
        reply = conn.send_and_get_reply(
            new_method_call(address, method, signature, args), timeout=TIMEOUT_S
        )
        return unwrap_msg(reply)

    collection = DBusAddress(DEFAULT_COLLECTION, BUS_NAME, "org.freedesktop.Secret.Collection")
    reply = conn.send_and_get_reply(Properties(collection).get("Locked"), timeout=TIMEOUT_S)
    ((_, locked),) = unwrap_msg(reply)  # (an error: no default collection yet)
    if locked:
        return None
    (items,) = call(collection, "SearchItems", "a{ss}", {"username": account, "service": service})
    if not items:
        return None  # keyring then says whether it is missing, or kept elsewhere
    item = DBusAddress(items[0], BUS_NAME, "org.freedesktop.Secret.Item")
    ((_, locked),) = unwrap_msg(
        conn.send_and_get_reply(Properties(item).get("Locked"), timeout=TIMEOUT_S)
    )
    if locked:
        return None

    # A 256-bit private exponent: the group's 1024-bit prime gives some 80 bits of strength,
    # and an exponent of twice that is enough (RFC 7919, section 5.2); a 1024-bit one made the
    # two modular powers below 4-5 ms of the window's start instead of about 1 ms.
    private = int.from_bytes(os.urandom(EXPONENT_BYTES), "big") | 1 << (EXPONENT_BYTES * 8 - 1)
    public = pow(2, private, DH_PRIME).to_bytes(128, "big")
    secrets = DBusAddress(SERVICE_PATH, BUS_NAME, "org.freedesktop.Secret.Service")
    (signature, server_public), session = call(
        secrets, "OpenSession", "sv", ALGORITHM, ("ay", public)
    )
    try:
        if signature != "ay":
            return None
        shared = pow(int.from_bytes(server_public, "big"), private, DH_PRIME).to_bytes(128, "big")
        # HKDF-SHA256 with no salt and no info, one block: the algorithm's 128-bit AES key.
        aes_key = hmac.new(hmac.new(bytes(32), shared, sha256).digest(), b"\x01", sha256).digest()
        ((_, iv, sealed, _),) = call(item, "GetSecret", "o", session)
        return _decrypt(aes_key[:16], bytes(iv), bytes(sealed)).decode("utf-8")
    finally:
        with_session = DBusAddress(session, BUS_NAME, "org.freedesktop.Secret.Session")
        conn.send(new_method_call(with_session, "Close"))


def _decrypt(key: bytes, iv: bytes, sealed: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415

    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    pad = padded[-1] if padded else 0
    if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
        raise ValueError("the secret's padding is damaged")
    return padded[:-pad]
