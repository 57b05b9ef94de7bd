"""This installation's identity: a UUID made once and kept, and its device key.

The device key signs this laptop's operations; its PEM is kept sealed (``storage.blob_crypto``)
with the installation's ``DEVICE_KEY`` key (keyring, or passphrase), never in the clear. A plain
PEM an older version wrote is re-written sealed the first time it is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.app.paths import AppPaths
from storage.files import write_atomic

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# A UUID as str(uuid.uuid4()) writes it. Checked without the uuid module, which is imported
# only to make one (it brings platform: 1 ms of every start-up otherwise).
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def device_id(paths: AppPaths) -> str:
    """Return this laptop's device id, making it the first time it is asked for."""
    file = paths.device_id_file
    try:
        value = file.read_text(encoding="ascii").strip()
        if _UUID.fullmatch(value):
            return value
    except (FileNotFoundError, ValueError):
        pass
    import uuid  # noqa: PLC0415 (see above)

    file.parent.mkdir(parents=True, exist_ok=True)
    value = str(uuid.uuid4())
    write_atomic(file, f"{value}\n".encode("ascii"))
    return value


def device_key_file(paths: AppPaths) -> Path:
    """Where this laptop's device key lives: beside its device id (mode 0600)."""
    return paths.device_id_file.with_name("device_key.pem")


def device_key(paths: AppPaths) -> Ed25519PrivateKey:
    """This laptop's Ed25519 device key (DESIGN.md "Team bundle"), made the first time it is
    asked for. Two processes asking at once get the same key: the file is created exclusively,
    and the loser of the race reads the winner's. Raises a ``VisitKeyError`` (a sentence)
    when the installation's key for it cannot be had."""
    return _device_key_at(device_key_file(paths))


def device_key_for_workspace(workspace_file: Path) -> Ed25519PrivateKey:
    """The device key of the installation a workspace belongs to: workspaces live at
    ``<data>/visits/<visit id>/workspace.sqlite``, the key at ``<data>/device_key.pem``."""
    return _device_key_at(Path(workspace_file).parent.parent.parent / "device_key.pem")


def _device_key_at(file: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey as Key,
    )

    from reviewer_app.app.keys import DEVICE_KEY, laptop_key_in  # noqa: PLC0415
    from storage import blob_crypto  # noqa: PLC0415

    sealing = laptop_key_in(file.parent, DEVICE_KEY)
    for _attempt in range(3):
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            pass
        else:
            plain = not data.startswith(blob_crypto.MAGIC)
            pem = data if plain else blob_crypto.decrypt_bytes(data, sealing, what=str(file))
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, Key):
                raise ValueError(f"{file} does not hold an Ed25519 key")
            if plain:  # an older version's: sealed from now on
                write_atomic(file, blob_crypto.encrypt_bytes(pem, sealing), mode=0o600)
            return key
        file.parent.mkdir(parents=True, exist_ok=True)
        key = Key.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:  # fails if another process made one meanwhile: use theirs
            write_atomic(file, blob_crypto.encrypt_bytes(pem, sealing), mode=0o600, exclusive=True)
        except FileExistsError:
            continue
        return key
    raise OSError(f"cannot make this laptop's device key at {file}")
