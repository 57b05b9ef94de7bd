"""The programme overview's heat map in the PDF: a flowable that draws the rows itself.

At 50 visits of 500 standards the map has 75,000 cells. A reportlab Table lays out and draws
each cell as text (about 0.1 ms each without reportlab's C accelerator: most of a minute), so
here each kind of cell (✓ met, ✗ not met, – N/A, ? not yet assessed: a fill and a symbol) is a
PDF form drawn once, and each cell is one "place that form here" operator. Text is only what
differs row by row: the ref, the title, the % met.

:class:`HeatMap` splits between rows like a table, its header rows (the columns' turned labels,
their codes and % met) repeated on every page, and never ends a page with a section's heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import xObjectName
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from reviewer_app.report import pdf_kit as kit
from reviewer_app.report.programme import (
    FILLS,
    NOT_MET,
    SYMBOLS,
    Column,
    ProgrammeOverview,
    StandardRow,
)
from reviewer_app.report.texts import shorten

SIZE = 6.5  # the map's font size
ROW_H = 10.5
SECTION_H = 12.0
WIDOW_ROWS = 4  # the fewest rows a page of the map carries over
CELL_FORM = "rv_heat_{}"
ROW_FORM = "rv_heat_row_{}"
HEAD_FORM = "rv_heat_head_{}_{}"


@dataclass(frozen=True, slots=True)
class MapRow:
    """A section's heading (``standard`` None) or a standard with its texts fitted."""

    text: str  # the section's name, or the standard's ref
    title: str = ""
    standard: StandardRow | None = None
    key: int = 0  # names the row's forms

    @property
    def height(self) -> float:
        return ROW_H if self.standard is not None else SECTION_H


def fit(text: str, width: float, font: str = kit.FONT, size: float = SIZE) -> str:
    """``text`` shortened at a word with an ellipsis to fit ``width`` points."""
    return shorten(text, lambda t: pdfmetrics.stringWidth(t, font, size) <= width)


def map_rows(model: ProgrammeOverview, ref_w: float, title_w: float) -> list[MapRow]:
    """Every section and standard of the model, texts fitted once for every column group."""
    out: list[MapRow] = []
    for section in model.sections:
        out.append(MapRow(section.section, key=len(out)))
        for r in section.rows:
            out.append(MapRow(fit(r.ref, ref_w - 4), fit(r.title, title_w - 4), r, len(out)))
    return out


@dataclass(frozen=True, slots=True)
class Geometry:
    ref_w: float
    title_w: float
    cell_w: float
    pct_w: float
    label_h: float

    @property
    def pct_right(self) -> float:
        """Where the standard's % met ends (right-aligned, before the cells)."""
        return self.ref_w + self.title_w + self.pct_w - 3

    @property
    def cells_x(self) -> float:
        return self.ref_w + self.title_w + self.pct_w

    @property
    def header_h(self) -> float:
        return self.label_h + 2 * ROW_H


