"""The standard's page: what the standard asks, what the provider claims, and my judgement.

The page reads only the session's in-memory data and changes it only through named operations
run by the bridge. It redraws itself when a change concerns the standard it shows, keeping the
reviewer's caret and scroll position. The reason is saved on focus-out and after a pause in
typing, never on every keystroke.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.visit.model import (
    CLAIM_LABELS,
    JUDGEMENT,
    parse_judgement_id,
)
from reviewer_app.visit.read_model import VisitData
from reviewer_app.visit.session import Change, VisitSession
from ui.bridge import SessionBridge
from ui.judgement_card import JudgementCard
from ui.judgement_icons import document_icon
from ui.operations import ChangeOp
from ui.palette import check_box_sheet, page_colours
from ui.standard_lists import RecordLists
from ui.team.team_judgement import TeamJudgementLine
from ui.text_style import Card, heading

REASON_PAUSE_MS = 1000
PAGE_WIDTH = 880
SUB_PART_INDENT = 24  # a roman sub-item ("a.i") sits this far in under its letter
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse
_LINKS = (
    Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
)


def show_text(
    label: QLabel, text: str, known_refs: Container[str], *, selectable: bool = True
) -> None:
    """Show a standard's ``text`` in ``label``: plain text, unless it holds a pasted table or
    a cross-reference to a known standard (then rich text, its links reachable by keyboard).

    Plain text is the rule: a rich-text label is laid out through a text document, the slowest
    kind of label to size, and moving between standards has 16 ms.
    """
    flags = _SELECTABLE if selectable else Qt.TextInteractionFlag.NoTextInteraction
    html = None
    # Most texts have neither a tab nor "see": they never load the module that reads them.
    if "\t" in text or "see" in text.lower():
        from reviewer_app.visit.requirement_text import rich_text  # noqa: PLC0415 (see above)

        html = rich_text(text, known_refs)
    if html is None:
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(flags)
        label.setText(text)
        return
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags((flags | _LINKS) if "<a href=" in html else flags)
    label.setText(html)


def part_display(label: str) -> tuple[int, str]:
    """How deep a part sits and the label shown: "a" -> (0, "a"), "a.ii" -> (1, "ii")."""
    if "." not in label:
        return 0, label
    from reviewer_app.visit.requirement_text import part_level  # noqa: PLC0415 (only for sub-parts)

    return part_level(label)


class _ClickLabel(QLabel):
    """A part's text: clicking it ticks the part's box, like a check box's own label (but a
    click on a cross-reference follows the link instead)."""

    def __init__(self, text: str, box: QCheckBox, known_refs: Container[str]) -> None:
        super().__init__(box.parentWidget())
        self.box = box
        self.setWordWrap(True)
        self.setOpenExternalLinks(False)
        self._followed = False
        self.linkActivated.connect(self._link_followed)
        show_text(self, text, known_refs, selectable=False)  # a click ticks

    def _link_followed(self, _href: str) -> None:
        self._followed = True

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        # On release, not on press: the label's own handling of the release is what says
        # whether it was a link (linkActivated, emitted from within it).
        self._followed = False
        super().mouseReleaseEvent(event)
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self.rect().contains(event.position().toPoint())
            and not self._followed
        ):
            self.box.click()


_DOC_ID = "rv_document_id"  # a document button's property: the kit document it opens


class _Stack(QWidget):
    """Its shown children one above another, as wide as itself, placed by hand.

    No layout, on purpose. When a widget is shown inside a shown parent, Qt lays out there and
    then every shown ancestor that has a layout (``QWidget::setVisible``): the whole page, about
    3 ms, for each part's line or heading that a move to the next standard shows. Shown inside
    this box, a line costs only itself; the page is laid out once, at the next turn of the
    event loop, after :meth:`refit`."""

    def __init__(self, parent: QWidget, spacing: int, left: int = 0) -> None:
        super().__init__(parent)
        self.spacing, self.left = spacing, left
        self.items: list[QWidget] = []
        self._cache: dict[int, list[tuple[QWidget, int]]] = {}  # width -> shown children's heights
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def add(self, widget: QWidget) -> None:
        self.items.append(widget)

    def _heights(self, width: int) -> list[tuple[QWidget, int]]:
        """The shown children's heights at ``width``, worked out once until :meth:`refit`
        (the page's layout asks several times a move, and a wrapped label's height is costly)."""
        found = self._cache.get(width)
        if found is None:
            inner = max(1, width - self.left)
            found = self._cache[width] = [
                (w, _height(w, inner)) for w in self.items if not w.isHidden()
            ]
        return found

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        heights = [h for _, h in self._heights(width) if h > 0]
        return sum(heights) + self.spacing * max(0, len(heights) - 1)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        width = max(self.width(), 200)
        return QSize(200, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(100, 0)

    def refit(self) -> None:
        """Place the children again and ask the page for the height they now need."""
        self._cache.clear()
        self._place()
        self.updateGeometry()
        # The children's own requests, sent as their texts changed, are answered by this.
        QCoreApplication.removePostedEvents(self, QEvent.Type.LayoutRequest)

    def _place(self) -> None:
        y, width = 0, max(1, self.width() - self.left)
        for widget, h in self._heights(self.width()):
            widget.setGeometry(self.left, y, width, max(h, 0))
            if h > 0:
                y += h + self.spacing

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a child's size hint changed
            self.refit()
        return super().event(event)


def _height(widget: QWidget, width: int) -> int:
    if widget.hasHeightForWidth():
        return widget.heightForWidth(width)
    return widget.sizeHint().height()


class _PartRow(QWidget):
    """A lettered part's line: its check box and its text, reused for the next standard's.
    Placed by hand, as :class:`_Stack` is, for the same reason."""

    GAP = 6

    def __init__(self, page: StandardPage) -> None:
        super().__init__(page.parts_box)
        self.label = ""
        self.indent = 0
        self._height: tuple[int, int] = (-1, 0)  # (width, height) worked out last
        self.box = QCheckBox(self)
        self.box.clicked.connect(lambda checked: page._tick(self.label, checked))
        self.text = _ClickLabel("", self.box, ())
        self.text.setParent(self)
        self.text.linkActivated.connect(page._follow_link)
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def show_part(self, label: str, text: str, reachable: Container[str]) -> None:
        self.label = label
        level, shown = part_display(label)
        self.indent = SUB_PART_INDENT * level
        self.box.setAccessibleName(f"Part {label} met")
        self.box.setToolTip(f"Tick when part {label} is met")
        show_text(self.text, f"{shown}.  {text}", reachable, selectable=False)  # a click ticks
        self._height = (-1, 0)

    def hide(self) -> None:
        self.label = ""
        self.setVisible(False)

    def _text_width(self, width: int) -> int:
        return max(1, width - self.indent - self.box.sizeHint().width() - self.GAP)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        if self._height[0] != width:
            text = self.text.heightForWidth(self._text_width(width))
            self._height = (width, max(self.box.sizeHint().height(), text))
        return self._height[1]

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(200, self.heightForWidth(max(self.width(), 200)))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.place()

    def place(self) -> None:
        hint = self.box.sizeHint()
        self.box.setGeometry(self.indent, 0, hint.width(), hint.height())
        self.text.setGeometry(
            self.indent + hint.width() + self.GAP, 0, self._text_width(self.width()), self.height()
        )


class _Reachable:
    """The refs a cross-reference may link to: the visit's standards for the component shown
    (the navigator lists no other, so a link to one would go nowhere)."""

    def __init__(self, data: VisitData, component: str) -> None:
        self.data = data
        self.component = component

    def __contains__(self, ref: object) -> bool:
        return (
            isinstance(ref, str)
            and ref in self.data.by_ref
            and self.data.applies(ref, self.component)
        )


_RECOLOUR_ON = (
    QEvent.Type.PaletteChange,
    QEvent.Type.ApplicationPaletteChange,
    QEvent.Type.ApplicationFontChange,  # (the boxes are sized to the font)
)


class StandardPage(QScrollArea):
    open_document = Signal(str, str)  # document id, text to search for
    open_standard = Signal(str)  # a cross-reference was followed: the ref to go to
    rebuilt = Signal()  # controls were made or removed (parts, document links, lists): Tab order

    def __init__(
        self,
        bridge: SessionBridge,
        parent: QWidget | None = None,
        *,
        judgement_box: QVBoxLayout | None = None,
    ) -> None:
        """``judgement_box``: where "My judgement" and the team's go (the window holds them
        below the page), made there at once; else at the foot of the page."""
        super().__init__(parent)
        self.bridge = bridge
        self.session: VisitSession = bridge.session
        self.ref: str | None = None
        self.component = ""
        self.setAccessibleName("Standard")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always there: a scroll bar that came and went with the standard's length changed the
        # page's width, and every wrapped line was laid out again (a third of moving on).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self._doc_icon = document_icon()
        outer = QWidget()
        outer.setAccessibleName("Standard page")
        row = QHBoxLayout(outer)
        body = QWidget(outer)
        body.setMaximumWidth(PAGE_WIDTH)
        row.addWidget(body, 1)
        row.addStretch(0)
        self.body = QVBoxLayout(body)
        self.body.setSpacing(10)
        # Set while still empty: given a full page, the scroll area would size it to its hint
        # there and then (4 ms), only for the first show to lay it out again.
        self.setWidget(outer)
        self._build_header(body)
        self._build_requirement(body)
        self._build_claim(body)
        self._build_judgement(body, judgement_box)
        self.lists = RecordLists(bridge, self._context, body)
        self.lists.open_document.connect(self.open_document)
        self.body.addWidget(self.lists)
        self.body.addStretch(1)
        bridge.changed.connect(self._on_changed)
        bridge.reloaded.connect(self._reloaded)
        self._recolouring = False
        self._recolour()
        self._show_nothing()

    @property
    def data(self) -> VisitData:
        return self.session.data

    def _context(self) -> tuple[str | None, str]:
        return self.ref, self.component

    # -- building ---------------------------------------------------------------------------

    def _label(self, parent: QWidget, name: str, *, wrap: bool = True) -> QLabel:
        label = QLabel(parent)
        label.setAccessibleName(name)
        label.setWordWrap(wrap)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(_SELECTABLE)
        return label

    def _text_label(self, parent: QWidget, name: str) -> QLabel:
        """A label for the standard's own text, which may hold tables and cross-references."""
        label = self._label(parent, name)
        label.setOpenExternalLinks(False)
        label.linkActivated.connect(self._follow_link)
        return label

    def _build_header(self, body: QWidget) -> None:
        self.section_label = self._label(body, "Section")

        top = QHBoxLayout()
        self.ref_label = self._label(body, "Reference", wrap=False)
        heading(self.ref_label, 1.5)
        self.key_badge = QLabel("KEY", body)
        self.key_badge.setAccessibleName("Key standard")
        self.key_badge.setToolTip("A key standard: used for headline figures")
        self.key_badge.setStyleSheet(
            "background:#f6c343; color:#3d2c00; font-weight:bold; padding:2px 8px;"
            " border-radius:4px;"
        )
        top.addWidget(self.ref_label)
        top.addWidget(self.key_badge)
        top.addStretch(1)
        self.title_label = self._label(body, "Title")
        heading(self.title_label, 1.25)
        self.body.addWidget(self.section_label)
        self.body.addLayout(top)
        self.body.addWidget(self.title_label)

    def _build_requirement(self, body: QWidget) -> None:
        self.requirement_heading = QLabel("Requirement", body)
        heading(self.requirement_heading, 1.05)
        # What comes and goes from standard to standard, in boxes placed by hand (_Stack).
        block = self.requirement_block = _Stack(body, self.body.spacing())
        self.requirement = self._text_label(block, "Requirement")
        self.parts_box = _Stack(block, 6, left=12)
        self.parts_box.setAccessibleName("Lettered parts")
        self.part_boxes: dict[str, QCheckBox] = {}
        self._part_rows: list[_PartRow] = []
        self._doc_buttons: list[QPushButton] = []
        # A heading over plain text, as for the requirement: a rich-text label would be laid
        # out through a text document, the slowest kind of label to size.
        self.evidence_heading = QLabel("Evidence expected", block)
        heading(self.evidence_heading, 1.05)
        self.evidence_expected = self._text_label(block, "Evidence expected")
        self.kit_notes = self._text_label(block, "Notes on the standard")
        for w in (
            self.requirement,
            self.parts_box,
            self.evidence_heading,
            self.evidence_expected,
            self.kit_notes,
        ):
            block.add(w)
        self.body.addWidget(self.requirement_heading)
        self.body.addWidget(block)

    def _build_claim(self, body: QWidget) -> None:
        self.claim_group = Card("Provider's self-assessment", "#7b8fb0", body)
        layout = self.claim_group.layout_
        self.claim = self._label(self.claim_group, "Provider's claim")
        self.claim_comment = self._label(self.claim_group, "Provider's comment")
        self.documents_label = QLabel("Documents in the kit for this standard:", self.claim_group)
        self.documents_box = QVBoxLayout()
        layout.addWidget(self.claim)
        layout.addWidget(self.claim_comment)
        layout.addWidget(self.documents_label)
        layout.addLayout(self.documents_box)
        self.body.addWidget(self.claim_group)

    def _build_judgement(self, body: QWidget, box: QVBoxLayout | None) -> None:
        # (Made where they go: moved there after, each was polished again with its styles.)
        holder = box.parentWidget() if box is not None else body
        assert holder is not None
        into = box if box is not None else self.body
        self.judgement = JudgementCard(self.bridge, holder)
        into.addWidget(self.judgement)
        self.team_line = TeamJudgementLine(self.bridge, holder)
        into.addWidget(self.team_line)
        self._beside_team: list[Any] = []  # show_for(ref, component) of what the lead adds

    def add_beside_team_judgement(self, widget: QWidget, show_for: Any) -> None:
        """Put ``widget`` under the team judgement (the lead's window adds the provider's
        comments there); ``show_for(ref, component)`` is called for each standard shown."""
        parent = self.team_line.parentWidget()
        holder = parent.layout() if parent is not None else None
        at = holder.indexOf(self.team_line) if isinstance(holder, QVBoxLayout) else -1
        box = holder if isinstance(holder, QVBoxLayout) and at >= 0 else self.body
        box.insertWidget(at + 1 if box is holder else box.count(), widget)
        self._beside_team.append(show_for)
        if self.ref is not None:
            show_for(self.ref, self.component)

    # -- colours ---------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        # (Not while being made, nor while colouring: setting the colours sends events too.)
        if event.type() in _RECOLOUR_ON and not getattr(self, "_recolouring", True):
            self._recolour()

    def _recolour(self) -> None:
        """Colour the secondary text and the parts' boxes from the application's palette,
        readable on the page (``ui.palette``): a dark palette had made them all but vanish."""
        c = page_colours(QApplication.palette(self))
        size = max(12, QFontMetrics(QApplication.font(self)).height() * 3 // 4)
        # The style sheet only when its colours or size changed: set again, it re-polished the
        # parts' boxes for nothing.
        sheet = (c, size) != getattr(self, "_sheet_for", None)
        self._sheet_for = (c, size)
        self._recolouring = True
        try:
            self.colours = c
            for label in (self.section_label, self.kit_notes):
                palette = QPalette(label.palette())
                palette.setColor(QPalette.ColorRole.WindowText, c.muted)
                label.setPalette(palette)
            if sheet:
                self.parts_box.setStyleSheet(check_box_sheet(c.box, c.checked, c.background, size))
        finally:
            self._recolouring = False

    # -- showing --------------------------------------------------------------------------------

    def _show_nothing(self) -> None:
        self.ref_label.setText("")
        self.title_label.setText("Choose a standard from the list")
        for w in (
            self.key_badge,
            self.claim_group,
            self.judgement,
            self.lists,
            self.requirement_heading,
            self.parts_box,
            self.team_line,
            self.evidence_heading,
            self.evidence_expected,
        ):
            w.setVisible(False)

    def show_standard(self, ref: str, component: str) -> None:
        """Show ``ref`` as judged for ``component`` (saving any reason still being typed)."""
        if (ref, component) == (self.ref, self.component):
            return
        self.judgement.flush()
        self.ref, self.component = ref, component
        std = self.data.by_ref[ref]
        self._show_first()
        self.section_label.setText(std.section)
        self.ref_label.setText(std.ref)
        self.title_label.setText(std.title)
        reachable = _Reachable(self.data, component)
        show_text(self.requirement, std.requirement, reachable)
        self._fill_parts(reachable)
        show_text(self.evidence_expected, std.evidence_expected, reachable)
        notes = "\n".join(f"{name}: {value}" for name, value in std.notes)
        show_text(self.kit_notes, notes, reachable)
        self._fill_claim()
        self.parts_box.refit()
        self.requirement_block.refit()
        for row in self._part_rows[: len(std.parts)]:
            row.place()  # the check box's indent may have changed, and not the line's size
        self.judgement.show_for(ref, component, self._component_name())
        self.team_line.show_for(ref, component)
        for show_for in self._beside_team:
            show_for(ref, component)
        self._refresh_parts()
        self.lists.refresh()
        self.verticalScrollBar().setValue(0)
        self.rebuilt.emit()

    def _show_first(self) -> None:
        """Show and hide the shown standard's lines and buttons before any text changes.

        Qt lays out every shown ancestor at once when a widget is shown inside a shown parent
        (``QWidget::setVisible``), but a layout with nothing changed costs nothing: shown first,
        while the page is as the last move left it, they cost a few microseconds; shown after
        the texts were set, the whole page was laid out for each (3 ms), and again after."""
        assert self.ref is not None
        std = self.data.by_ref[self.ref]
        entry = self.data.self_assessment.get((self.ref, self.component))
        docs = self.data.documents_for(self.ref)
        rows = self._part_rows
        while len(rows) < len(std.parts):
            row = _PartRow(self)
            self.parts_box.add(row)
            rows.append(row)
        for row in rows[: len(std.parts)]:
            row.setVisible(True)
        for row in rows[len(std.parts) :]:
            row.hide()
        buttons = self._doc_buttons  # kept from standard to standard, like the parts' lines
        while len(buttons) < len(docs):
            buttons.append(self._doc_button())
        for i, button in enumerate(buttons):
            button.setVisible(i < len(docs))
        comment = entry.comment if entry is not None else ""
        for widget, shown in (
            (self.key_badge, std.key),
            (self.requirement, bool(std.requirement)),  # parts with no stem: no gap
            (self.parts_box, bool(std.parts)),
            (self.evidence_heading, bool(std.evidence_expected)),
            (self.evidence_expected, bool(std.evidence_expected)),
            (self.kit_notes, bool(std.notes)),
            (self.claim_comment, bool(comment)),
            (self.documents_label, bool(docs)),
            (self.claim_group, True),
            (self.judgement, True),
            (self.lists, True),
            (self.requirement_heading, True),
            (self.team_line, True),
        ):
            widget.setVisible(shown)

    def set_component(self, component: str) -> None:
        if self.ref is not None:
            self.show_standard(self.ref, component)

    def _component_name(self) -> str:
        return next(
            (c.name for c in self.data.visit.components if c.id == self.component), self.component
        )

    def _fill_parts(self, reachable: Container[str]) -> None:
        """The lettered parts' texts, on lines kept from standard to standard (making a check
        box and a label per part for every standard shown cost a third of moving on)."""
        assert self.ref is not None
        self.part_boxes = {}
        for row, part in zip(self._part_rows, self.data.by_ref[self.ref].parts, strict=False):
            row.show_part(part.label, part.text, reachable)
            self.part_boxes[part.label] = row.box

    def _fill_claim(self) -> None:
        assert self.ref is not None
        entry = self.data.self_assessment.get((self.ref, self.component))
        docs = self.data.documents_for(self.ref)
        self.claim_group.setTitle(f"Provider's self-assessment — {self._component_name()}")
        if entry is None:
            self.claim.setText("No self-assessment was given for this component.")
        else:
            label = CLAIM_LABELS.get(entry.claim, entry.claim)
            self.claim.setText(f"The provider claims: {label}")
            self.claim_comment.setText(entry.comment)
        font = self.claim.font()
        font.setBold(entry is not None)
        self.claim.setFont(font)
        for button, doc in zip(self._doc_buttons, docs, strict=False):
            button.setText(doc.title)
            button.setAccessibleName(f"Open document {doc.title}")
            button.setToolTip(f"Open {doc.title} in the evidence viewer")
            button.setProperty(_DOC_ID, doc.id)

    def _doc_button(self) -> QPushButton:
        button = QPushButton(self._doc_icon, "", self.claim_group)
        button.setFlat(True)
        button.setStyleSheet("text-align:left; padding:3px 6px;")
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(
            lambda _c=False: self.open_document.emit(button.property(_DOC_ID), "")
        )
        self.documents_box.addWidget(button)
        return button

    def _refresh_parts(self) -> None:
        parts = self.judgement.judgement().parts
        for label, box in self.part_boxes.items():
            box.setChecked(bool(parts.get(label)))

    # -- acting ---------------------------------------------------------------------------------

    def judge(self, value: str) -> None:
        """Record my judgement for the shown standard (with the reason being typed, if any)."""
        self.judgement.judge(value)

    def use_suggestion(self) -> None:
        self.judgement.use_suggestion()

    def flush(self) -> None:
        """Save the reason being typed (before moving away or closing)."""
        self.judgement.flush()

    def focus_reason(self) -> None:
        self.judgement.focus_reason()
        self.ensureWidgetVisible(self.judgement.reason)

    def add_evidence(self) -> None:
        self.lists.add_evidence()

    def add_note(self) -> None:
        self.lists.add_note()

    def add_observation(self) -> None:
        self.lists.add_observation()

    def add_photo(self) -> None:
        self.lists.add_photo()

    def _follow_link(self, href: str) -> None:
        """A cross-reference was clicked or activated by keyboard: ask to go to its standard."""
        from reviewer_app.visit.requirement_text import ref_of_link  # noqa: PLC0415 (loaded by now)

        ref = ref_of_link(href)
        if ref is not None and ref in _Reachable(self.data, self.component):
            # At the next turn: going there rebuilds the parts, and the link may be in one.
            QTimer.singleShot(0, self, lambda: self.open_standard.emit(ref))

    def _tick(self, label: str, met: bool) -> None:
        if self.ref is not None:
            ref, component = self.ref, self.component
            ChangeOp(self, self.bridge, lambda s: s.tick_part(ref, component, label, met)).run()

    # -- keeping up -----------------------------------------------------------------------------

    def _concerns(self, change: Change) -> bool:
        if self.ref is None:
            return False
        if change.entity == JUDGEMENT:
            ref, component, member = parse_judgement_id(change.entity_id)
            return (ref, component, member) == (self.ref, self.component, self.data.member_id)
        fields = change.fields or {}
        return (
            change.entity_id in self.lists.shown_ids
            or fields.get("ref") == self.ref
            or self.ref in (fields.get("refs") or ())
        )

    def _reloaded(self) -> None:
        """Bundles were imported: show the standard again from the fresh read model."""
        if self.ref is not None:
            ref, self.ref = self.ref, None
            self.show_standard(ref, self.component)

    def _on_changed(self, change: Change) -> None:
        if not self._concerns(change):
            return
        scroll = self.verticalScrollBar().value()
        if change.entity == JUDGEMENT:
            self.judgement.changed()
            self._refresh_parts()
        else:
            self.lists.refresh()
            self.rebuilt.emit()
        self.verticalScrollBar().setValue(scroll)
        QTimer.singleShot(0, self, lambda: self.verticalScrollBar().setValue(scroll))
