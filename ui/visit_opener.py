"""Opening a visit without blocking the UI thread: a kit, a workspace, or the demo.

Every step that touches the disk runs on a worker (``ThreadPoolExecutor`` or the visit's storage
worker) and comes back through ``ui.tasks.when_done``:

    kit:   kit_team (verify) -> "who am I" -> open_kit (with progress) -> open_session -> opened
    visit: open_session -> opened        (a damaged workspace -> its backups -> restore -> again)
    demo:  prepare_demo -> open_session -> opened

A problem the user can put right (a refused kit, a missing workspace) is shown in a dialog with
its message; anything else is logged with its traceback and reported once, politely.

A visit's key is got here, on the GUI thread, before the work goes to a worker: without a
password store the passphrase dialog may have to ask for it (``ui.lock``), and the worker then
finds it in memory. As the window starts, the key being fetched ahead (``keys.prefetch``), the
worker waits for it instead, so that the GUI thread goes on building the window meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from reviewer_app.app import keys
from reviewer_app.app.keys import visit_key
from reviewer_app.app.paths import AppPaths
from reviewer_app.demo.kits import demo_visit, prepare_demo
from reviewer_app.visit.session import VisitSession
from reviewer_app.visit.workspaces import (
    OpenedVisit,
    WorkspaceDamaged,
    kit_team,
    open_kit,
    open_session,
    remembered_member,
    restore_workspace,
)
from ui.errors import report_error
from ui.operations import Progress, TaskOp
from ui.tasks import when_done

log = logging.getLogger(__name__)


class VisitOpener(QObject):
    """Runs the open flows for the start screen (and the app at start-up), one at a time."""

    opened = Signal(object)  # VisitSession, loaded and ready
    busy = Signal(str)  # what is happening now; "" when nothing is
    kit_opened = Signal(object)  # Path of a kit opened into a workspace (for recent kits)
    _progress = Signal(int, int, str)  # open_kit's progress, as it goes to the dialog

    def __init__(
        self,
        paths: AppPaths,
        window: QWidget | None = None,
        *,
        demo: bool = False,
        host: Callable[[], QWidget] | None = None,
    ) -> None:
        """``window`` parents the dialogs; or ``host`` gives it when a dialog is needed (the app
        at start-up: the start screen is built only if it has to show)."""
        super().__init__(window)
        assert window is not None or host is not None, "a window for the dialogs"
        self.paths = paths
        self._window = window
        self._host = host
        self.demo = demo
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opener")
        self._working = False
        self.doing = ""  # what the last busy signal said
        self.busy.connect(self._remember_doing)

    @property
    def window(self) -> QWidget:
        """The window the opener's dialogs and messages belong to."""
        if self._window is None:
            assert self._host is not None
            return self._host()
        return self._window

    @property
    def working(self) -> bool:
        return self._working

    def _remember_doing(self, doing: str) -> None:
        self.doing = doing

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def background(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on the opener's worker thread (after any open in progress)."""
        return self._pool.submit(fn, *args)

    # -- the flows --------------------------------------------------------------------------------

    def open_kit(self, kit: Path) -> bool:
        """Check the kit, ask who I am (unless this visit already knows), then open it."""
        if not self._start("Checking the visit kit…"):
            return False

        def check() -> tuple[Any, tuple[Any, ...], str]:
            visit, team = kit_team(kit, paths=self.paths, demo=self.demo)
            return visit, team, remembered_member(self.paths, visit.visit_id)

        self._run(
            self._pool.submit(check),
            lambda checked: self._choose_member(kit, *checked),
            "open this visit kit",
        )
        return True

    def open_visit(self, visit_id: str, title: str = "") -> bool:
        """Open the visit's workspace here (as the member chosen when its kit was opened)."""
        if not self._start("Opening the visit…"):
            return False
        self._load(visit_id, title)
        return True

    def open_demo(self) -> bool:
        """Prepare the demo visit (first time: build and open its kit) and open it as the lead."""
        if not self._start("Preparing the demo visit…"):
            return False
        if not self._key_here(demo_visit().visit_id, "open the demo visit", create=True):
            return False
        prepared: list[str] = []

        def prepare_and_load() -> VisitSession:
            # One trip off the UI thread, not two: the session is read as soon as the demo's
            # workspace is there, while the UI thread goes on with its own start-up.
            prepared.append(prepare_demo(self.paths))
            return open_session(self.paths, prepared[0]).result()

        self._run(
            self._pool.submit(prepare_and_load),
            self._loaded,
            "open the demo visit",
            visit_id=lambda: prepared[0] if prepared else "",
            title="the demo visit",
        )
        return True

    # -- steps ------------------------------------------------------------------------------------

    def _choose_member(self, kit: Path, visit: Any, team: tuple[Any, ...], known: str) -> None:
        member = known if visit.member(known) is not None else None
        if member is None:
            self.busy.emit("")
            from ui.who_am_i import WhoAmIDialog  # noqa: PLC0415 (only when asked: start-up)

            member = WhoAmIDialog.ask(self.window, visit.title, team)
            if member is None:
                self._finish()
                return
        if not self._key_here(visit.visit_id, "open this visit kit", create=True):
            return
        self.busy.emit(f"Opening {visit.title}…")
        chosen: str = member

        def start(progress: Progress) -> Future[OpenedVisit]:
            def stage(done: int, total: int, what: str) -> None:
                progress(done, total, f"{what}…")
                self._progress.emit(done, total, what)

            return self._pool.submit(
                open_kit, kit, chosen, paths=self.paths, demo=self.demo, progress=stage
            )

        def stored(opened: OpenedVisit) -> None:
            self.kit_opened.emit(kit)
            self._load(opened.visit_id, visit.title)

        succeeded, failed = self._steps(
            stored, "open this visit kit", visit_id=visit.visit_id, title=visit.title
        )
        # No Cancel: a kit half opened into a workspace is a damaged workspace.
        task = TaskOp(self.window, start, what="open this visit kit")
        task.with_progress("Opening the visit kit", f"Opening {visit.title}…")
        task.success(succeeded).failure(failed, tell=False).run()

    def _load(self, visit_id: str, title: str) -> None:
        self.busy.emit(f"Opening {title}…" if title else "Opening the visit…")
        if not self._key_here(visit_id, "open this visit"):
            return
        self._run(
            self._pool.submit(lambda: open_session(self.paths, visit_id).result()),
            self._loaded,
            "open this visit",
            visit_id=visit_id,
            title=title,
        )

    def _loaded(self, session: VisitSession) -> None:
        self._working = False
        self.opened.emit(session)  # first: the start screen is hidden before it goes idle
        self._finish()

    def _restore(self, visit_id: str, title: str, problem: WorkspaceDamaged) -> None:
        self.busy.emit("")
        from ui.workspace_problem import WorkspaceProblemDialog  # noqa: PLC0415 (as above)

        backup = WorkspaceProblemDialog.ask(self.window, problem, title)
        if backup is None:
            self._finish()
            return
        self.busy.emit("Restoring the backup…")

        def restored(kept: Path) -> None:
            log.warning("restored %s from %s; the damaged file is %s", visit_id, backup, kept)
            self._load(visit_id, title)

        self._run(
            self._pool.submit(restore_workspace, self.paths, visit_id, backup),
            restored,
            "restore the backup",
        )

    # -- plumbing ---------------------------------------------------------------------------------

    def _key_here(self, visit_id: str, what: str, *, create: bool = False) -> bool:
        """Get the visit's key now, on the GUI thread (a passphrase is asked for here, never on
        a worker); False, with the reason told, when it cannot be had.

        A visit new on this laptop gets its key as its kit is read (``open_kit``), which
        forgets it again if the kit is refused; a new passphrase is then asked for from that
        worker, on this thread (``ui.lock``)."""
        if create and not self.paths.visit_folder(visit_id).exists():
            return True
        if keys.fetching_ahead(visit_id):
            # Still on its way from the password store (the window's start): the worker that
            # opens the visit waits for it, and the GUI thread goes on building meanwhile.
            # Without a keyring, that worker has the dialog ask for the passphrase (ui.lock).
            return True
        try:
            visit_key(self.paths, visit_id, create=create)
        except Exception as exc:  # a VisitKeyError's sentence, or a fault of ours: told once
            self._finish()
            report_error(self.window, exc, what)
            return False
        return True

    def _start(self, doing: str) -> bool:
        if self._working:
            return False
        self._working = True
        self.busy.emit(doing)
        return True

    def _finish(self) -> None:
        self._working = False
        self.busy.emit("")

    def _run(
        self,
        future: Future[Any],
        on_result: Callable[[Any], None],
        what: str,
        *,
        visit_id: str | Callable[[], str] = "",
        title: str = "",
    ) -> None:
        succeeded, failed = self._steps(on_result, what, visit_id=visit_id, title=title)
        when_done(future, self, succeeded, failed)

    def _steps(
        self,
        on_result: Callable[[Any], None],
        what: str,
        *,
        visit_id: str | Callable[[], str] = "",
        title: str = "",
    ) -> tuple[Callable[[Any], None], Callable[[BaseException], None]]:
        """What follows a step: the next step, or the failure told (a damaged workspace leads
        to its backups), never left busy."""

        def failed(exc: BaseException) -> None:
            damaged = visit_id() if callable(visit_id) else visit_id  # (known once prepared)
            if isinstance(exc, WorkspaceDamaged) and damaged:
                self._restore(damaged, title, exc)
                return
            self._finish()
            report_error(self.window, exc, what)

        def succeeded(result: Any) -> None:
            try:
                on_result(result)
            except Exception as exc:  # a fault of ours in a step: reported, never stuck busy
                failed(exc)

        return succeeded, failed
