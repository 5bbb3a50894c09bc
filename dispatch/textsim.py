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

from functools import lru_cache

# Characters that carry no meaning for similarity: ASCII and CJK punctuation, spaces.
_DROP = str.maketrans(
    "",
    "",
    " \t\r\n!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~，。、；：？！“”‘’（）【】《》〈〉…—～·「」『』　",
)


@lru_cache(maxsize=8192)
def char_set(text: str) -> frozenset[str]:
    """The distinct meaningful characters of `text` (cached: titles repeat across calls)."""
    return frozenset(text.lower().translate(_DROP))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


# The title names the problem; the content adds the place and details two
# citizens describe differently. Weights chosen on the labelled pairs.
TITLE_WEIGHT = 0.4


def request_similarity(title_a: str, content_a: str, title_b: str, content_b: str) -> float:
    """0..1: how alike two requests read (title and content together, the title weighing more)."""
    whole = jaccard(char_set(title_a) | char_set(content_a), char_set(title_b) | char_set(content_b))
    return (1 - TITLE_WEIGHT) * whole + TITLE_WEIGHT * jaccard(char_set(title_a), char_set(title_b))
