"""A standard's text as staff wrote it: paragraphs, pasted tables and cross-references.

Requirements, lettered parts, "Demonstration of Compliance" and notes come from spreadsheets.
Two things in them mean more than their characters:

- a table pasted from Excel: consecutive lines holding tab characters, one row a line, the
  first row usually the header (:func:`blocks` gives :class:`TableBlock`, ragged rows padded);
- a cross-reference: "see HN-102", "(see HN-102 and HN-103)", "See HN-102, HN-103"
  (:func:`cross_refs` finds the refs a visit knows; any other word after "see" stays words).

:func:`rich_text` turns text with either into HTML for the window's labels and gives ``None``
for everything else, so that ordinary text stays plain text (the cheapest label to lay out):
the check is a substring test and one regular expression search, nothing is built.

Pure Python: no Qt here, and no import beyond the standard library's ``re``.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

LINK_SCHEME = "standard:"  # href of a cross-reference link: LINK_SCHEME + ref

# "see", "See", "(see", "see also", "see standard(s)", then what follows is read ref by ref.
_SEE = re.compile(r"(?<![\w-])see\b(?:\s+also\b)?(?:\s+standards?\b)?\s+", re.IGNORECASE)
# A ref candidate: anything up to white space or a list comma/semicolon (refs are free text:
# HN-102, 13-1C-101h, QS 1.2 is not supported).
_TOKEN = re.compile(r"[^\s,;]+")
# Between two refs of one list: a comma, "and", "or", "&" or a slash.
_JOINER = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|;\s*|\s(?:and|or|&)\s+|/\s*)", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"\u2019\u201d"


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text (line breaks kept)."""

    text: str


@dataclass(frozen=True, slots=True)
class TableBlock:
    """A pasted table: ``rows[0]`` is the header; every row has the same number of cells."""

    rows: tuple[tuple[str, ...], ...]

    @property
    def header(self) -> tuple[str, ...]:
        return self.rows[0]

    @property
    def body(self) -> tuple[tuple[str, ...], ...]:
        return self.rows[1:]


Block: TypeAlias = Paragraph | TableBlock


class CrossRef(NamedTuple):
    """``text[start:end]`` is ``ref``, a standard the visit knows."""

    start: int
    end: int
    ref: str


# -- tables ---------------------------------------------------------------------------------


