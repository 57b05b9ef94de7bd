"""The first window: the demo visit shows its title, team and standards, and says DEMO."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from reviewer_app.paths import DEMO_DIR, AppPaths
from ui.app import prepare_demo
from ui.visit_window import VisitWindow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_demo_visit_window_shows_the_visit(qtbot: QtBot, app_home: Path) -> None:
    paths = AppPaths.from_environment()
    visit_id = prepare_demo(paths)
    visit = json.loads((DEMO_DIR / "visit.json").read_text(encoding="utf-8"))
    standards = json.loads((DEMO_DIR / "standards.json").read_text(encoding="utf-8"))
    window = VisitWindow(visit_id, paths)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.heading.text() == visit["title"], timeout=10_000)
    assert window.demo_banner.isVisible()
    assert "DEMO" in window.windowTitle()
    names = [window.team_table.item(r, 0).text() for r in range(window.team_table.rowCount())]
    assert len(names) == len(visit["team"])
    lead = next(m["name"] for m in visit["team"] if m["lead"])
    assert f"{lead} (lead)" in names
    model = window.standards_model
    shown = sum(model.item(r).rowCount() for r in range(model.rowCount()))
    assert shown == len(standards["standards"])
    first_section = model.item(0)
    assert first_section.text().startswith(standards["sections"][0])
    ARTIFACTS.mkdir(exist_ok=True)
    window.resize(1200, 800)
    window.grab().save(str(ARTIFACTS / "visit_window_demo.png"))
    window.close()


def test_a_non_demo_visit_has_no_demo_banner(qtbot: QtBot, app_home: Path) -> None:
    paths = AppPaths.from_environment()
    visit_id = prepare_demo(paths)
    # The same workspace marked as opened from a real kit: no banner.
    from reviewer_app.device import device_id
    from reviewer_app.visits import workspace_path
    from storage import Workspace

    with Workspace.open(workspace_path(paths, visit_id), device_id=device_id(paths)) as ws:
        ws.set_local("demo", "0")
    window = VisitWindow(visit_id, paths)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.team_table.rowCount() > 0, timeout=10_000)
    assert not window.demo_banner.isVisible()
    assert "DEMO" not in window.windowTitle()
    window.close()
