"""A standard's text: pasted tables become tables, "see HN-102" becomes a link to a known
standard, and everything else stays plain text."""

from __future__ import annotations

import pytest

from reviewer_app.visit.requirement_text import (
    CrossRef,
    Paragraph,
    TableBlock,
    blocks,
    cross_refs,
    is_plain,
    linked,
    part_level,
    ref_of_link,
    rich_text,
)

KNOWN = {"HN-102", "HN-103", "13-1C-101h"}


# -- tables ----------------------------------------------------------------------------------


def test_a_pasted_table_between_paragraphs() -> None:
    text = "Staffing should be:\nRole\tWTE\tNotes\nNurse\t2\tBand 7\nDoctor\t1\t\nSee below."
    assert blocks(text) == [
        Paragraph("Staffing should be:"),
        TableBlock((("Role", "WTE", "Notes"), ("Nurse", "2", "Band 7"), ("Doctor", "1", ""))),
        Paragraph("See below."),
    ]


def test_ragged_rows_are_padded_and_empty_trailing_columns_dropped() -> None:
    table = blocks("A\tB\tC\n1\t\n2\t3\t\t\t\n4\t5\t6")[0]
    assert isinstance(table, TableBlock)
    assert table.rows == (("A", "B", "C"), ("1", "", ""), ("2", "3", ""), ("4", "5", "6"))
    assert table.header == ("A", "B", "C")
    assert len(table.body) == 3


def test_a_line_without_a_tab_ends_the_table() -> None:
    assert [type(b) for b in blocks("A\tB\n1\t2\nplain\n3\t4")] == [TableBlock, Paragraph]


def test_a_row_of_one_cell_still_belongs_to_the_table_if_it_has_a_tab() -> None:
    [table] = blocks("Header\t\nvalue\t")
    assert table == TableBlock((("Header",), ("value",)))


def test_line_ends_from_windows_read_as_line_ends() -> None:
    unix = "Intro\nA\tB\n1\t2\nEnd"
    assert blocks(unix.replace("\n", "\r\n")) == blocks(unix)
    table = TableBlock((("A", "B"), ("1", "2")))
    assert blocks(unix) == [Paragraph("Intro"), table, Paragraph("End")]


def test_a_lone_line_with_a_tab_is_text() -> None:
    assert blocks("Before\n\tindented\nAfter") == [Paragraph("Before\n\tindented\nAfter")]
    assert rich_text("Name\tValue", KNOWN) is None


def test_text_keeps_its_line_breaks_and_blank_paragraphs_go() -> None:
    assert blocks("one\ntwo\n\nthree") == [Paragraph("one\ntwo\n\nthree")]
    assert blocks("") == []
    assert blocks("A\tB\n1\t2\n\n") == [TableBlock((("A", "B"), ("1", "2")))]


def test_table_html_has_a_header_row_and_escaped_cells() -> None:
    html = rich_text('Intro & more\nA<b>\tB\n1\t"2"', KNOWN)
    assert html is not None
    assert "<table" in html and "<thead><tr><th>A&lt;b&gt;</th><th>B</th></tr></thead>" in html
    assert "<td>&quot;2&quot;</td>" in html
    assert "Intro &amp; more" in html


# -- cross-references -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("see HN-102", ["HN-102"]),
        ("See HN-102.", ["HN-102"]),
        ("SEE HN-102", ["HN-102"]),
        ("as agreed (see HN-102).", ["HN-102"]),
        ("see HN-102 and HN-103", ["HN-102", "HN-103"]),
        ("See HN-102, HN-103; then", ["HN-102", "HN-103"]),
        ("see HN-102 or HN-103.", ["HN-102", "HN-103"]),
        ("see also HN-103:", ["HN-103"]),
        ("see 13-1C-101h, which", ["13-1C-101h"]),
        ("see HN-999 and HN-103", ["HN-103"]),  # an unknown ref is skipped, the list goes on
        ("see HN-999", []),
        ("see the policy on HN-102", []),  # "the" is neither a ref nor a joiner
        ("oversee HN-102", []),
        ("HN-102 and HN-103", []),  # no "see"
        ("see HN-102 which is like HN-103", ["HN-102"]),
    ],
)
def test_cross_refs(text: str, refs: list[str]) -> None:
    found = cross_refs(text, KNOWN)
    assert [r.ref for r in found] == refs
    assert all(text[r.start : r.end] == r.ref for r in found)


def test_cross_refs_give_positions() -> None:
    assert cross_refs("(see HN-102), see HN-103", KNOWN) == [
        CrossRef(5, 11, "HN-102"),
        CrossRef(18, 24, "HN-103"),
    ]


def test_links_point_to_the_known_ref_only() -> None:
    html = linked("see HN-102 & HN-999.", KNOWN)
    assert html == 'see <a href="standard:HN-102">HN-102</a> &amp; HN-999.'
    assert ref_of_link("standard:HN-102") == "HN-102"
    assert ref_of_link("https://example.org") is None


def test_ordinary_text_stays_plain() -> None:
    assert is_plain("Written information should be offered to patients.")
    assert rich_text("Written information should be offered.", KNOWN) is None
    assert not is_plain("see HN-999")
    assert rich_text("see HN-999", KNOWN) is None  # nothing to link: still plain
    assert rich_text("patients see a nurse", KNOWN) is None
    html = rich_text("see HN-102", KNOWN)
    assert html == '<p style="white-space:pre-wrap">see <a href="standard:HN-102">HN-102</a></p>'


def test_refs_in_table_cells_are_linked() -> None:
    html = rich_text("Topic\tWhere\nLeaflets\tsee HN-103", KNOWN)
    assert html is not None and '<td>see <a href="standard:HN-103">HN-103</a></td>' in html


# -- parts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "level"),
    [("a", (0, "a")), ("a.i", (1, "i")), ("b.iv", (1, "iv")), ("a.", (0, "a.")), ("", (0, ""))],
)
def test_part_level(label: str, level: tuple[int, str]) -> None:
    assert part_level(label) == level
