"""The recording dialogs: evidence seen, a note, an observation, a photo.

Each has an ``ask()`` classmethod that shows it modally and returns what the reviewer entered
(or None when cancelled), so the window stays simple and tests can patch ``ask``. A dialog's
OK button is enabled only when the input is complete; a hint line says what is missing.
Nothing here writes anything: the caller turns the answer into a session operation.
"""

from __future__ import annotations

from ui.dialogs.evidence import EvidenceDialog
from ui.dialogs.note import NoteDialog
from ui.dialogs.observation import ObservationDialog, ObservationInput
from ui.dialogs.photo import PhotoDialog, PhotoInput

__all__ = [
    "EvidenceDialog",
    "NoteDialog",
    "ObservationDialog",
    "ObservationInput",
    "PhotoDialog",
    "PhotoInput",
]