def blocks(text: str) -> list[Block]:
    """``text`` as paragraphs and tables, in order.

    Two or more consecutive lines holding a tab are a table; a lone line with a tab is text
    (a tab used to indent, or one row with no table to belong to). Blank paragraphs are dropped.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[Block] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        end = i
        while end < len(lines) and "\t" in lines[end]:
            end += 1
        if end - i >= 2:
            _add_paragraph(out, prose)
            prose = []
            out.append(_table(lines[i:end]))
            i = end
        else:
            prose.append(lines[i])
            i += 1
    _add_paragraph(out, prose)
    return out


def _add_paragraph(out: list[Block], lines: list[str]) -> None:
    text = "\n".join(lines).strip("\n")
    if text.strip():
        out.append(Paragraph(text))


def _table(lines: list[str]) -> TableBlock:
    """Rows split on tabs, cells trimmed, ragged rows padded, empty trailing columns dropped."""
    rows = [[cell.strip() for cell in line.split("\t")] for line in lines]
    width = max(len(row) for row in rows)
    while width > 1 and not any(len(row) >= width and row[width - 1] for row in rows):
        width -= 1
    return TableBlock(tuple(tuple((row + [""] * width)[:width]) for row in rows))


# -- cross-references -------------------------------------------------------------------------


def cross_refs(text: str, known_refs: Container[str]) -> list[CrossRef]:
    """Where ``text`` refers to a standard in ``known_refs`` after "see" (any case).

    "see HN-102 and HN-103", "see HN-102, HN-103." and "(see HN-102)" give each ref; punctuation
    after a ref is not part of it. An unknown ref is skipped and the list read on; a word that is
    neither a ref nor a joiner ("and", "or", a comma) ends the list.
    """
    found: list[CrossRef] = []
    for see in _SEE.finditer(text):
        found.extend(_ref_list(text, see.end(), known_refs))
    return found


def _ref_list(text: str, at: int, known_refs: Container[str]) -> list[CrossRef]:
    """The known refs of the list of refs starting at ``text[at]``."""
    found: list[CrossRef] = []
    while (token := _TOKEN.match(text, at)) is not None:
        word = token.group()
        ref = _known_prefix(word, known_refs)
        if ref is not None:
            found.append(CrossRef(token.start(), token.start() + len(ref), ref))
        elif not _looks_like_ref(word):
            break
        joiner = _JOINER.match(text, token.start() + len(ref or word.rstrip(_TRAILING)))
        if joiner is None:
            break
        at = joiner.end()
    return found


def _known_prefix(token: str, known_refs: Container[str]) -> str | None:
    """``token``, or ``token`` without trailing punctuation, if it is a known ref."""
    while token:
        if token in known_refs:
            return token
        if token[-1] not in _TRAILING:
            return None
        token = token[:-1]
    return None


def _looks_like_ref(token: str) -> bool:
    """A code (holds a digit), so a list of refs goes on past one the visit does not have."""
    return any(c.isdigit() for c in token)


# -- HTML for the window ------------------------------------------------------------------------


def is_plain(text: str) -> bool:
    """True when ``text`` has no table and no "see": shown as plain text, nothing to build."""
    return "\t" not in text and _SEE.search(text) is None


def rich_text(text: str, known_refs: Container[str]) -> str | None:
    """HTML for ``text`` with its tables and links to known refs, or None if plain text will do.

    Links are ``<a href="standard:REF">``; table cells and text are escaped.
    """
    if is_plain(text):
        return None
    parts = blocks(text)
    has_table = any(isinstance(b, TableBlock) for b in parts)
    paragraphs = [(b, cross_refs(b.text, known_refs)) for b in parts if isinstance(b, Paragraph)]
    if not has_table and not any(refs for _, refs in paragraphs):
        return None
    html = []
    for block in parts:
        if isinstance(block, TableBlock):
            html.append(table_html(block, known_refs))
        else:
            html.append(f'<p style="white-space:pre-wrap">{linked(block.text, known_refs)}</p>')
    return "".join(html)


def table_html(table: TableBlock, known_refs: Container[str]) -> str:
    """The table with a header row; cells escaped (and linked where they say "see ...")."""
    head = "".join(f"<th>{linked(cell, known_refs)}</th>" for cell in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{linked(cell, known_refs)}</td>" for cell in row) + "</tr>"
        for row in table.body
    )
    return (
        '<table border="1" cellspacing="0" cellpadding="4" style="border-collapse:collapse;'
        f' margin:4px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def linked(text: str, known_refs: Container[str]) -> str:
    """``text`` escaped, with each cross-reference to a known ref made a link."""
    out: list[str] = []
    at = 0
    for start, end, ref in cross_refs(text, known_refs):
        out.append(escape(text[at:start]))
        out.append(f'<a href="{escape(LINK_SCHEME + ref)}">{escape(text[start:end])}</a>')
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def ref_of_link(href: str) -> str | None:
    """The ref a link made by :func:`linked` points to (None for any other link)."""
    return href.removeprefix(LINK_SCHEME) if href.startswith(LINK_SCHEME) else None


def escape(text: str) -> str:
    """``text`` safe inside HTML and its attributes (the standard library's ``html`` module is
    not imported for four replacements)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# -- parts ----------------------------------------------------------------------------------------


def part_level(label: str) -> tuple[int, str]:
    """How deep a part sits and the label to show: "a" -> (0, "a"), "a.ii" -> (1, "ii")."""
    letter, dot, roman = label.partition(".")
    return (1, roman) if dot and letter and roman else (0, label)
