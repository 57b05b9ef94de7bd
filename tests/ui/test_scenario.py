"""A whole visit, as a reviewer does it, by keyboard: open the demo kit from the start screen,
say who I am, judge ten standards with reasons, tick parts and take the suggestion, record
evidence, a note, a photo and an observation, undo and redo, close; then start the app again and
find everything where it was (read off the screen, not only the database)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import WAIT, Screenshot
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.demo.kits import build_demo_kit, demo_visit
from reviewer_app.visit.model import (
    JUDGEMENT_LABELS,
    MET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_MET,
)
from ui import shortcuts
from ui.app import AppController, Start, choose_start
from ui.dialogs import EvidenceDialog, NoteDialog, ObservationDialog, PhotoDialog
from ui.dialogs.observation import ObservationInput
from ui.dialogs.photo import PhotoInput
from ui.main_window import ReviewerWindow
from ui.who_am_i import WhoAmIDialog

ME = "m-cns"
COMPONENT = "shc"  # the first component: the window starts on it
TICKED = "HN-105"  # parts a-c: all ticked, then "Use the suggestion" (Met)
LAST = "HN-202"  # where evidence, note, photo and observation go, and where the window reopens

# The ten standards in the navigator's order, judged one after another: (ref, value, reason).
PLAN: list[tuple[str, str, str]] = [
    ("HN-101", MET, ""),
    ("HN-102", NOT_MET, "Leaflet covers 3 of the 6 topics; no translated versions"),
    ("HN-103", MET, ""),
    ("HN-104", NOT_APPLICABLE, "No adult patients seen at this centre"),
    (TICKED, MET, ""),
    ("HN-106", NOT_MET, "Carers were not offered the hand-held record"),
    ("HN-107", MET, ""),
    ("HN-108", NOT_APPLICABLE, "Transition is run by the adult service, not reviewed here"),
    ("HN-201", MET, ""),
    (LAST, NOT_MET, "Only 1.0 WTE consultant; 2.0 expected"),
]
EVIDENCE = {
    "kind": "document",
    "document_id": "E004",
    "location": "page 2",
    "session_id": "",
    "description": "Consultant job plans",
}
NOTE_TEXT = "Ask the lead nurse about cover for annual leave"
WRONG_NOTE = "This note was meant for another standard"
PHOTO_CAPTION = "Rota on the ward noticeboard"
OBSERVATION_TEXT = "Resuscitation trolley unchecked for 5 days"


# -- the keyboard, as the reviewer uses it --------------------------------------------------------


def press(qtbot: QtBot, keys: tuple[str, ...] | str) -> None:
    """Press the first key sequence of a shortcut (or a literal one) on the focused widget."""
    sequence = QKeySequence(keys if isinstance(keys, str) else keys[0])
    combo = sequence[0]
    _keep_active(qtbot)
    target = QApplication.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, combo.key(), combo.keyboardModifiers())


def type_text(qtbot: QtBot, text: str) -> None:
    _keep_active(qtbot)
    target = QApplication.focusWidget()
    assert target is not None
    qtbot.keyClicks(target, text)


def all_saved(qtbot: QtBot, window: ReviewerWindow) -> None:
    """Wait until the window says every change so far is saved."""
    qtbot.waitUntil(
        lambda: (
            window.bridge.pending == 0 and window.save_label.text().startswith("All changes saved")
        ),
        timeout=WAIT,
    )


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


def tooltip(window: ReviewerWindow, ref: str) -> str:
    model = window.navigator.model
    return str(model.data(model.index_of(ref), Qt.ItemDataRole.ToolTipRole))


def shown_texts(section: Any) -> list[str]:
    """The record rows a list section shows, in order (not its heading, "None yet" or photos)."""
    labels = section.findChildren(QLabel)  # rows removed by a refresh are no longer children
    skip = {section.accessibleName(), ""}
    return [
        lab.text()
        for lab in labels
        if lab is not section.empty and lab.accessibleName() != "Photo" and lab.text() not in skip
    ]


def photo_thumbs(window: ReviewerWindow) -> list[QLabel]:
    section = window.page.lists.photos
    return [
        w
        for w in section.findChildren(QLabel)
        if w.accessibleName() == "Photo" and w.pixmap() is not None and not w.pixmap().isNull()
    ]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    out = tmp_path / "demo.rvkit"
    build_demo_kit(out)
    return out


@pytest.fixture
def controllers(qtbot: QtBot, paths: AppPaths) -> Iterator[list[AppController]]:
    made: list[AppController] = []
    yield made
    for c in made:
        c.shutdown()


def new_controller(qtbot: QtBot, paths: AppPaths, made: list[AppController]) -> AppController:
    c = AppController(paths, demo=True)  # demo: the demo kit's key is trusted
    qtbot.addWidget(c.start_screen)
    made.append(c)
    return c


_ACTIVE: list[QWidget] = []


def activate(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=WAIT)
    _ACTIVE[:] = [widget]


def _keep_active(qtbot: QtBot) -> None:
    """The offscreen platform sometimes drops the active window on a busy machine (a window
    manager would not): make the reviewer's window active again. Focus *inside* the window is
    still the app's business, and is checked by the caller."""
    if _ACTIVE and QApplication.activeWindow() is not _ACTIVE[0]:
        activate(qtbot, _ACTIVE[0])


