"""The provider's factual accuracy comments in the lead's window (issue 18).

Each comment is shown beside what it is about (``CommentsPanel``: under the finding's text in
the findings window, under the team judgement on the standard's page), with its type, the
provider's words and the proposed wording, and for the lead three buttons: Accept (the
proposed wording), Accept with my wording…, Decline… (a reason). ``AccuracyWindow`` lists them
all with how many are answered, so the lead can work through them.

The comments come from the file the last sync stored (``reviewer_app.lead.accuracy``), read
on the storage worker by one ``CommentsSource`` per window (``comments_source``), which reads it
again when the sync replaces it. Answering runs the session's own operations through
``ChangeOp``: the text first, then the answer, each undone by Ctrl+Z like any other edit.
What the lead typed in a dialog is kept if the answer could not be saved, and offered again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.app.paths import AppPaths
from reviewer_app.lead import accuracy as rules
from reviewer_app.lead.accuracy import Comment, ProviderComments
from reviewer_app.visit.model import ACCEPTED, ACCURACY_ANSWER, FINDING, TEAM_JUDGEMENT
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change
from ui.bridge import SessionBridge
from ui.lead.dialogs import DeclineDialog, OwnWordingDialog, author_name
from ui.operations import ChangeOp
from ui.text_style import clear_layout, heading, muted, restyle_on_change, tone

SOURCE_NAME = "accuracy_comments"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
RELOAD_DELAY_MS = 300  # after the sync replaced the file (a rename may come as two events)
PAGE_LINES = 14  # the comments under a standard's team judgement: at most so many lines high


class CommentsSource(QObject):
    """The stored comments of the open visit, read on the storage worker; ``changed`` when
    they were read (again). One per bridge: :func:`comments_source`."""

    changed = Signal()

    def __init__(self, bridge: SessionBridge) -> None:
        super().__init__(bridge)
        self.setObjectName(SOURCE_NAME)
        self.bridge = bridge
        self.paths: AppPaths | None = None
        self.comments = ProviderComments()
        self.drafts: dict[tuple[str, str], str] = {}  # (comment id, "wording"|"reason") -> text
        self._watcher: QFileSystemWatcher | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RELOAD_DELAY_MS)
        self._timer.timeout.connect(self.reload)

    def start(self, paths: AppPaths) -> None:
        """Read the comments stored under ``paths`` now, and whenever the sync replaces them."""
        if self.paths is not None:
            return
        self.paths = paths
        self.reload()
        self.bridge.reloaded.connect(self.reload)

    @property
    def visit_id(self) -> str:
        return str(self.bridge.session.data.visit.visit_id)

    def reload(self) -> None:
        paths = self.paths
        if paths is None or self.bridge.session.closed:
            return
        visit_id = self.visit_id

        def read(_ws: object) -> ProviderComments:
            rules.accuracy_file(paths, visit_id).parent.mkdir(parents=True, exist_ok=True)
            return rules.load_comments(paths, visit_id)

        from ui.tasks import when_done  # noqa: PLC0415 (light; kept beside its one use)

        when_done(self.bridge.session.worker.submit(read), self, self._read, lambda _e: None)

    def _read(self, comments: ProviderComments) -> None:
        self.comments = comments
        self._watch()
        self.changed.emit()

    def _watch(self) -> None:
        if self.paths is None:
            return
        file = rules.accuracy_file(self.paths, self.visit_id)
        if self._watcher is None:
            self._watcher = QFileSystemWatcher(self)
            self._watcher.directoryChanged.connect(lambda _p: self._timer.start())
            self._watcher.fileChanged.connect(lambda _p: self._timer.start())
        wanted = [str(file.parent)] + ([str(file)] if file.exists() else [])
        missing = [
            p for p in wanted if p not in self._watcher.files() + self._watcher.directories()
        ]
        if missing:
            self._watcher.addPaths(missing)


def comments_source(bridge: SessionBridge, paths: AppPaths | None = None) -> CommentsSource:
    """The window's one source of comments (made on first ask); with ``paths`` it starts
    reading them (the lead's window does, once it knows where they are)."""
    found = bridge.findChild(CommentsSource, SOURCE_NAME)
    source = found if isinstance(found, CommentsSource) else CommentsSource(bridge)
    if paths is not None:
        source.start(paths)
    return source


# -- answering ---------------------------------------------------------------------------------


def describe(data: VisitData, comment: Comment) -> str:
    """The provider's comment in words, for a dialog."""
    proposed = f"\n\nProposed wording: “{comment.proposed}”" if comment.proposed.strip() else ""
    now = rules.item_text(data, comment)
    current = f"\n\nNow: “{now}”" if now else ""
    return (
        f"{rules.item_label(data, comment)}\n{comment.type_label}: “{comment.comment}”"
        f"{proposed}{current}"
    )


class Answerer:
    """Runs an answer: the item's text (when accepting), then the answer record."""

    def __init__(self, parent: QWidget, bridge: SessionBridge, source: CommentsSource) -> None:
        self.parent = parent
        self.bridge = bridge
        self.source = source
        self.before_answer: Callable[[], None] = lambda: None

    @property
    def data(self) -> VisitData:
        return self.bridge.session.data

    def accept(self, comment: Comment) -> None:
        self._run(
            None,
            lambda s: rules.accepting(s.data, s.member_id, comment, None, self.source.comments),
        )

    def accept_own(self, comment: Comment) -> None:
        key = (comment.comment_id, "wording")
        answer = self.data.accuracy_answers.get(comment.comment_id)
        start = self.source.drafts.get(key) or (
            answer.after
            if answer is not None and answer.decision == ACCEPTED
            else comment.proposed.strip() or rules.item_text(self.data, comment) or ""
        )
        words = OwnWordingDialog.ask(self.parent, describe(self.data, comment), start)
        if words is None:
            return
        self.source.drafts[key] = words
        self._run(
            key,
            lambda s: rules.accepting(s.data, s.member_id, comment, words, self.source.comments),
        )

    def decline(self, comment: Comment) -> None:
        key = (comment.comment_id, "reason")
        answer = self.data.accuracy_answers.get(comment.comment_id)
        start = self.source.drafts.get(key) or (answer.reason if answer is not None else "")
        reason = DeclineDialog.ask(self.parent, describe(self.data, comment), start)
        if reason is None:
            return
        self.source.drafts[key] = reason
        self._run(
            key,
            lambda s: rules.declining(s.data, s.member_id, comment, reason, self.source.comments),
        )

    def _run(self, draft: tuple[str, str] | None, plan: Callable[[Any], Any]) -> None:
        self.before_answer()
        try:
            answer = plan(self.bridge.session)
        except Exception as exc:  # noqa: BLE001 - a refusal: told once, as ChangeOp tells it
            refused = exc
            ChangeOp(self.parent, self.bridge, lambda _s: _raise(refused)).run()
            return

        def recorded(_change: Change) -> None:
            if draft is not None:
                self.source.drafts.pop(draft, None)  # saved: nothing to offer again

        def answer_it(_change: Change | None = None) -> None:
            ChangeOp(self.parent, self.bridge, lambda s: rules.record(s, answer)).success(
                recorded
            ).run()

        if rules.needs_text_change(self.data, answer):
            ChangeOp(self.parent, self.bridge, lambda s: rules.change_text(s, answer)).success(
                answer_it
            ).run()
        else:
            answer_it()


def _raise(exc: BaseException) -> Any:
    raise exc


# -- one comment, and the comments on one item ----------------------------------------------------


class CommentCard(QFrame):
    """One comment: its type, the provider's words, the proposed wording, the answer so far,
    and for the lead the three buttons."""

    def __init__(
        self,
        comment: Comment,
        answerer: Answerer,
        parent: QWidget | None = None,
        *,
        with_item: bool = False,
        mnemonics: bool = True,
    ) -> None:
        """``with_item``: name the finding or standard and show its text now (in the list of
        every comment); ``mnemonics``: Alt+A, Alt+R, Alt+L press the buttons (not on the
        standard's page, whose window has menus on those letters)."""
        super().__init__(parent)
        self.comment = comment
        self.answerer = answerer
        self.with_item = with_item
        self.setObjectName("accuracyCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Provider's comment: {comment.type_label}")
        restyle_on_change(self, _card_sheet)
        layout = QVBoxLayout(self)
        self.title = self._label("Comment type")
        heading(self.title, 1.0)
        self.words = self._label("Provider's comment")
        self.proposed = self._label("Proposed wording")
        self.now = self._label("The text now")
        muted(self.now)
        self.now.setVisible(with_item)
        self.status = self._label("Answer")
        restyle_on_change(self.status, self._colour_status)
        for w in (self.title, self.words, self.proposed, self.now, self.status):
            layout.addWidget(w)
        amp = "&" if mnemonics else ""
        self.accept_button = self._button(
            f"{amp}Accept", "Accept the proposed wording", answerer.accept
        )
        self.own_button = self._button(
            f"Accept with my wo{amp}rding…", "Accept with my wording", answerer.accept_own
        )
        self.decline_button = self._button(
            f"Dec{amp}line…", "Decline the comment", answerer.decline
        )
        buttons = [self.accept_button, self.own_button, self.decline_button]
        for b in buttons:
            b.setVisible(answerer.bridge.session.is_lead)
        layout.addWidget(ButtonRow(buttons, self))
        self.refresh()

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _button(self, text: str, name: str, slot: Callable[[Comment], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setAutoDefault(False)
        button.clicked.connect(lambda: slot(self.comment))
        return button

    def refresh(self) -> None:
        data = self.answerer.data
        c = self.comment
        where = f" — {rules.item_label(data, c)}" if self.with_item else ""
        self.title.setText(f"{c.type_label}{where}")
        self.words.setText(f"The provider: “{c.comment}”")
        self.proposed.setText(
            f"Proposed wording: “{c.proposed}”" if c.proposed.strip() else "No wording proposed."
        )
        if self.with_item:
            now = rules.item_text(data, c)
            self.now.setText(
                "The text now: no longer in this visit."
                if now is None
                else f"The text now: “{now}”"
                if now.strip()
                else "The text now: (empty)"
            )
        self.status.setText(answer_words(data, c))
        self.accept_button.setEnabled(bool(c.proposed.strip()))
        self.accept_button.setToolTip(
            "Make the text the provider's proposed wording"
            if c.proposed.strip()
            else "The provider proposed no wording: accept with your own words, or decline"
        )
        self._colour_status(self.status)

    def _colour_status(self, label: QWidget) -> None:
        answer = self.answerer.data.accuracy_answers.get(self.comment.comment_id)
        done = answer is not None and answer.answered
        colour = tone(label, "#1b5e20", "#a5d6a7") if done else tone(label, "#b3261e", "#ff8a80")
        label.setStyleSheet(f"color: {colour}; font-weight: bold;")


class ButtonRow(QWidget):
    """Buttons in one row, or one under another when the card is too narrow for the row
    (larger text, a narrow pane): every button stays in sight, none cut off."""

    def __init__(self, buttons: list[QPushButton], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons = buttons
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.columns = 0
        self._arrange(len(buttons))

    def _row_width(self) -> int:
        shown = [b for b in self.buttons if not b.isHidden()]
        spacing = max(0, self.grid.horizontalSpacing()) * max(0, len(shown) - 1)
        return sum(b.sizeHint().width() for b in shown) + spacing

    def _arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for b in self.buttons:
            self.grid.removeWidget(b)
        for i, b in enumerate(self.buttons):
            self.grid.addWidget(b, i // columns, i % columns, Qt.AlignmentFlag.AlignLeft)
        self.grid.setColumnStretch(columns, 1)
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        widest = max((b.sizeHint().width() for b in self.buttons), default=0)
        return QSize(min(hint.width(), widest), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._arrange(len(self.buttons) if event.size().width() >= self._row_width() else 1)


def _card_sheet(card: QWidget) -> None:
    card.setStyleSheet(
        "QFrame#accuracyCard { border: 1px solid palette(mid); border-left: 4px solid"
        f" {tone(card, '#8a5a00', '#ffcc80')}; border-radius: 4px; }}"
    )


def answer_words(data: VisitData, comment: Comment) -> str:
    """ "Accepted by Dr Zoë Hartley on 2027-01-12" / "Declined: ..." / "Not answered yet"."""
    answer = data.accuracy_answers.get(comment.comment_id)
    if answer is None or not answer.answered:
        return "Not answered yet."
    who = author_name(data, answer.answered_by)
    when = answer.answered_at[:10]
    if answer.decision == ACCEPTED:
        return f"Accepted by {who} on {when}: the text now reads as agreed."
    return f"Declined by {who} on {when}: “{answer.reason}”"


class CommentsPanel(QWidget):
    """The provider's comments on one finding or standard; hidden when there are none."""

    def __init__(
        self,
        bridge: SessionBridge,
        parent: QWidget | None = None,
        *,
        mnemonics: bool = True,
        max_lines: int = 0,
    ) -> None:
        """``max_lines``: no taller than so many lines of text (0: as tall as the comments);
        more comments than fit scroll (on the standard's page, which must stay readable)."""
        super().__init__(parent)
        self.bridge = bridge
        self.source = comments_source(bridge)
        self.answerer = Answerer(self, bridge, self.source)
        self.mnemonics = mnemonics
        self.item: tuple[str, str] | None = None
        self.cards: list[CommentCard] = []
        self.setAccessibleName("The provider's comments")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self)
        self.heading.setAccessibleName("The provider's comments")
        self.heading.setWordWrap(True)
        heading(self.heading, 1.05)
        layout.addWidget(self.heading)
        cards = QWidget(self)
        self.box = QVBoxLayout(cards)
        self.box.setContentsMargins(0, 0, 0, 0)
        if max_lines:
            scroll = QScrollArea(self)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(cards)
            scroll.setAccessibleName("The provider's comments")
            scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes straight to the buttons
            # Both wrappers kept: with the scroll area's wrapper gone, PySide deleted the cards'
            # box under the panel's feet (seen on the standard's page after a garbage collection).
            self._scroll, self._cards = scroll, cards
            restyle_on_change(  # so many lines of the font in use, now and after it changes
                scroll,
                lambda w: w.setMaximumHeight(QFontMetrics(w.font()).lineSpacing() * max_lines),
            )
            layout.addWidget(scroll)
        else:
            layout.addWidget(cards)
        self.setVisible(False)
        self.source.changed.connect(self._rebuild)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self._rebuild)

    def show_item(self, item_kind: str, item_id: str) -> None:
        """Show the comments on a finding (its id) or a standard ("<component>:<ref>")."""
        if self.item == (item_kind, item_id) and self.cards:
            return
        self.item = (item_kind, item_id)
        self._rebuild()

    def show_finding(self, finding_id: str | None) -> None:
        if finding_id is None:
            self.clear()
        else:
            self.show_item(rules.FINDING_ITEM, finding_id)

    def show_standard(self, ref: str, component: str) -> None:
        self.show_item(rules.STANDARD_ITEM, rules.standard_item_id(ref, component))

    def clear(self) -> None:
        self.item = None
        self._rebuild()

    def _rebuild(self) -> None:
        found = self.source.comments.for_item(*self.item) if self.item is not None else []
        if not found and not self.cards:
            self.setVisible(False)
            return
        clear_layout(self.box)
        self.cards = [CommentCard(c, self.answerer, self, mnemonics=self.mnemonics) for c in found]
        for card in self.cards:
            self.box.addWidget(card)
        self._count()
        self.setVisible(bool(found))

    def _count(self) -> None:
        data = self.bridge.session.data
        done = sum(1 for c in (card.comment for card in self.cards) if _answered(data, c))
        n = len(self.cards)
        self.heading.setText(
            f"The provider's comment{'s' if n != 1 else ''} on this ({done} of {n} answered)"
        )

    def _on_changed(self, change: Change) -> None:
        if self.cards and change.entity in (ACCURACY_ANSWER, FINDING, TEAM_JUDGEMENT):
            for card in self.cards:
                card.refresh()
            self._count()


def _answered(data: VisitData, comment: Comment) -> bool:
    answer = data.accuracy_answers.get(comment.comment_id)
    return answer is not None and answer.answered


# -- every comment ---------------------------------------------------------------------------------


class AccuracyWindow(QDialog):
    """Every comment of the last version commented on, answered or not; not modal."""

    open_finding = Signal(str)
    go_to_standard = Signal(str, str)

    def __init__(  # noqa: PLR0915 (one widget after another)
        self, bridge: SessionBridge, paths: AppPaths, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.source = comments_source(bridge, paths)
        self.answerer = Answerer(self, bridge, self.source)
        data = bridge.session.data
        self.setWindowTitle(f"The provider's comments — {data.visit.title}")
        self.setAccessibleName("The provider's comments")
        self.resize(1100, 700)
        title = QLabel("Factual accuracy: the provider's comments", self)
        heading(title, 1.3)
        self.counts = QLabel(self)
        self.counts.setAccessibleName("Answered and unanswered")
        self.counts.setWordWrap(True)
        heading(self.counts, 1.0)
        explain = QLabel(
            "Accept a comment (the text becomes the proposed wording, or your own) or decline "
            "it with a reason. The next version is finalised once every comment is answered. "
            "Ctrl+Z undoes an answer.",
            self,
        )
        explain.setWordWrap(True)
        muted(explain)
        self.only_open = QCheckBox("Show &unanswered only", self)
        self.only_open.setAccessibleName("Show unanswered only")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Comments")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(3)
        self.detail = QWidget(self)
        self.detail_box = QVBoxLayout(self.detail)
        self.go_button: QPushButton | None = None
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.detail)
        scroll.setAccessibleName("The chosen comment")
        self._scroll = scroll  # (kept, as CommentsPanel keeps its own)
        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.only_open)
        left_box.addWidget(self.list, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setSizes([420, 680])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.counts)
        layout.addWidget(explain)
        layout.addWidget(splitter, 1)
        self.card: CommentCard | None = None
        self.only_open.toggled.connect(lambda _on: self.refresh())
        self.list.currentItemChanged.connect(lambda _now, _was: self._show_current())
        self.list.itemActivated.connect(lambda _item: self.go())
        self.source.changed.connect(self.refresh)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self.refresh)
        self.refresh()

    @property
    def data(self) -> VisitData:
        return self.bridge.session.data

    def current(self) -> Comment | None:
        item = self.list.currentItem()
        return self.source.comments.get(str(item.data(ID_ROLE))) if item is not None else None

    def counts_text(self) -> str:
        done, total = rules.counts(self.data, self.source.comments)
        if not total:
            return "No comments from the provider (they arrive with the sync)."
        version = f" on V{self.source.comments.version}" if self.source.comments.version else ""
        return (
            f"{total} comment{'s' if total != 1 else ''}{version}: "
            f"{done} answered, {total - done} unanswered"
        )

    def refresh(self) -> None:
        keep = self.current()
        self.counts.setText(self.counts_text())
        self.list.blockSignals(True)
        self.list.clear()
        for c in self.source.comments.comments:
            answered = _answered(self.data, c)
            if self.only_open.isChecked() and answered:
                continue
            state = "✓ Answered" if answered else "● Unanswered"
            text = (
                f"{state} · {c.type_label}\n{rules.item_label(self.data, c)}\n“{_short(c.comment)}”"
            )
            item = QListWidgetItem(text, self.list)
            font = item.font()
            font.setBold(not answered)
            item.setFont(font)
            item.setData(ID_ROLE, c.comment_id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text.replace("\n", ". "))
        self.list.blockSignals(False)
        row = next(
            (
                i
                for i in range(self.list.count())
                if keep is not None and self.list.item(i).data(ID_ROLE) == keep.comment_id
            ),
            0,
        )
        if self.list.count():
            self.list.setCurrentRow(row)
        self._show_current()

    def _show_current(self) -> None:
        comment = self.current()
        if self.card is not None and comment is not None and self.card.comment == comment:
            self.card.refresh()
            return
        had_keyboard = self.card is not None and self.card.isAncestorOf(self.focusWidget())
        clear_layout(self.detail_box)
        self.card = None
        if had_keyboard:  # the card answered went (unanswered only): back to the list
            self.list.setFocus(Qt.FocusReason.OtherFocusReason)
        if comment is None:
            empty = QLabel("Nothing to answer here.", self.detail)
            muted(empty)
            self.detail_box.addWidget(empty)
        else:
            self.card = CommentCard(comment, self.answerer, self.detail, with_item=True)
            self.detail_box.addWidget(self.card)
            self.go_button = QPushButton("&Go to it", self.detail)
            self.go_button.setAccessibleName("Go to the finding or standard")
            self.go_button.clicked.connect(self.go)
            row = QHBoxLayout()
            row.addWidget(self.go_button)
            row.addStretch(1)
            self.detail_box.addLayout(row)
        self.detail_box.addStretch(1)

    def go(self) -> None:
        comment = self.current()
        if comment is None:
            return
        if comment.item_kind == rules.FINDING_ITEM:
            self.open_finding.emit(comment.item_id)
            return
        where = rules.standard_of(self.data, comment.item_id)
        if where is not None:
            self.go_to_standard.emit(*where)

    def _on_changed(self, change: Change) -> None:
        if change.entity in (ACCURACY_ANSWER, FINDING, TEAM_JUDGEMENT):
            self.refresh()


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class CommentsBadge(QPushButton):
    """In the status bar while comments are unanswered: "3 provider comments to answer"."""

    def __init__(
        self, bridge: SessionBridge, source: CommentsSource, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.source = source
        self.setFlat(True)
        self.setAccessibleName("Provider's comments to answer")
        self.setToolTip("The provider's factual accuracy comments: open the list")
        restyle_on_change(
            self,
            lambda b: b.setStyleSheet(
                f"color:{tone(b, '#8a5a00', '#ffcc80')}; font-weight:bold; padding:0 8px;"
            ),
        )
        self.setVisible(False)
        source.changed.connect(self.refresh)
        bridge.changed.connect(self._changed)
        bridge.reloaded.connect(self.refresh)

    def _changed(self, change: Change) -> None:
        if change.entity == ACCURACY_ANSWER:
            self.refresh()

    def refresh(self) -> None:
        done, total = rules.counts(self.bridge.session.data, self.source.comments)
        left = total - done
        self.setText(f"{left} provider comment{'s' if left != 1 else ''} to answer")
        self.setVisible(left > 0)


def install(window: Any, open_list: Callable[[], object]) -> CommentsSource:
    """The lead's window: the comments read (and read again after each sync), the badge in
    the status bar that opens the list (``open_list``), and the comments on the standard's
    page under the team judgement."""
    bridge: SessionBridge = window.bridge
    source = comments_source(bridge, window.paths)
    badge = CommentsBadge(bridge, source, window)
    badge.clicked.connect(open_list)
    window.statusBar().addPermanentWidget(badge)
    page = getattr(window, "page", None)
    add = getattr(page, "add_beside_team_judgement", None)
    if add is not None:
        panel = CommentsPanel(bridge, page, mnemonics=False, max_lines=PAGE_LINES)
        add(panel, panel.show_standard)
        rebuilt = getattr(page, "rebuilt", None)
        if rebuilt is not None:  # its buttons take their place in the window's Tab order
            source.changed.connect(rebuilt.emit)
    return source
