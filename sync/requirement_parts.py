"""A requirement cell's lettered parts and roman sub-items (DESIGN.md, "Standards spreadsheets").

- Lettered parts sit on their own lines (``a. ...``, ``b) ...``, ``(c) ...``, any case) or inline
  after the start, a space, a colon or a semicolon (``... include: a) ...; b) ...; c) ...``) when
  the letters run a, b, c, ... in order from a, with at least a and b.
- Roman sub-items (``a.i``, ``(i)``, ``ii.``, ``iii)``) nest under the letter above them and are
  parts too, labelled ``"a.i"``, ``"a.ii"`` right after their letter's part: parts come out flat
  and in order, so the kit format and the reviewers' ticks (keyed by label) need nothing more,
  and the window indents a label with a dot. After ``h`` an ``i`` is the letter; inside a part
  with no sub-items yet, ``(i)`` is roman.
- A label out of sequence is text, and lines without a label continue the part above. Text
  before the first part is the stem (it may be empty). A line with a tab is a row of a table
  pasted from Excel: kept verbatim, never split into parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sync.kit_model import Part

__all__ = ["split_parts"]

_ROMANS = tuple("i ii iii iv v vi vii viii ix x xi xii xiii xiv xv xvi xvii xviii xix xx".split())

# A label starting a line, then text: "a." "b)" "(c)" "ii." "(iv)" "a.i" "a.ii)".
_LINE_LABEL = re.compile(
    r"^\s*(?:([a-z])\.([ivx]{1,5})[.)]?|\(([a-z]{1,5})\)|([a-z]{1,5})[.)])\s+(?=\S)",
    re.IGNORECASE,
)
# A label inside a line, after a space, a colon or a semicolon: "a)" "(b)".
_INLINE_LABEL = re.compile(r"(?:^|(?<=[\s:;]))(?:\(([a-z]{1,5})\)|([a-z]{1,5})\))(?=\s)", re.I)
# What separates inline parts, left at the end of the text before a label: "; and", ", or".
_SEPARATOR = re.compile(r"(?:[;,]\s*(?:(?:and|or)\b)?|\s+(?:and|or))\s*$", re.IGNORECASE)


class _Labels:
    """Which labels may come next: the next letter, or the next roman under the current one."""

    def __init__(self) -> None:
        self.letters = 0
        self.romans = 0

    def take(self, token: str, letter: str = "") -> str | None:
        """The part label ``token`` is (``letter``: as in "a.i"), counted; None if out of turn."""
        token = token.lower()
        current = chr(ord("a") + self.letters - 1) if self.letters else ""
        next_roman = _ROMANS[self.romans] if current and self.romans < len(_ROMANS) else ""
        next_letter = chr(ord("a") + self.letters) if self.letters < 26 else ""
        if letter:
            roman = letter.lower() == current and token == next_roman
        else:  # after h (no sub-items yet) "i" is the letter; after "i", "ii" is roman
            roman = token == next_roman and (self.romans > 0 or token != next_letter)
        if roman:
            self.romans += 1
            return f"{current}.{token}"
        if token == next_letter and not letter:
            self.letters += 1
            self.romans = 0
            return token
        return None


def split_parts(cell: str) -> tuple[str, tuple[Part, ...]]:
    """Split a requirement cell into its stem and parts (module docstring, "Parts").

    Parts are flat, in order: ``a``, ``a.i``, ``a.ii``, ``b``, ... (lower case). The stem may be
    empty. A cell without the letters a and b, or where a part would have no text, is the whole
    cell and no parts. Table rows (lines with a tab) are kept verbatim in the part they follow.
    """
    labels = _Labels()
    segments: list[tuple[str, list[str]]] = [("", [])]
    for line in cell.split("\n"):
        if "\t" in line:
            segments[-1][1].append(line)
            continue
        start = 0
        for cut, label, resume in _labels_in(line, labels):
            before = _SEPARATOR.sub("", line[start:cut]).strip()
            if before:
                segments[-1][1].append(before)
            segments.append((label, []))
            start = resume
        rest = line[start:]
        if rest.strip() or not segments[-1][0]:  # blank lines only in the stem
            segments[-1][1].append(rest.strip() if segments[-1][0] else rest.rstrip())
    texts = [(label, "\n".join(lines).strip(" \n")) for label, lines in segments]
    if labels.letters < 2 or not all(text for _, text in texts[1:]):
        return cell.strip(" \n"), ()
    return texts[0][1], tuple(Part(label, text) for label, text in texts[1:])


def _labels_in(line: str, labels: _Labels) -> Iterator[tuple[int, str, int]]:
    """``(where the label starts, the label, where its text starts)`` for each label in turn."""
    start = 0
    match = _LINE_LABEL.match(line)
    if match:
        token = match.group(2) or match.group(3) or match.group(4)
        label = labels.take(token, match.group(1) or "")
        if label:
            yield match.start(), label, match.end()
            start = match.end()
    for inline in _INLINE_LABEL.finditer(line, start):
        label = labels.take(inline.group(1) or inline.group(2))
        if label:
            yield inline.start(), label, _skip_spaces(line, inline.end())


def _skip_spaces(line: str, i: int) -> int:
    return len(line) - len(line[i:].lstrip())
