"""This installation's identity: a UUID made once and kept."""

from __future__ import annotations

import os
import uuid

from reviewer_app.paths import AppPaths


def device_id(paths: AppPaths) -> str:
    """Return this laptop's device id, making it the first time it is asked for."""
    file = paths.device_id_file
    try:
        value = file.read_text(encoding="ascii").strip()
        uuid.UUID(value)
        return value
    except (FileNotFoundError, ValueError):
        pass
    file.parent.mkdir(parents=True, exist_ok=True)
    value = str(uuid.uuid4())
    tmp = file.with_suffix(".tmp")
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, file)
    return value
