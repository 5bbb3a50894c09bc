"""Similarity of short Chinese texts, the same on PostgreSQL and SQLite.

Chinese has no spaces, so words cannot be compared. A text is reduced to the
set of its characters (letters, digits and CJK characters, lower-cased;
punctuation and spaces dropped) and two texts are compared by the Jaccard
index of their sets. On the hand-written labelled pairs
(`dispatch/tests/data/labelled.py`) this separates duplicates from near
misses better than character bigrams or pg_trgm's trigrams (bench/RESULTS.md),
and it needs no extension and no stored column: candidates are chosen by an
indexed query and scored here, a few thousand in a few tens of milliseconds.

Pure functions: no database, no logging (the texts are citizens' words).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Characters that carry no meaning for similarity: ASCII and CJK punctuation, spaces.
_DROP = frozenset(" \t\r\n!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~，。、；：？！“”‘’（）【】《》〈〉…—～·「」『』　")


def char_set(text: str) -> frozenset[str]:
    """The distinct meaningful characters of `text`."""
    return frozenset(text.lower()) - _DROP


# Titles repeat ("小区停水", "路灯不亮"): their sets are worth caching; contents are not.
title_set = lru_cache(maxsize=4096)(char_set)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# The title names the problem; the content adds the place and details two
# citizens describe differently. Weights chosen on the labelled pairs.
TITLE_WEIGHT = 0.4


@dataclass(frozen=True)
class Probe:
    """One request's text, prepared once to be compared with many."""

    title: frozenset[str]
    whole: frozenset[str]

    @classmethod
    def of(cls, title: str, content: str) -> Probe:
        return cls(title=char_set(title), whole=char_set(title + content))

    def similarity(self, title: str, content: str) -> float:
        """0..1: how alike this text and another read (title and content together, the title weighing more)."""
        whole = jaccard(self.whole, char_set(title + content))
        return (1 - TITLE_WEIGHT) * whole + TITLE_WEIGHT * jaccard(self.title, title_set(title))


def request_similarity(title_a: str, content_a: str, title_b: str, content_b: str) -> float:
    return Probe.of(title_a, content_a).similarity(title_b, content_b)
