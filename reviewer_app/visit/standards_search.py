"""Filter-as-you-type over the kit's standards, in memory, on the thread that asks.

The navigator's search box narrows 2,000 standards on every keystroke (budget 30 ms). Asking the
workspace's full-text index (FTS5, since dropped: storage/migrations.py, version 7) took 3 ms of
work but a round trip through the storage worker: behind a durable write already queued there,
or on a busy laptop, a keystroke waited 100 ms to a second; and keeping the index cost a third
of storing a kit. The kit's standards never change while a visit is open, so they are indexed
here once (75 ms for 2,000, on a thread of the navigator's shortly after the window opens), and
a keystroke costs well under a millisecond.

What matches is what the FTS5 index (tokenizer ``unicode61 remove_diacritics 2``, each query
word a quoted prefix) matched: every word of the query must start a word of the standard's ref,
title, requirement, lettered parts or evidence expected, ignoring case and accents. A query
word that is several words to the tokenizer ("T-101", "24/7") matches them in sequence within
one text, its last word as a prefix. Punctuation and FTS syntax (``"``, ``*``, ``NEAR(``,
``OR``) are words like any other, never operators. Unlike the FTS index, a part is searched by
its text, not by its JSON (where "text" and "label" were words of every standard with parts).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from sync.kit_model import Standard

_WORD = re.compile(r"[^\W_]+")
# ASCII text (most of a kit) is split four times faster by translating than by the regex.
_ASCII_GAPS = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})


def words(text: str) -> list[str]:
    """``text``'s words as the index holds them: case folded, accents removed."""
    folded = text.casefold()
    if folded.isascii():
        return folded.translate(_ASCII_GAPS).split()
    decomposed = unicodedata.normalize("NFKD", folded)
    return _WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


def _texts(standard: Standard) -> list[str]:
    return [
        standard.ref,
        standard.title,
        standard.requirement,
        *(part.text for part in standard.parts),
        standard.evidence_expected,
    ]


class StandardsIndex:
    """Which standards have a word starting with a given prefix, as one bit per standard."""

    def __init__(self, standards: Sequence[Standard]) -> None:
        self.source = standards  # what was indexed (the visit's list, replaced by a re-read)
        self._standards = list(standards)
        self._refs = [s.ref for s in standards]
        at: dict[str, list[int]] = {}  # word -> the standards holding it
        for i, standard in enumerate(standards):
            for word in set(words(" ".join(_texts(standard)))):
                at.setdefault(word, []).append(i)
        self._words = sorted(at)
        self._masks = [_mask(at[w], len(self._refs)) for w in self._words]
        self._all = (1 << len(self._refs)) - 1

    def search(self, query: str) -> list[str]:
        """Refs of the standards matching every word of ``query``, in the kit's order
        (none for a query with no words)."""
        chosen = self._all
        phrases = [p for p in (words(w) for w in query.split()) if p]
        if not phrases:
            return []
        for phrase in phrases:
            chosen &= self._having(phrase)
            if not chosen:
                return []
        refs = self._refs
        found = [refs[i] for i in _bits(chosen)]
        sequences = [p for p in phrases if len(p) > 1]
        if not sequences:
            return found
        by_ref = dict(zip(refs, self._standards, strict=True))
        return [ref for ref in found if all(_in_sequence(by_ref[ref], p) for p in sequences)]

    def _having(self, phrase: list[str]) -> int:
        """Standards holding each word of ``phrase`` (the last as a prefix), anywhere."""
        mask = self._starting(phrase[-1])
        for word in phrase[:-1]:
            at = bisect_left(self._words, word)
            exact = at < len(self._words) and self._words[at] == word
            mask &= self._masks[at] if exact else 0
        return mask

    def _starting(self, prefix: str) -> int:
        mask = 0
        at = bisect_left(self._words, prefix)
        words_, masks = self._words, self._masks
        while at < len(words_) and words_[at].startswith(prefix):
            mask |= masks[at]
            at += 1
        return mask


def _in_sequence(standard: Standard, phrase: list[str]) -> bool:
    """Does one of the standard's texts hold ``phrase``'s words one after another (the last as
    a prefix)? A phrase never runs from one text into the next."""
    n = len(phrase)
    head, last = phrase[:-1], phrase[-1]
    for text in map(words, _texts(standard)):
        for at in range(len(text) - n + 1):
            if text[at : at + n - 1] == head and text[at + n - 1].startswith(last):
                return True
    return False


def _mask(positions: list[int], size: int) -> int:
    """An int with the bits at ``positions`` set (made from a string of digits: adding 2,000
    powers of two one by one took a third of the indexing)."""
    digits = bytearray(b"0" * size)
    for i in positions:
        digits[size - 1 - i] = 0x31  # "1"
    return int(digits, 2)


def _bits(mask: int) -> Iterable[int]:
    """The positions of ``mask``'s set bits, lowest first."""
    return (i for i, bit in enumerate(reversed(bin(mask)[2:])) if bit == "1")
