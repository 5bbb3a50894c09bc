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
        # The hot loop of duplicate suggestions (thousands of calls): set operations only.
        other = set((title + content).lower())
        other -= _DROP
        common = len(other & self.whole)
        whole = common / (len(self.whole) + len(other) - common) if other and self.whole else 0.0
        return (1 - TITLE_WEIGHT) * whole + TITLE_WEIGHT * jaccard(self.title, title_set(title))


def request_similarity(title_a: str, content_a: str, title_b: str, content_b: str) -> float:
    return Probe.of(title_a, content_a).similarity(title_b, content_b)


# --- Matching a citizen's text against a short stored question (the knowledge base) -----
#
# Jaccard suits two texts of the same kind; a question of ten characters read
# against a request of two hundred needs the other direction: how much of the
# short text the long one covers. Same characters, same dropped punctuation.


def bigram_set(text: str) -> frozenset[str]:
    """The distinct pairs of adjacent meaningful characters (a run is broken by punctuation or space)."""
    grams: set[str] = set()
    previous = ""
    for ch in text.lower():
        if ch in _DROP:
            previous = ""
            continue
        if previous:
            grams.add(previous + ch)
        previous = ch
    return frozenset(grams)


def coverage(short: frozenset[str], long: frozenset[str]) -> float:
    """0..1: the share of `short` found in `long` (0 when `short` is empty)."""
    if not short:
        return 0.0
    return len(short & long) / len(short)


# How far the keywords lift a score towards 1 (chosen on the tuning questions, bench/kb_bench.py).
KEYWORD_WEIGHT = 0.7


@dataclass(frozen=True)
class QueryProbe:
    """A citizen's text, prepared once to be scored against many stored questions."""

    chars: frozenset[str]
    bigrams: frozenset[str]
    text: str

    @classmethod
    def of(cls, text: str) -> QueryProbe:
        return cls(chars=char_set(text), bigrams=bigram_set(text), text=text.lower())

    def score(self, *, question: str, keywords: tuple[str, ...] = (), char_weight: float = 0.3) -> float:
        """0..1: how well this text asks `question`.

        The question's characters and character pairs covered by the text, and
        then lifted towards 1 by the keywords (curated words, each matched
        whole) the text contains.
        """
        text_part = char_weight * coverage(char_set(question), self.chars) + (1 - char_weight) * coverage(
            bigram_set(question), self.bigrams
        )
        if not keywords:
            return text_part
        hits = sum(1 for k in keywords if k.lower() in self.text)
        # Keywords are curated evidence that only adds: one hit counts for much, two for the most.
        keyword_part = min(1.0, hits / min(len(keywords), 2))
        return text_part + (1 - text_part) * KEYWORD_WEIGHT * keyword_part
