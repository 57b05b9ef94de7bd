"""Starting the desktop app: choose the visit, then show its window.

The reviewer's full window (navigator, judgements, evidence) is built on top of this; for now the
window shows the visit's details, team and standards, read on the storage worker.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget

from reviewer_app import __version__
from reviewer_app.demo import build_demo_kit, demo_visit
from reviewer_app.errors import USER_ERRORS
from reviewer_app.paths import AppPaths
from reviewer_app.visits import forget_staging, kit_team, list_visits, open_kit, workspace_path
from ui.visit_window import VisitWindow

log = logging.getLogger(__name__)


def application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Reviewer App")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Reviewer App")
    return app


def prepare_demo(paths: AppPaths) -> str:
    """Make sure the demo visit has a workspace here; return its visit id.

    The demo opens as the team's lead, so every part of the app can be tried.
    """
    visit = demo_visit()
    target = workspace_path(paths, visit.visit_id)
    if target.exists():
        return visit.visit_id
    lead = visit.lead
    assert lead is not None, "the demo visit has a lead"
    paths.cache.mkdir(parents=True, exist_ok=True)
    kit = paths.cache / "demo.rvkit"
    build_demo_kit(kit)
    return open_kit(kit, lead.member_id, paths=paths, demo=True).visit_id


def choose_member(kit: Path, paths: AppPaths, demo: bool, parent: QWidget | None) -> str | None:
    visit, team = kit_team(kit, paths=paths, demo=demo)
    labels = [f"{m.name} — {m.role}{' (lead)' if m.lead else ''}" for m in team]
    label, ok = QInputDialog.getItem(
        parent, "Who are you?", f"Your name on the team for {visit.title}:", labels, 0, False
    )
    if not ok:
        return None
    return team[labels.index(label)].member_id


def run_app(
    paths: AppPaths, *, demo: bool, kit: Path | None = None, visit_id: str | None = None
) -> int:
    app = application()
    forget_staging(paths)
    try:
        if kit is not None:
            member = choose_member(kit, paths, demo, None)
            if member is None:
                return 0
            visit_id = open_kit(kit, member, paths=paths, demo=demo).visit_id
        elif visit_id is None and demo:
            visit_id = prepare_demo(paths)
        elif visit_id is None:
            visits = list_visits(paths)
            if not visits:
                QMessageBox.information(
                    None,
                    "Reviewer App",
                    "There is no visit on this laptop yet.\n\n"
                    "Open the visit kit programme staff sent you: reviewer-app KIT.rvkit\n"
                    "To try the app, run: reviewer-app --demo",
                )
                return 0
            visit_id = visits[0].visit_id
    except USER_ERRORS as exc:
        QMessageBox.warning(None, "Reviewer App", str(exc))
        return 2
    window = VisitWindow(visit_id, paths)
    window.show()
    return app.exec()