class HeatMap(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """The rows ``rows`` of the map for the columns ``indices``."""

    def __init__(
        self,
        columns: Sequence[Column],
        indices: tuple[int, ...],
        rows: Sequence[MapRow],
        geometry: Geometry,
        labels: dict[int, tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.columns, self.indices, self.rows, self.g = columns, indices, list(rows), geometry
        # The columns' turned labels, fitted once (every page repeats them).
        self.labels = labels or {
            i: (
                fit(columns[i].organisation, geometry.label_h - 8, kit.FONT_BOLD),
                fit(columns[i].component, geometry.label_h - 8),
            )
            for i in indices
        }
        self.width = geometry.cells_x + len(indices) * geometry.cell_w
        self.height = geometry.header_h + sum(r.height for r in self.rows)

    def wrap(self, _aw: float, _ah: float) -> tuple[float, float]:
        return self.width, self.height

    def split(self, _aw: float, ah: float) -> list[Flowable]:
        room, n = ah - self.g.header_h, 0
        while n < len(self.rows) and self.rows[n].height <= room:
            room -= self.rows[n].height
            n += 1
        if len(self.rows) - n < WIDOW_ROWS:  # no page of a header and a row or two
            n = len(self.rows) - WIDOW_ROWS
        while n > 0 and self.rows[n - 1].standard is None:  # a heading goes with its rows
            n -= 1
        if n <= 0:
            return []
        return [
            HeatMap(self.columns, self.indices, self.rows[:n], self.g, self.labels),
            HeatMap(self.columns, self.indices, self.rows[n:], self.g, self.labels),
        ]

    def draw(self) -> None:
        c: Canvas = self.canv
        defined: set[str] = c.__dict__.setdefault("_rv_heat_forms", set())
        _define_cells(c, defined, self.g.cell_w)
        head = self._define_header(c, defined)
        for row in self.rows:
            if row.standard is not None:
                self._define_row(c, defined, row, row.standard)
        y = self.height - self.g.header_h
        _place(c, head, 0, y)
        rules = c.beginPath()
        placed: set[str] = set()
        for row in self.rows:
            y -= row.height
            if row.standard is None:
                c.setFillColor(kit.SECTION_FILL)
                c.rect(0, y, self.width, row.height, fill=1, stroke=0)
                c.setFillColor(kit.GREY)
                c.setFont(kit.FONT_BOLD, SIZE)
                c.drawString(2, y + 3.5, row.text)
                continue
            _place(c, ROW_FORM.format(row.key), 0, y)
            self._cells(c, row.standard, y, placed)
            rules.moveTo(0, y)
            rules.lineTo(self.width, y)
        c.setStrokeColor(kit.RULE)
        c.setLineWidth(0.25)
        c.drawPath(rules, stroke=1, fill=0)

    def _cells(self, c: Canvas, row: StandardRow, y: float, placed: set[str]) -> None:
        ops = []
        x = self.g.cells_x
        for i in self.indices:
            value = row.cells[i]
            if value is not None and value in SYMBOLS:
                name = CELL_FORM.format(value)
                if name in placed:
                    ops.append(f"q 1 0 0 1 {x:.2f} {y:.2f} cm /{xObjectName(name)} Do Q")
                else:  # the first on the page through the canvas: it lists the form's use
                    placed.add(name)
                    _place(c, name, x, y)
            x += self.g.cell_w
        if ops:
            c.addLiteral("\n".join(ops))

    def _define_row(self, c: Canvas, defined: set[str], row: MapRow, standard: StandardRow) -> None:
        """The row's ref, title and % met: a form, the same in every column group."""
        name = ROW_FORM.format(row.key)
        if name in defined:
            return
        defined.add(name)
        c.beginForm(name, 0, 0, self.g.cells_x, ROW_H)
        c.setFillColor(kit.TEXT)
        c.setFont(kit.FONT, SIZE)
        c.drawString(2, 3, row.text)
        c.drawString(self.g.ref_w + 2, 3, row.title)
        c.drawRightString(self.g.pct_right, 3, standard.percent)
        c.endForm()

    def _define_header(self, c: Canvas, defined: set[str]) -> str:
        """The header rows of this column group, a form drawn once and placed on every page."""
        name = HEAD_FORM.format(self.indices[0], self.indices[-1])
        if name not in defined:
            defined.add(name)
            c.beginForm(name, 0, 0, self.width, self.g.header_h)
            self._header(c, self.g.header_h)
            c.endForm()
        return name

    def _header(self, c: Canvas, top: float) -> None:
        g = self.g
        bottom = top - g.header_h
        c.setFillColor(kit.HEADER_FILL)
        c.rect(0, bottom, self.width, g.header_h, fill=1, stroke=0)
        c.setStrokeColor(kit.NHS_DARK_BLUE)
        c.setLineWidth(0.75)
        c.line(0, top - 0.4, self.width, top - 0.4)
        c.line(0, bottom + 0.4, self.width, bottom + 0.4)
        c.setFillColor(kit.TEXT)
        c.setFont(kit.FONT_BOLD, SIZE)
        label_y = bottom + 2 * ROW_H + 3
        c.drawString(2, label_y, "Ref")
        c.drawString(g.ref_w + 2, label_y, "Standard")
        c.drawRightString(g.pct_right, label_y, "% met")
        c.drawString(g.ref_w + 2, bottom + ROW_H + 3, "Column")
        c.drawString(g.ref_w + 2, bottom + 3, "% met in the column")
        leading = SIZE + 1
        x = g.cells_x
        for i in self.indices:
            column = self.columns[i]
            centre = x + g.cell_w / 2
            c.setFont(kit.FONT_BOLD, SIZE)
            c.drawCentredString(centre, bottom + ROW_H + 3, column.code)
            c.drawCentredString(centre, bottom + 3, column.percent.rstrip("%"))
            c.saveState()
            c.translate(x, label_y - 1)
            c.rotate(90)
            start = (g.cell_w - 2 * leading) / 2
            organisation, component = self.labels[i]
            for k, (font, line) in enumerate(
                ((kit.FONT_BOLD, organisation), (kit.FONT, component))
            ):
                c.setFont(font, SIZE)
                c.drawString(0, -(start + (k + 1) * leading - 1.5), line)
            c.restoreState()
            x += g.cell_w


def _place(c: Canvas, name: str, x: float, y: float) -> None:
    """Draw the form ``name`` with its origin at (x, y)."""
    c.addLiteral(f"q 1 0 0 1 {x:.2f} {y:.2f} cm")
    c.doForm(name)
    c.addLiteral("Q")


def _define_cells(c: Canvas, defined: set[str], cell_w: float) -> None:
    """The four kinds of cell, once per document: an inset fill and the symbol, centred."""
    if CELL_FORM.format("met") in defined:
        return
    for value, symbol in SYMBOLS.items():
        name = CELL_FORM.format(value)
        defined.add(name)
        c.beginForm(name, 0, 0, cell_w, ROW_H)
        c.setFillColor(colors.HexColor(FILLS[value]))
        c.rect(0.4, 0.4, cell_w - 0.8, ROW_H - 0.8, fill=1, stroke=0)
        c.setFillColor(kit.TEXT)
        c.setFont(kit.FONT_BOLD if value == NOT_MET else kit.FONT, SIZE)
        c.drawCentredString(cell_w / 2, 3, symbol)
        c.endForm()
