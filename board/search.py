"""Chinese search terms: the characters and adjacent character pairs of a text.

Pure functions. A text is split into runs of letters, digits and CJK characters
(punctuation and spaces separate runs); a run contributes each character and each
pair of neighbours. A query matches a text holding all of the query's pairs (a
one-character run: that character), so "停水" finds "小区停水三天" and "水停" does not.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATOR = re.compile(r"[\W_]+")
MAX_QUERY_TERMS = 16  # a pasted paragraph is cut, not turned into a hundred-way join


def _runs(text: str) -> list[str]:
    return [run for run in _SEPARATOR.split(unicodedata.normalize("NFKC", text or "").lower()) if run]


def text_terms(text: str) -> set[str]:
    """Every character and adjacent pair of `text`: what the index stores for an approved text."""
    terms: set[str] = set()
    for run in _runs(text):
        terms.update(run)
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def query_terms(query: str) -> list[str]:
    """What a text must hold to match `query`: each run's pairs, or the run itself when one character."""
    terms: list[str] = []
    for run in _runs(query):
        for term in [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]:
            if term not in terms:
                terms.append(term)
    return terms[:MAX_QUERY_TERMS]