# -- the scenario ----------------------------------------------------------------------------------


def test_a_whole_visit_by_keyboard_survives_closing_and_reopening(
    qtbot: QtBot,
    paths: AppPaths,
    kit: Path,
    controllers: list[AppController],
    monkeypatch: pytest.MonkeyPatch,
    *,
    screenshot: Screenshot,
) -> None:
    asked: list[str] = []

    def who_am_i(_cls: Any, _parent: Any, title: str, team: Any) -> str:
        asked.append(title)
        assert ME in [m.member_id for m in team]
        return ME

    monkeypatch.setattr(WhoAmIDialog, "ask", classmethod(who_am_i))
    monkeypatch.setattr(
        "ui.file_dialogs.QFileDialog.getOpenFileName",
        lambda *_a, **_k: (str(kit), "Visit kits (*.rvkit)"),
    )

    # 1. The start screen: an empty laptop; Ctrl+O opens the kit (file dialog patched).
    c = new_controller(qtbot, paths, controllers)
    c.start_screen.show()
    activate(qtbot, c.start_screen)
    qtbot.waitUntil(lambda: not c.start_screen.opener.working, timeout=WAIT)
    qtbot.waitUntil(c.start_screen.no_visits.isVisible, timeout=WAIT)
    screenshot(c.start_screen, "scenario_1_start_screen.png")
    c.start_screen.open_button.setFocus()
    with qtbot.waitSignal(c.window_shown, timeout=WAIT) as shown:
        press(qtbot, QKeySequence(QKeySequence.StandardKey.Open).toString())
    assert asked == [demo_visit().title]
    window = shown.args[0]
    assert isinstance(window, ReviewerWindow)
    assert window.session.member_id == ME
    # (put away once the window has painted over it)
    qtbot.waitUntil(lambda: not c.start_screen.isVisible(), timeout=WAIT)
    activate(qtbot, window)
    page, nav = window.page, window.navigator
    assert page.ref == "HN-101" and page.component == COMPONENT

    # 2. Ten judgements, by keyboard, moving with the next-standard shortcut.
    press(qtbot, shortcuts.FOCUS_NAVIGATOR)
    assert nav.tree.hasFocus()
    digit = {
        MET: shortcuts.JUDGE_MET,
        NOT_MET: shortcuts.JUDGE_NOT_MET,
        NOT_APPLICABLE: shortcuts.JUDGE_NOT_APPLICABLE,
    }
    alt_digit = {value: (keys[1],) for value, keys in digit.items()}
    for n, (ref, value, reason) in enumerate(PLAN):
        if n:
            press(qtbot, shortcuts.NEXT_STANDARD)
        assert page.ref == ref and nav.current_ref == ref
        if ref == TICKED:
            tick_all_parts_and_use_the_suggestion(qtbot, window)
        elif not reason:
            press(qtbot, digit[value])
        elif n % 2:  # judge first, then give the reason the card asks for
            press(qtbot, digit[value])
            assert page.judgement.warning.isVisible()
            assert (
                page.judgement.warning.text() == f"A reason is needed for {JUDGEMENT_LABELS[value]}"
            )
            press(qtbot, shortcuts.FOCUS_REASON)
            assert page.judgement.reason.hasFocus()
            type_text(qtbot, reason)
            assert not page.judgement.warning.isVisible()
            press(qtbot, shortcuts.FOCUS_NAVIGATOR)  # leaving the box saves the reason
        else:  # type the reason first, then judge from inside the box (Alt+digit)
            press(qtbot, shortcuts.FOCUS_REASON)
            type_text(qtbot, reason)
            press(qtbot, alt_digit[value])
            assert page.judgement.reason.hasFocus()
            press(qtbot, shortcuts.FOCUS_NAVIGATOR)
        assert nav.tree.hasFocus()
        all_saved(qtbot, window)
        assert page.judgement.radios[value].isChecked()
        assert JUDGEMENT_LABELS[value] in tooltip(window, ref)
        j = page.data.judgement(ref, COMPONENT)
        assert (j.value, j.reason) == (value, reason)
    assert window.progress_label.text() == "Assessed 10 of 56"
    assert nav.progress_label.text() == "Assessed 10 of 56"
    screenshot(window, "scenario_2_judged.png")

    # 3. Evidence, a note, a photo and an observation on the last standard, by their shortcuts.
    record_everything(qtbot, window, monkeypatch)
    lists = page.lists
    page.ensureWidgetVisible(lists.evidence)
    screenshot(window, "scenario_3_recorded.png")

    # 4. Undo twice, redo once: the page follows each step.
    press(qtbot, shortcuts.UNDO)  # the note written on the wrong standard goes
    all_saved(qtbot, window)
    assert shown_texts(lists.notes) == [NOTE_TEXT]
    press(qtbot, shortcuts.UNDO)  # ...and so does the observation
    all_saved(qtbot, window)
    assert shown_texts(lists.observations) == []
    assert lists.observations.empty.isVisible()
    assert window.observations.count() == 1  # the side list's "No observations yet"
    assert window.redo_action.isEnabled()
    press(qtbot, shortcuts.REDO)  # the observation comes back; the wrong note does not
    all_saved(qtbot, window)
    assert [t.split(": ", 1)[1] for t in shown_texts(lists.observations)] == [OBSERVATION_TEXT]
    assert shown_texts(lists.notes) == [NOTE_TEXT]
    assert OBSERVATION_TEXT in window.observations.item(0).text()
    assert window.redo_action.isEnabled()  # the note could still come back
    assert page.ref == LAST

    # 5. Close the window (it saves as it goes, and drains the worker on closing).
    window.close()
    assert not window.isVisible()
    c.flush()
    c.shutdown()
    controllers.remove(c)
    settings = Settings.load(paths)
    visit_id = demo_visit().visit_id
    assert settings.get("last_visit_id") == visit_id
    assert choose_start(paths, settings, demo=False) == Start("visit", visit_id=visit_id)

    # 6. Start again: a new controller; the visit is in "Recent visits"; Enter opens it.
    again = new_controller(qtbot, paths, controllers)
    screen = again.start_screen
    screen.show()
    activate(qtbot, screen)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(screen.recent.hasFocus, timeout=WAIT)
    screenshot(screen, "scenario_4_recent_visits.png")
    with qtbot.waitSignal(again.window_shown, timeout=WAIT) as shown:
        press(qtbot, "Return")
    assert len(asked) == 1  # the visit remembers who I am
    reopened = shown.args[0]
    assert isinstance(reopened, ReviewerWindow)
    activate(qtbot, reopened)
    check_everything_is_there(screenshot, qtbot, reopened)


