"""This installation's identity: a UUID made once and kept."""

from __future__ import annotations

import os
import re

from reviewer_app.paths import AppPaths

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
    tmp = file.with_suffix(".tmp")
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, file)
    return value
