"""The look of our PDFs, shared by the report and the feedback sheet: fonts, styles, page marks.

Fonts: DejaVu Sans ships in ``resources/fonts`` (with its licence) because the PDF standard fonts
are Latin-1 only and team members are called Zoë, Łukasz and Nguyễn. The look follows published
NHS quality review reports: dark blue headings, body text at a reading size, tables with a shaded
header row and light rules, a footer with the report's title and "Page X of Y".

"Page X of Y" needs the page count before any page is finished, so :class:`PagedCanvas` keeps
each page's drawing and adds the marks when the document is saved (the usual reportlab recipe).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

from reviewer_app.app.paths import RESOURCES
from reviewer_app.report.images import ImageCache
from reviewer_app.report.texts import shorten

FONTS = RESOURCES / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"

NHS_DARK_BLUE = colors.HexColor("#003087")
NHS_BLUE = colors.HexColor("#005EB8")
TEXT = colors.HexColor("#212B32")
GREY = colors.HexColor("#4C6272")
RULE = colors.HexColor("#AEB7BD")
HEADER_FILL = colors.HexColor("#E8EDEE")
SECTION_FILL = colors.HexColor("#F4F6F7")
DRAFT_RED = colors.HexColor("#B3261E")

FOOTER_SIZE = 7.5

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 2 * cm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN

_registered = False


def register_fonts() -> None:
    """Register the bundled fonts and settings once per process (reportlab keeps them globally)."""
    global _registered  # noqa: PLW0603 - reportlab's registry is process-wide too
    if _registered:
        return
    # Binary streams, not ASCII85: without reportlab's optional C accelerator, ASCII85 encoding
    # of sixty photos takes half a minute and hundreds of MB. PDFs have been binary-safe for
    # decades; nothing we send them through needs 7-bit text.
    rl_config.useA85 = 0
    for name in (FONT, FONT_BOLD, FONT_ITALIC):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )
    _registered = True


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13.5, textColor=TEXT, spaceAfter=6
    )
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, spaceAfter=0)
    return {
        "body": base,
        "small": small,
        "muted": ParagraphStyle("muted", parent=small, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=small),
        "cell_bold": ParagraphStyle("cell_bold", parent=small, fontName=FONT_BOLD),
        "placeholder": ParagraphStyle(
            "placeholder", parent=base, fontName=FONT_ITALIC, textColor=GREY
        ),
        "h0": ParagraphStyle(
            "h0",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=16,
            leading=20,
            textColor=NHS_DARK_BLUE,
            spaceBefore=4,
            spaceAfter=10,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            textColor=NHS_DARK_BLUE,
            spaceBefore=12,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            textColor=NHS_BLUE,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "section": ParagraphStyle(
            "section",
            parent=small,
            fontName=FONT_BOLD,
            textColor=GREY,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "finding": ParagraphStyle(
            "finding", parent=base, leftIndent=0.8 * cm, bulletIndent=0, spaceAfter=2
        ),
        "finding_note": ParagraphStyle(
            "finding_note", parent=small, leftIndent=0.8 * cm, textColor=GREY, spaceAfter=6
        ),
        "caption": ParagraphStyle(
            "caption", parent=small, fontName=FONT_ITALIC, textColor=GREY, alignment=TA_CENTER
        ),
        "cover_programme": ParagraphStyle(
            "cover_programme", parent=base, fontSize=12, leading=16, textColor=NHS_BLUE
        ),
        "cover_title": ParagraphStyle(
            "cover_title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=22,
            leading=28,
            textColor=NHS_DARK_BLUE,
            spaceBefore=10,
            spaceAfter=18,
        ),
        "cover_line": ParagraphStyle("cover_line", parent=base, fontSize=11, leading=16),
        "toc0": ParagraphStyle(
            "toc0", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=15, spaceBefore=4
        ),
        "toc1": ParagraphStyle("toc1", parent=base, leftIndent=1.2 * cm, leading=13, spaceAfter=0),
    }


def text(value: str) -> str:
    """User text as Paragraph markup: escaped, line breaks kept."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


def table(
    rows: list[list[Any]],
    widths: list[float],
    *,
    numeric_from: int | None = None,
    extra: list[tuple[Any, ...]] | None = None,
) -> Table:
    """A table with a shaded header row that repeats on every page, and light rules.

    Header labels given as text wrap within their column (numeric columns' labels to the right).
    """
    head = ParagraphStyle("head", fontName=FONT_BOLD, fontSize=8.5, leading=10.5, textColor=TEXT)
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    rows = [
        [
            Paragraph(
                escape(label),
                head_right if numeric_from is not None and i >= numeric_from else head,
            )
            if isinstance(label, str)
            else label
            for i, label in enumerate(rows[0])
        ],
        *rows[1:],
    ]
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), TEXT),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEABOVE", (0, 0), (-1, 0), 0.75, NHS_DARK_BLUE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, NHS_DARK_BLUE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if numeric_from is not None:
        style.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    t.setStyle(TableStyle(style + (extra or [])))
    return t