def tick_all_parts_and_use_the_suggestion(qtbot: QtBot, window: ReviewerWindow) -> None:
    """Tab from the list to the lettered parts, Space ticks each; Ctrl+U takes the suggestion."""
    page = window.page
    card = page.judgement
    boxes = list(page.part_boxes.values())
    assert [*page.part_boxes] == ["a", "b", "c"]
    qtbot.waitUntil(lambda: all(box.isVisible() for box in boxes), timeout=WAIT)
    for box in boxes:
        for _ in range(60):  # Tab until the box has the focus (the page is keyboard-reachable)
            if box.hasFocus():
                break
            press(qtbot, "Tab")
        assert box.hasFocus(), f"Tab never reached part {box.accessibleName()}"
        press(qtbot, "Space")
        assert box.isChecked()
        all_saved(qtbot, window)
    assert card.suggestion.isVisible() and card.use_button.isVisible()
    assert card.suggestion.text() == "Parts a–c all ticked: suggests Met"
    assert card.radios[NOT_ASSESSED].isChecked()  # a suggestion never judges by itself
    press(qtbot, shortcuts.USE_SUGGESTION)
    all_saved(qtbot, window)
    assert card.radios[MET].isChecked()
    assert not card.use_button.isVisible()
    press(qtbot, shortcuts.FOCUS_NAVIGATOR)


