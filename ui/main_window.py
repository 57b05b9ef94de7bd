"""The reviewer's window: navigator | the standard's page | timetable and observations.

Given an open ``VisitSession`` (the start screen loads it). Every change goes through the
``SessionBridge``; the status bar says whether everything is saved. The window reopens where
the reviewer was (``session.data.position``), and remembers each move.

On a laptop (issue 16: 1366x768, often with larger text) the window gives the standard room:
the side panel folds away (View > Side panel, remembered; folded at first on a screen narrower
than ``WIDE_SCREEN``), "My judgement" stays below the page instead of scrolling off its
bottom, and the navigator takes the width the page cannot use (the page stops at a readable
measure), never narrower than a standard's title needs at the font in use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.app.settings import Settings
from reviewer_app.visit.model import (
    CATEGORIES,
    JUDGEMENT,
    MET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    NOT_MET,
    OBSERVATION,
)
from reviewer_app.visit.session import Change, VisitSession
from ui import document_search, shortcuts
from ui.actions import make_action
from ui.bridge import SessionBridge
from ui.errors import report_error
from ui.focus_order import install as install_focus_order
from ui.navigator import BADGE_SAMPLE, NavigatorPanel
from ui.standard_page import PAGE_WIDTH, StandardPage
from ui.text_style import heading, muted, restyle_on_change, tone
from ui.windows import (
    AFTER_FIRST_PAINT_MS,
    available_geometry,
    bring_forward,
    fit_to_screen,
    save_settings_soon,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent

    from ui.lead import LeadActions
    from ui.sync_centre import SyncCentre
    from ui.team.import_export import TeamActions
    from ui.timetable import TimetablePanel

APP = "Reviewer App"
SIDE_AFTER_SHOW_MS = 40  # the side panel's contents: just after the first paint
SIDE_FOLDED_AFTER_SHOW_MS = 1000  # ...or, when it starts folded away, once the window is up
WIDE_SCREEN = 1500  # a screen narrower than this starts with the side panel folded away
SIDE_WIDTH = 420
TITLE_CHARS = 24  # a standard's title in the navigator shows at least this many characters
SIDE_PANEL = "side_panel"  # the setting: "open", "closed", or "" (as the screen suits)
IDLE_SETTING = "idle_lock_minutes"
IDLE_CHOICES = (5, 15, 30, 60)  # Visit > Lock when idle (minutes)


class ReviewerWindow(QMainWindow):
    # "Visit > Close visit": whoever shows this window (ui.app) goes back to the start screen.
    close_visit_requested = Signal()
    # "Visit > Lock": whoever shows this window (ui.app) closes the visit and shows the lock screen.
    lock_requested = Signal()
    idle_changed = Signal()  # Visit > Lock when idle: another time chosen

    def __init__(
        self, session: VisitSession, paths: AppPaths, *, restore_position: bool = True
    ) -> None:
        """``restore_position=False``: the caller calls ``restore_position()`` before showing
        the window (at another turn of the event loop: a big visit's tree lays out then)."""
        super().__init__()
        self.session = session
        self.paths = paths
        self.bridge = SessionBridge(session, self)
        self.viewer: Any = None
        self._shared_width = False  # the splitter's widths are shared out at the first show
        data = session.data
        visit = data.visit
        # No accessible name of its own: a screen reader then says the title, with the visit in it.
        self.setWindowTitle(f"{'DEMO — ' if data.demo else ''}{visit.title} — {APP}")
        fit_to_screen(self, "reviewer", QSize(1400, 900))
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 4, 8, 0)
        self._build_header(central, layout)
        self.navigator = NavigatorPanel(self.bridge, central)
        self.side = self._build_side_tabs(central)
        self._timetable: TimetablePanel | None = None
        self._observations: QListWidget | None = None
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.setChildrenCollapsible(False)
        # Widening the window widens the navigator and the page alike; the page stops at a
        # readable measure (``_share_width``), the side panel keeps its width. (The page, in
        # the middle, comes at the next step of building: ``_build_page``.)
        for widget, stretch in ((self.navigator, 1), (self.side, 0)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.indexOf(widget), stretch)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        # The navigator is never narrower than a title's first 24 characters at the font in use.
        restyle_on_change(self.navigator, _fit_navigator)
        self._build_status_bar()
        # The kit's documents, searched from the search box too (ui/document_search.py).
        self.documents = document_search.install(self)
        self._team: TeamActions | None = None
        self._sync: SyncCentre | None = None
        self._lead: LeadActions | None = None
        self._kit_handlers: list[Callable[[Any], object]] = []
        self._page: StandardPage | None = None
        self._menus_built = False
        self._build_menus()
        self._connect()
        # The standard's page is made with the return to the reviewer's place
        # (``restore_position``, which ui.app calls at the next turn of the event loop), or at
        # once when wanted first (``finish_building``, ``page``): a big visit's window made in
        # one go held the UI thread for 90-180 ms while a kit opened. (Not at a turn of its own
        # in between: ui.app's next step, due by then, would follow it with no turn between.)
        if restore_position:
            self.restore_position()

    # -- building in steps ------------------------------------------------------------------------

    def finish_building(self) -> None:
        """Make what is still to be made of the window, now (before it shows, at the latest)."""
        self._build_page()
        self._build_menus()

    @property
    def page(self) -> StandardPage:
        """The standard's page (made now if it is not yet)."""
        if self._page is None:
            self._build_page()
        assert self._page is not None
        return self._page

    def _build_page(self) -> None:
        if self._page is not None:
            return
        central = self.centralWidget()
        assert central is not None
        self.centre = self._build_centre(central)
        self.splitter.insertWidget(1, self.centre)
        self.splitter.setStretchFactor(1, 1)
        page = self.page
        page.open_document.connect(self.open_viewer)
        page.open_standard.connect(self.go_to)  # a "see HN-102" link on the page
        self.focus_order = install_focus_order(self)  # Tab follows the screen (issue 16)

    def _build_side_tabs(self, central: QWidget) -> QTabWidget:
        """The side panel's tabs are there from the first paint; what is in them (the timetable,
        my observations) is made just after it (``build_side``), or when first asked for."""
        side = QTabWidget(central)
        side.setAccessibleName("Timetable and observations")
        self._tabs: list[QVBoxLayout] = []
        for title in ("Timetable", "Observations"):
            page = QWidget(side)
            tab = QVBoxLayout(page)
            tab.setContentsMargins(0, 0, 0, 0)
            self._tabs.append(tab)
            side.addTab(page, title)
        return side

    # -- the side panel ---------------------------------------------------------------------------

    def build_side(self) -> None:
        """Fill the side panel's tabs (once): the timetable, with "now" marked, and my
        observations. After the first paint (``showEvent``), or when first asked for."""
        if self._timetable is not None:
            return
        from ui.timetable import TimetablePanel  # noqa: PLC0415 (see __init__)

        self._timetable = TimetablePanel(self.session.data, self.side)
        # Its day heading follows the reviewer's font size, as every heading does.
        heading(self._timetable.day_label, 1.15)
        self._observations = QListWidget(self.side)
        self._observations.setAccessibleName("My observations")
        self._observations.setWordWrap(True)
        for tab, widget in zip(self._tabs, (self._timetable, self._observations), strict=True):
            tab.addWidget(widget)
            widget.show()  # (a child added to a shown window waits for the next turn otherwise)
        self._timetable.standard_activated.connect(self.go_to)
        self._observations.itemActivated.connect(self._observation_activated)
        self._fill_observations()

    @property
    def timetable(self) -> TimetablePanel:
        self.build_side()
        assert self._timetable is not None
        return self._timetable

    @property
    def observations(self) -> QListWidget:
        self.build_side()
        assert self._observations is not None
        return self._observations

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt's names)
        """Tab or Shift+Tab from any control (Qt asks each parent up to the window): the Tab
        order is set first if the page changed since (see ui/focus_order.py)."""
        self.finish_building()
        self.focus_order.before_tab()
        return super().focusNextPrevChild(next)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.finish_building()  # (already done when shown by ui.app: restore_position did it)
        super().showEvent(event)
        if not self._shared_width:
            self._shared_width = True
            self._share_width()
            # The Team, Lead (or Report) menus and the sync centre's entry come once the window
            # has painted: the reviewer starts on the standard, not on the menus (their modules'
            # import alone is some 60 ms).
            QTimer.singleShot(AFTER_FIRST_PAINT_MS, self, self._install_in_turns)
        if self._timetable is None:
            # Folded away (a laptop's screen), it is filled once the first paint is well
            # over, not while the reviewer waits for the page; opening it fills it at once.
            later = SIDE_AFTER_SHOW_MS if self.side_open() else SIDE_FOLDED_AFTER_SHOW_MS
            QTimer.singleShot(later, self, self.build_side)

    def side_open(self) -> bool:
        return not self.side.isHidden()

    def set_side_open(self, open_: bool, *, remember: bool = True) -> None:
        """Show or fold away the side panel (View > Side panel); the page and the navigator
        share the width it leaves."""
        if open_ == self.side_open():
            self.side_action.setChecked(open_)
            return
        self.side.setVisible(open_)
        self.side_action.setChecked(open_)
        if open_:
            self.build_side()
        self._share_width()
        if remember:
            settings = Settings.shared(self.paths)
            settings.set(SIDE_PANEL, "open" if open_ else "closed")
            save_settings_soon(settings)

    def toggle_side(self) -> None:
        self.side_action.toggle()  # (its ``toggled`` calls ``set_side_open``)

    def _share_width(self) -> None:
        """Give the page what it can use (a readable measure), the side panel its width, and
        the navigator the rest (at least its minimum)."""
        total = self.splitter.width() - self.splitter.handleWidth() * 2
        side = min(SIDE_WIDTH, total // 3) if self.side_open() else 0
        page_wants = PAGE_WIDTH + self.page.verticalScrollBar().sizeHint().width() + 40
        navigator = max(self.navigator.minimumWidth(), total - side - page_wants)
        self.splitter.setSizes([navigator, max(total - side - navigator, 1), side])

    def _build_centre(self, central: QWidget) -> QWidget:
        """The page, with "My judgement" (and the team's) held below it, in sight whatever the
        page's length: on a 768 px screen with larger text it used to scroll off the bottom."""
        centre = QWidget(central)
        centre.setAccessibleName("The standard and my judgement")
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        below = QWidget(centre)
        below.setMaximumWidth(PAGE_WIDTH)
        box = QVBoxLayout(below)
        box.setContentsMargins(11, 0, 0, 4)  # in line with the page's text
        self._page = StandardPage(self.bridge, centre, judgement_box=box)
        column.addWidget(self._page, 1)
        row = QHBoxLayout()
        row.addWidget(below, 1)
        row.addStretch(0)
        column.addLayout(row)
        return centre

    def _build_side_toggle(self, view: QMenu) -> None:
        self.side_action: QAction = make_action(
            self,
            "Side &panel (timetable, observations)",
            self.set_side_open,
            shortcuts.SIDE_PANEL,
            checkable=True,
            tip="Show or fold away the timetable and observations",
        )
        self.side_action.setObjectName("action_side_panel")
        view.addAction(self.side_action)
        view.addSeparator()
        wanted = Settings.shared(self.paths).get(SIDE_PANEL)
        open_ = side_starts_open(wanted, available_geometry(self).width())
        self.side.setVisible(open_)
        self.side_action.setChecked(open_)

    def _build_idle_menu(self, menu: QMenu) -> None:
        """Visit > Lock when idle: after how long with no input the window locks (a setting)."""
        menu.setAccessibleName("Lock when idle")
        group = QActionGroup(menu)
        now = float(Settings.shared(self.paths).get(IDLE_SETTING))
        choices: list[tuple[float, str]] = [(m, f"After {m} minutes") for m in IDLE_CHOICES]
        choices.append((0, "Never"))
        if now not in IDLE_CHOICES and now > 0:  # set in the settings file to something else
            choices.insert(0, (now, f"After {now:g} minutes"))
        self.idle_actions: dict[float, QAction] = {}
        for minutes, text in choices:
            action = make_action(self, text, None, None, checkable=True)
            action.setObjectName(f"action_idle_lock_{minutes:g}")
            # Checked before it is connected: the choice already made is not saved again.
            action.setChecked(minutes == now)
            action.toggled.connect(lambda on, m=minutes: self._set_idle(m, on))
            group.addAction(action)
            menu.addAction(action)
            self.idle_actions[float(minutes)] = action

    def _set_idle(self, minutes: float, chosen: bool = True) -> None:
        if not chosen:
            return  # (the choice unchecked as another is checked)
        settings = Settings.shared(self.paths)
        settings.set(IDLE_SETTING, float(minutes))
        save_settings_soon(settings)
        self.idle_changed.emit()

    # -- the team's, the lead's and the central service's menus -----------------------------------

    def install_menus(self) -> None:
        """Add the Team menu, the sync centre's entry and the Lead (or Report) menu, in that
        order, once: after the first paint (a step a turn), or as soon as one of them is
        wanted (all at once)."""
        while self._install_next():
            pass

    def _install_in_turns(self) -> None:
        # One step a turn, the next timed from the end of this one (so the loop turns between):
        # all at once they held the UI thread some 60-100 ms just after the window showed.
        if self._install_next():
            QTimer.singleShot(1, self, self._install_in_turns)

    def _install_next(self) -> bool:
        """One step of ``install_menus``; False when all is done."""
        if self._lead is not None:
            return False
        self.finish_building()  # (the window's own menus come first)
        if self._team is None:
            from ui.sync_centre import install as install_sync  # noqa: PLC0415 (see __init__)
            from ui.team.import_export import install as install_team  # noqa: PLC0415

            self._team = install_team(self)  # Team menu, bundle drops, conflicts badge
            self._sync = install_sync(self)  # Visit > Sync with the central service (issue 6)
            for handler in self._kit_handlers:
                self._sync.open_kit_requested.connect(handler)
            return True
        if self.session.is_lead and "ui.lead.accuracy" not in sys.modules:
            # The lead's menu brings the factual accuracy window's module (some 20 ms to
            # import): imported at a turn of its own.
            importlib.import_module("ui.lead.accuracy")
            return True
        from ui.lead import install as install_lead  # noqa: PLC0415

        self._lead = install_lead(self)  # Lead menu (Report for others), overdue risks badge
        return True

    @property
    def team(self) -> TeamActions:
        self.install_menus()
        assert self._team is not None
        return self._team

    @property
    def sync(self) -> SyncCentre:
        self.install_menus()
        assert self._sync is not None
        return self._sync

    @property
    def lead(self) -> LeadActions:
        self.install_menus()
        assert self._lead is not None
        return self._lead

    def on_kit_from_service(self, handler: Callable[[Any], object]) -> None:
        """Call ``handler(path)`` when the sync centre asks to open a kit the service sent."""
        self._kit_handlers.append(handler)
        if self._sync is not None:
            self._sync.open_kit_requested.connect(handler)

    # -- building -------------------------------------------------------------------------------

    def _build_header(self, central: QWidget, layout: QVBoxLayout) -> None:
        data = self.session.data
        visit = data.visit
        self.demo_banner = QLabel(
            "DEMO — an invented visit for practice. Nothing here is real.", central
        )
        self.demo_banner.setAccessibleName("Demo visit notice")
        self.demo_banner.setWordWrap(True)
        # Bold at the reviewer's font size, and padded in proportion to it (a style sheet's
        # font-weight or pixel padding would keep the size the font had when it was set).
        heading(self.demo_banner, 1.0)
        restyle_on_change(self.demo_banner, _banner_style)
        self.demo_banner.setVisible(data.demo)
        self.heading = QLabel(visit.title, central)
        self.heading.setAccessibleName("Visit title")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)  # a long title or venue never widens the window
        heading(self.heading, 1.3)
        me = visit.member(data.member_id)
        who = f"You are {me.name} ({me.role}{', lead reviewer' if me.lead else ''})" if me else ""
        self.who = QLabel(f"{who}  ·  {visit.start_date}  ·  {visit.venue}".strip(" ·"), central)
        self.who.setAccessibleName("Who you are")
        self.who.setTextFormat(Qt.TextFormat.PlainText)
        self.who.setWordWrap(True)  # a long title or venue never widens the window
        muted(self.who)
        layout.addWidget(self.demo_banner)
        layout.addWidget(self.heading)
        layout.addWidget(self.who)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self._shared_width:
            self._share_width()

    def _build_status_bar(self) -> None:
        self.save_label = QLabel("All changes saved", self)
        self.save_label.setAccessibleName("Saved state")
        self.progress_label = QLabel(self)
        self.progress_label.setAccessibleName("Progress")
        self.progress_label.setContentsMargins(16, 0, 4, 0)  # ("saved" and "Assessed" ran together)
        self.statusBar().addPermanentWidget(self.save_label)
        self.statusBar().addPermanentWidget(self.progress_label)
        self._update_progress()

    def _build_menus(self) -> None:
        if self._menus_built:
            return
        self._menus_built = True
        bar = self.menuBar()
        nav = self.navigator

        def on_page(name: str) -> Callable[[], object]:  # (the page may be made after the menus)
            return lambda: getattr(self.page, name)()  # noqa: PLW0108 (self.page: when called)

        visit = bar.addMenu("&Visit")
        visit.addAction(
            make_action(
                self,
                "Open &evidence viewer",
                self.open_viewer,
                shortcuts.EVIDENCE_VIEWER,
                tip="Read the kit's documents",
            )
        )
        visit.addSeparator()
        visit.addAction(
            make_action(
                self,
                "&Lock",
                self.lock_requested.emit,
                shortcuts.LOCK,
                tip="Close the visit and put its key away until you unlock",
            )
        )
        self._build_idle_menu(visit.addMenu("Lock when &idle"))
        visit.addAction(
            make_action(
                self, "&Close visit", self.close_visit_requested.emit, shortcuts.CLOSE_VISIT
            )
        )
        edit = bar.addMenu("&Edit")
        self.undo_action = make_action(self, "&Undo", self.bridge.undo, shortcuts.UNDO)
        self.redo_action = make_action(self, "&Redo", self.bridge.redo, shortcuts.REDO)
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addAction(make_action(self, "&Find standards…", self.find_standards, shortcuts.FIND))
        go = bar.addMenu("&Go")
        go.addAction(
            make_action(self, "&Next standard", nav.next_standard, shortcuts.NEXT_STANDARD)
        )
        go.addAction(
            make_action(
                self, "&Previous standard", nav.previous_standard, shortcuts.PREVIOUS_STANDARD
            )
        )
        go.addSeparator()
        go.addAction(
            make_action(self, "Standards &list", self.focus_navigator, shortcuts.FOCUS_NAVIGATOR)
        )
        go.addAction(
            make_action(self, "My &reason", on_page("focus_reason"), shortcuts.FOCUS_REASON)
        )
        go.addAction(make_action(self, "&Timetable", lambda: self.show_tab(0), shortcuts.TIMETABLE))
        go.addAction(
            make_action(self, "&Observations", lambda: self.show_tab(1), shortcuts.OBSERVATIONS)
        )
        go.addAction(make_action(self, "Next &pane", self.next_pane, shortcuts.NEXT_PANE))
        record = bar.addMenu("&Record")
        self.judge_actions = {}
        for value, text, keys in (
            (MET, "&Met", shortcuts.JUDGE_MET),
            (NOT_MET, "&Not met", shortcuts.JUDGE_NOT_MET),
            (NOT_APPLICABLE, "Not &applicable", shortcuts.JUDGE_NOT_APPLICABLE),
            (NOT_ASSESSED, "Not &yet assessed", shortcuts.JUDGE_NOT_ASSESSED),
        ):
            action = make_action(
                self,
                text,
                lambda v=value: self.judge(v),
                keys,
                tip=f"Judge the shown standard: {text.replace('&', '')}",
            )
            self.judge_actions[value] = action
            record.addAction(action)
        record.addAction(
            make_action(
                self, "&Use the suggestion", on_page("use_suggestion"), shortcuts.USE_SUGGESTION
            )
        )
        record.addSeparator()
        record.addAction(
            make_action(
                self, "Add &evidence seen…", on_page("add_evidence"), shortcuts.ADD_EVIDENCE
            )
        )
        record.addAction(make_action(self, "Add n&ote…", on_page("add_note"), shortcuts.ADD_NOTE))
        record.addAction(
            make_action(
                self, "Add o&bservation…", on_page("add_observation"), shortcuts.ADD_OBSERVATION
            )
        )
        record.addAction(
            make_action(self, "Add &photo…", on_page("add_photo"), shortcuts.ADD_PHOTO)
        )
        view = bar.addMenu("V&iew")
        self._build_side_toggle(view)
        for name, box in nav.filter_boxes.items():
            action = make_action(self, f"Only: {box.text()}", box.setChecked, None, checkable=True)
            action.setObjectName(f"action_filter_{name}")
            box.toggled.connect(action.setChecked)
            view.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(
            make_action(self, "&Keyboard shortcuts", self.show_shortcuts, shortcuts.SHORTCUTS_HELP)
        )
        self._update_history()

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.saving.connect(self._saving)
        bridge.saved.connect(self._saved)
        bridge.failed.connect(self._failed)
        bridge.history_changed.connect(self._update_history)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self._update_progress)  # after an import: everything
        bridge.reloaded.connect(self._fill_observations)
        self.navigator.standard_selected.connect(self._standard_selected)
        self.navigator.component_changed.connect(self._component_changed)

    # -- moving ---------------------------------------------------------------------------------

    def restore_position(self) -> None:
        """Go back to where the reviewer was (else the first standard); the window is made
        whole first."""
        self.finish_building()
        position = self.session.data.position
        if position is not None:
            ref, component = position
            self.navigator.set_component(component)
            if self.navigator.select(ref):
                return
        self.navigator.next_standard()

    def go_to(self, ref: str) -> None:
        if self.navigator.select(ref):
            self.page.show_standard(ref, self.navigator.component)

    def show_standard(self, ref: str, component: str) -> None:
        """A standard for a component, from another window (the register, finalisation...)."""
        self.navigator.set_component(component)
        self.go_to(ref)
        bring_forward(self)

    def _standard_selected(self, ref: str) -> None:
        component = self.navigator.component
        self.page.show_standard(ref, component)
        self.bridge.remember_position(ref, component)

    def _component_changed(self, component: str) -> None:
        self.page.set_component(component)
        self._update_progress()
        if self.page.ref is not None:
            self.bridge.remember_position(self.page.ref, component)

    def judge(self, value: str) -> None:
        self.page.judge(value)

    def find_standards(self) -> None:
        self.navigator.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.navigator.search.selectAll()

    def focus_navigator(self) -> None:
        self.navigator.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_tab(self, index: int) -> None:
        self.set_side_open(True)
        self.side.setCurrentIndex(index)
        if index == 0:  # on the session happening now, the arrows moving from there (issue 16)
            self.timetable.focus_now()
        else:
            self.observations.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def next_pane(self) -> None:
        # The centre holds the page and My judgement below it; a folded side panel is skipped.
        panes: list[QWidget] = [self.navigator.tree, self.centre]
        if self.side_open():
            panes.append(self.side)
        focus = QApplication.focusWidget()
        at = next(
            (i for i, p in enumerate(panes) if focus and (p is focus or p.isAncestorOf(focus))), -1
        )
        target = panes[(at + 1) % len(panes)]
        if target is self.centre:
            self.page.setFocus(Qt.FocusReason.TabFocusReason)
            self.page.judgement.focusNextChild()
        else:
            target.setFocus(Qt.FocusReason.TabFocusReason)

    def open_viewer(self, doc_id: str = "", search: str = "") -> None:
        """Open the evidence viewer (made on first use: QtPdf is slow to load)."""
        try:
            if self.viewer is None:
                from ui.evidence_viewer import EvidenceViewer  # noqa: PLC0415

                self.viewer = EvidenceViewer(self.session, self)
                self.viewer.lock_requested.connect(self.lock_requested)  # Ctrl+L there too
            if doc_id:
                self.viewer.show_document(doc_id, search)
            bring_forward(self.viewer)
        except Exception as exc:  # noqa: BLE001 - reported to the user once, politely
            report_error(self, exc, "open the evidence viewer")

    # -- keeping up -----------------------------------------------------------------------------

    def _on_changed(self, change: Change) -> None:
        if change.entity == JUDGEMENT:
            self._update_progress()
        elif change.entity == OBSERVATION:
            self._fill_observations()

    def _update_progress(self) -> None:
        # The navigator keeps per-section counts up to date edit by edit (its handler of
        # ``changed`` runs first): their sum is the component's progress, without another pass.
        done, total = self.navigator.model.progress()
        self.progress_label.setText(f"Assessed {done} of {total}")

    def _update_history(self) -> None:
        """Undo and Redo name the change they would take back or make again."""
        if not self._menus_built:
            return  # (named when the menus are made)
        for action, text, can in (
            (self.undo_action, self.bridge.undo_text(), self.bridge.can_undo()),
            (self.redo_action, self.bridge.redo_text(), self.bridge.can_redo()),
        ):
            action.setText("&" + text.replace("&", "&&"))
            action.setEnabled(can)

    def _saving(self) -> None:
        self.save_label.setStyleSheet("")
        self.save_label.setText("Saving…")

    def _saved(self, message: str) -> None:
        self.save_label.setStyleSheet("")
        self.save_label.setText(message)

    def _failed(self, message: str) -> None:
        self.save_label.setStyleSheet(
            f"color:{tone(self, '#b3261e', '#ff8a80')}; font-weight:bold;"
        )
        self.save_label.setText(message)

    def _fill_observations(self) -> None:
        if self._observations is None:
            return  # (filled when the side panel is made)
        self.observations.clear()
        data = self.session.data
        mine = [o for o in data.observations.values() if o.author in ("", data.member_id)]
        for o in mine:
            refs = f"  [{', '.join(o.refs)}]" if o.refs else ""
            item = QListWidgetItem(f"{CATEGORIES[o.category]}{refs}\n{o.text}")
            item.setData(Qt.ItemDataRole.UserRole, o.refs[0] if o.refs else "")
            item.setData(Qt.ItemDataRole.UserRole + 1, o.id)
            item.setToolTip("Enter or double-click: edit this observation")
            self.observations.addItem(item)
        if not mine:
            item = QListWidgetItem(
                "No observations yet. Add one with "
                f"{QKeySequence(shortcuts.ADD_OBSERVATION[0]).toString()}."
            )
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.observations.addItem(item)

    def _observation_activated(self, item: QListWidgetItem) -> None:
        """Edit it (free-standing ones too), at its first standard when it has one."""
        ref = item.data(Qt.ItemDataRole.UserRole)
        if ref:
            self.go_to(str(ref))
        observation_id = item.data(Qt.ItemDataRole.UserRole + 1)
        if observation_id:
            self.page.lists.edit_observation(str(observation_id))

    def show_shortcuts(self) -> None:
        lines = []
        for menu in self.menuBar().findChildren(QWidget):
            for action in menu.actions():
                if action.shortcut().isEmpty():
                    continue
                keys = ", ".join(
                    k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
                )
                lines.append(f"{action.text().replace('&', '')}: {keys}")
        from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415 (a Qt type is built when first named)

        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText("\n".join(dict.fromkeys(lines)))
        box.setAccessibleName("Keyboard shortcuts")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.team.dragged(event, drop=False):
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.team.dragged(event, drop=True):
            super().dropEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the reason being typed, then let the worker finish everything and close."""
        self.page.flush()
        if self.viewer is not None:
            self.viewer.close()
        self.bridge.close()
        super().closeEvent(event)


def side_starts_open(wanted: str, screen_width: int) -> bool:
    """Whether the side panel starts open: as the reviewer last left it, else open only on a
    screen at least ``WIDE_SCREEN`` wide (a laptop's 1366 px needs the room for the page)."""
    if wanted in ("open", "closed"):
        return wanted == "open"
    return screen_width >= WIDE_SCREEN


def _banner_style(banner: QWidget) -> None:
    em = QFontMetrics(QApplication.font(banner)).height()
    banner.setStyleSheet("")
    banner.setStyleSheet(
        f"background:#fff3b0; color:#4a3b00; padding:{max(4, em // 3)}px; border-radius:4px;"
    )


def _fit_navigator(navigator: QWidget) -> None:
    """The navigator's least width: indent, mark, ref and a title's first ``TITLE_CHARS``
    characters, the badge column and a scroll bar, at the application's font now."""
    metrics = QFontMetrics(QApplication.font(navigator))
    text = metrics.horizontalAdvance("HN-000  " + "n" * TITLE_CHARS)
    badge = metrics.horizontalAdvance(BADGE_SAMPLE)
    navigator.setMinimumWidth(20 + metrics.height() + 8 + text + badge + metrics.height() + 12)
