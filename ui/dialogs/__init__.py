"""The recording dialogs: evidence seen, a note, an observation, a photo; and the passphrase.

Each has an ``ask()`` classmethod that shows it modally and returns what the reviewer entered
(or None when cancelled), so the window stays simple and tests can patch ``ask``. A dialog's
OK button is enabled only when the input is complete; a hint line says what is missing.
Nothing here writes anything: the caller turns the answer into a session operation.

The dialogs are imported when first named (``ui.dialogs.NoteDialog``), not with the package:
other windows import ``ui.dialogs.base`` for its form helpers, and the photo dialog brings the
camera's module; none of that belongs to the window's start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ui.dialogs.evidence import EvidenceDialog
    from ui.dialogs.note import NoteDialog
    from ui.dialogs.observation import ObservationDialog, ObservationInput
    from ui.dialogs.passphrase import PassphraseDialog
    from ui.dialogs.photo import PhotoDialog, PhotoInput

_WHERE = {
    "EvidenceDialog": "ui.dialogs.evidence",
    "NoteDialog": "ui.dialogs.note",
    "ObservationDialog": "ui.dialogs.observation",
    "ObservationInput": "ui.dialogs.observation",
    "PassphraseDialog": "ui.dialogs.passphrase",
    "PhotoDialog": "ui.dialogs.photo",
    "PhotoInput": "ui.dialogs.photo",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'ui.dialogs' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


__all__ = [
    "EvidenceDialog",
    "NoteDialog",
    "ObservationDialog",
    "ObservationInput",
    "PassphraseDialog",
    "PhotoDialog",
    "PhotoInput",
]