def cover_details(
    lines: list[tuple[str, str]],
    st: dict[str, ParagraphStyle],
    width: float,
    label_width: float = 4.5 * cm,
    padding: tuple[float, float] = (4, 5),
) -> Table:
    """The cover's "what this is" table: a bold label and its value on each ruled line (the
    visit report, the programme overview and the QSG summary share it)."""
    table = Table(
        [
            [Paragraph(text(k), st["cell_bold"]), Paragraph(text(v), st["cover_line"])]
            for k, v in lines
        ],
        colWidths=[label_width, width - label_width],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), padding[0]),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding[1]),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def image_flowable(cache: ImageCache, sha256: str, max_w: float, max_h: float) -> Flowable | None:
    """The photo scaled to fit ``max_w`` x ``max_h`` points, keeping its shape."""
    reader = cache.reader(sha256)
    if reader is None:
        return None
    w, h = reader.getSize()
    scale = min(max_w / w, max_h / h)
    return _Photo(reader, width=w * scale, height=h * scale)


class _Photo(Image):  # type: ignore[misc]  # reportlab has no type hints
    """An image flowable drawing a reader shared by every use of the photo (``Image`` would
    make a reader of its own from a file object, and decode the photo again)."""

    def __init__(self, reader: Any, width: float, height: float) -> None:
        self._img = reader  # before Image.__init__, which sizes it
        super().__init__(reader.fp, width=width, height=height)


def photo_grid(
    photos: Sequence[tuple[str, str | None]],
    cache: ImageCache,
    caption_style: ParagraphStyle,
    *,
    indent: float = 0.8 * cm,
    per_row: int = 3,
) -> Table | None:
    """Photos (caption, SHA-256) in a row under their finding, each with its caption beneath."""
    if not photos:
        return None
    cell_w = (FRAME_WIDTH - indent) / per_row
    cells = []
    for caption, sha in photos:
        image = image_flowable(cache, sha, cell_w - 12, 5 * cm) if sha is not None else None
        shown = caption if image is not None else f"{caption} (photo not available)"
        label = Paragraph(text(shown), caption_style)
        cells.append([image, label] if image is not None else [label])
    rows: list[list[Any]] = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    for row in rows:
        row.extend([""] * (per_row - len(row)))
    # Right-aligned and narrower than the frame by ``indent``: it lines up with the text.
    t = Table(rows, colWidths=[cell_w] * per_row, hAlign="RIGHT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return t


Decorate = Callable[[Canvas, int, int], None]


def paged_canvas(decorate: Decorate) -> type[Canvas]:
    """A canvas class that calls ``decorate(canvas, page, pages)`` on every page once the page
    count is known (for "Page X of Y")."""

    class PagedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for number, state in enumerate(self._saved, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return PagedCanvas


def draw_watermark(canvas: Canvas, word: str, size: float = 110) -> None:
    """A large, pale diagonal word behind the page's content."""
    canvas.saveState()
    canvas.setFillColor(DRAFT_RED)
    canvas.setFillAlpha(0.07)
    canvas.setFont(FONT_BOLD, size)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(52)
    canvas.drawCentredString(0, -size / 3, word)
    canvas.restoreState()


def footer_text(left: str, suffix: str = "", size: float = FOOTER_SIZE) -> str:
    """``left`` then ``suffix`` as the footer shows them: a title too long for the line is
    shortened at a word boundary with an ellipsis (``suffix``, the version, is always shown)."""
    if not left:
        return suffix
    limit = FRAME_WIDTH - 3 * cm  # room for "Page X of Y"

    def fits(candidate: str) -> bool:
        return bool(pdfmetrics.stringWidth(candidate + suffix, FONT, size) <= limit)

    return shorten(left, fits) + suffix


def draw_footer(
    canvas: Canvas, left: str, page: int, pages: int, mark: str = "", *, suffix: str = ""
) -> None:
    """The footer rule, the document's title (and ``suffix``), "Page X of Y"; ``mark`` (e.g.
    DRAFT) top right."""
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, 1.45 * cm, PAGE_WIDTH - MARGIN, 1.45 * cm)
    canvas.setFont(FONT, FOOTER_SIZE)
    canvas.setFillColor(GREY)
    canvas.drawString(MARGIN, 1.0 * cm, footer_text(left, suffix))
    canvas.drawRightString(PAGE_WIDTH - MARGIN, 1.0 * cm, f"Page {page} of {pages}")
    if mark:
        canvas.setFont(FONT_BOLD, 9)
        canvas.setFillColor(DRAFT_RED)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 1.2 * cm, mark)
    canvas.restoreState()