def record_everything(
    qtbot: QtBot, window: ReviewerWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = window.page
    lists = page.lists
    asked: dict[str, Any] = {}

    def evidence(_cls: Any, _parent: Any, _data: Any, ref: str, component: str) -> dict[str, str]:
        asked["evidence"] = (ref, component)
        return dict(EVIDENCE)

    def observation(_cls: Any, _parent: Any, _data: Any, ref: str | None) -> ObservationInput:
        asked["observation"] = ref
        return ObservationInput(OBSERVATION_TEXT, "immediate_risk", (ref or "",), "s03")

    notes = iter([NOTE_TEXT, WRONG_NOTE])
    monkeypatch.setattr(EvidenceDialog, "ask", classmethod(evidence))
    monkeypatch.setattr(NoteDialog, "ask", classmethod(lambda _cls, *_a: next(notes)))
    monkeypatch.setattr(
        PhotoDialog, "ask", classmethod(lambda _cls, *_a: PhotoInput(jpeg(), PHOTO_CAPTION))
    )
    monkeypatch.setattr(ObservationDialog, "ask", classmethod(observation))

    press(qtbot, shortcuts.ADD_EVIDENCE)
    all_saved(qtbot, window)
    assert asked["evidence"] == (LAST, COMPONENT)
    assert shown_texts(lists.evidence) == [
        "Staffing rota and job plans summary, page 2 — Consultant job plans"
    ]
    press(qtbot, shortcuts.ADD_NOTE)
    all_saved(qtbot, window)
    assert shown_texts(lists.notes) == [NOTE_TEXT]
    press(qtbot, shortcuts.ADD_PHOTO)
    all_saved(qtbot, window)
    assert PHOTO_CAPTION in shown_texts(lists.photos)
    qtbot.waitUntil(lambda: len(photo_thumbs(window)) == 1, timeout=WAIT)
    press(qtbot, shortcuts.ADD_OBSERVATION)
    all_saved(qtbot, window)
    assert asked["observation"] == LAST
    assert shown_texts(lists.observations) == [f"Immediate risk: {OBSERVATION_TEXT}"]
    assert OBSERVATION_TEXT in window.observations.item(0).text()
    press(qtbot, shortcuts.ADD_NOTE)  # a slip: this note is undone below
    all_saved(qtbot, window)
    assert shown_texts(lists.notes) == [NOTE_TEXT, WRONG_NOTE]
    assert window.navigator.tree.hasFocus()  # recording never takes the reviewer elsewhere


def check_everything_is_there(screenshot: Screenshot, qtbot: QtBot, window: ReviewerWindow) -> None:
    page, nav = window.page, window.navigator
    # Reopened at the last standard, as the last component.
    assert page.ref == LAST and nav.current_ref == LAST and page.component == COMPONENT
    assert window.progress_label.text() == "Assessed 10 of 56"
    assert window.demo_banner.isVisible()
    assert "Siobhán O'Brien" in window.who.text()  # m-cns
    # The page of the last standard: judgement, reason and every record.
    lists = page.lists
    assert page.judgement.radios[NOT_MET].isChecked()
    assert page.judgement.reason.toPlainText() == PLAN[-1][2]
    assert not page.judgement.warning.isVisible()
    assert shown_texts(lists.evidence) == [
        "Staffing rota and job plans summary, page 2 — Consultant job plans"
    ]
    assert shown_texts(lists.notes) == [NOTE_TEXT]
    assert shown_texts(lists.photos) == [PHOTO_CAPTION]
    qtbot.waitUntil(lambda: len(photo_thumbs(window)) == 1, timeout=WAIT)
    assert shown_texts(lists.observations) == [f"Immediate risk: {OBSERVATION_TEXT}"]
    assert window.observations.count() == 1
    assert OBSERVATION_TEXT in window.observations.item(0).text()
    assert "HN-202" in window.observations.item(0).text()
    window.show_tab(1)
    screenshot(window, "scenario_5_reopened.png")
    # Every judgement on the navigator's icons (their tooltips) and on the card, with reasons.
    for ref, value, _reason in PLAN:
        assert tooltip(window, ref).endswith(JUDGEMENT_LABELS[value]) or (
            f"{JUDGEMENT_LABELS[value]}, key standard" in tooltip(window, ref)
        ), tooltip(window, ref)
    assert JUDGEMENT_LABELS[NOT_ASSESSED] in tooltip(window, "HN-203")
    press(qtbot, shortcuts.FOCUS_NAVIGATOR)
    for ref, value, reason in reversed(PLAN[:-1]):
        press(qtbot, shortcuts.PREVIOUS_STANDARD)
        assert page.ref == ref
        card = page.judgement
        assert card.radios[value].isChecked(), ref
        assert card.reason.toPlainText() == reason, ref
        assert not card.warning.isVisible(), ref
    # The ticked parts, and the suggestion they made already taken.
    press(qtbot, shortcuts.NEXT_STANDARD)
    press(qtbot, shortcuts.NEXT_STANDARD)
    press(qtbot, shortcuts.NEXT_STANDARD)
    press(qtbot, shortcuts.NEXT_STANDARD)
    assert page.ref == TICKED
    assert all(box.isChecked() for box in page.part_boxes.values())
    assert not page.judgement.use_button.isVisible()
    screenshot(window, "scenario_6_ticked_parts.png")
