"""``Progress``: how long work says how far it has got. One shape for every layer above.

``progress(done, total, what)``: ``done`` of ``total`` units (files, bytes, pages, snapshots)
of the step named ``what`` ("Sending findings", "Writing the report", a bundle's file name).
``total`` 0 means not known yet. It is called on the thread doing the work: a window passes a
function that posts to its UI thread (a signal's ``emit``), the command line one that prints.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, what: str) -> None:  # noqa: ARG001 (a Progress)
    """A :data:`Progress` that tells no one: the default when nobody is watching."""
