"""Which published answers a citizen's text asks for: an indexed candidate step, then textsim's score.

`answer_terms` lists what an answer is found by: the character pairs of its
question and of each keyword (`dispatch.textsim.bigram_set`), minus pairs
every question has ("怎么", "如何"). `answers_suggest` reads the pairs of the
citizen's title and the head of the content, asks the `AnswerTerm` index for
the live answers sharing the most of them (one grouped query on an indexed
column: it never reads every answer), and scores at most `MAX_CANDIDATES` in
Python with `textsim.QueryProbe.score`. The same code runs on PostgreSQL and
SQLite. Never log the texts read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from dispatch.textsim import QueryProbe, bigram_set

from .models import Answer, AnswerTerm, keywords_split

CONTENT_HEAD = 300
MAX_CANDIDATES = 60
LIMIT = 3
# Chosen on the tuning half of the labelled questions (bench/kb_bench.py), never on the held-out half.
THRESHOLD = 0.34
CHANNEL_BONUS = 0.05
# A valid first submit without JavaScript is held for answers only when the best one scores this much
# (chosen on the tuning half: 46 of its 47 right answers score >= 0.52, the 15 unanswered questions'
# best is 0.45). Below it, a suggestion is shown while the form is open but never stops a submit.
HOLD_THRESHOLD = 0.5
# Pairs in almost every question: they find everything, so they find nothing.
STOP = frozenset(
    [
        "怎么",
        "如何",
        "什么",
        "可以",
        "能否",
        "是否",
        "请问",
        "哪里",
        "需要",
        "我的",
        "我们",
        "一下",
        "现在",
        "还能",
        "能不",
        "不能",
        "了吗",
        "办理",
        "问题",
        "有没",
        "没有",
        "的话",
    ]
)


def answer_terms(*, question: str, keywords: str) -> set[str]:
    terms = set(bigram_set(question))
    for word in keywords_split(keywords):
        terms |= bigram_set(word) or {word.lower()}
    return {t[:40] for t in terms if t not in STOP}


@dataclass(frozen=True)
class Suggestion:
    answer: Answer
    score: float


def live_answers(*, today: dt.date | None = None):
    today = today or timezone.localdate()
    return Answer.objects.filter(state=Answer.State.PUBLISHED).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def candidates_sql(*, terms: Set[str], today: dt.date) -> tuple[str, list[str | int | dt.date]]:
    """The candidate statement and its parameters (bench/kb_bench.py explains it)."""
    answer_table, term_table = Answer._meta.db_table, AnswerTerm._meta.db_table
    marks = ", ".join(["%s"] * len(terms))
    sql = (
        f"SELECT a.id, a.question, a.keywords, a.channel_id FROM {answer_table} a JOIN ("  # noqa: S608 - table names from _meta, values as parameters
        f"  SELECT answer_id, COUNT(*) AS hits FROM {term_table}"
        f"  WHERE term IN ({marks}) AND (valid_until IS NULL OR valid_until >= %s)"
        f"  GROUP BY answer_id ORDER BY hits DESC, answer_id LIMIT %s"
        f") c ON c.answer_id = a.id WHERE a.state = %s AND (a.valid_until IS NULL OR a.valid_until >= %s)"
    )
    params: list[str | int | dt.date] = [*sorted(terms), today, MAX_CANDIDATES, Answer.State.PUBLISHED.value, today]
    return sql, params


def _candidates(*, terms: Set[str], today: dt.date) -> list[tuple[int, str, str, int]]:
    """(id, question, keywords, channel id) of the live answers sharing the most terms, at most
    MAX_CANDIDATES: one statement, the grouped index lookup joined to the answers.

    Plain SQL (PostgreSQL and SQLite alike): every submit without JavaScript and every pause in the
    typing asks this, and building the same query through the ORM cost more CPU than running it.
    """
    sql, params = candidates_sql(terms=terms, today=today)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def query_text(*, title: str, content: str) -> str:
    """What the matching reads of a citizen's text: the title and the head of the content."""
    return f"{title} {content[:CONTENT_HEAD]}"


def query_terms(text: str) -> frozenset[str]:
    """The terms the candidate statement looks up for a text (its bigrams, stop words left out)."""
    return bigram_set(text) - STOP


def answers_scored(
    *,
    title: str,
    content: str,
    channel_id: int | None = None,
    limit: int = LIMIT,
    threshold: float = THRESHOLD,
    today: dt.date | None = None,
) -> list[tuple[float, int]]:
    """(score, answer id) of up to `limit` live answers for this text, best first: one statement, none
    for an empty text. Enough to decide whether to hold a submit; `suggestions_of` reads the answers."""
    text = query_text(title=title, content=content)
    terms = query_terms(text)
    if not terms:
        return []
    rows = _candidates(terms=terms, today=today or timezone.localdate())
    if not rows:
        return []
    probe = QueryProbe.of(text)
    scored: list[tuple[float, int]] = []
    for pk, question, keywords, answer_channel_id in rows:
        score = probe.score(question=question, keywords=keywords_split(keywords))
        if channel_id and answer_channel_id == channel_id:
            score += CHANNEL_BONUS
        scored.append((min(score, 1.0), pk))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(score, pk) for score, pk in scored if score >= threshold][:limit]


def suggestions_of(scored: list[tuple[float, int]], *, today: dt.date | None = None) -> list[Suggestion]:
    """The scored answers read whole, with their channel, for a page (one query; none for none)."""
    if not scored:
        return []
    answers = live_answers(today=today).select_related("channel").in_bulk([pk for _, pk in scored])
    return [Suggestion(answer=answers[pk], score=score) for score, pk in scored if pk in answers]


def answers_suggest(
    *,
    title: str,
    content: str,
    channel_id: int | None = None,
    limit: int = LIMIT,
    threshold: float = THRESHOLD,
    today: dt.date | None = None,
) -> list[Suggestion]:
    """Up to `limit` live answers for this text, best first (`answers_scored`, then `suggestions_of`)."""
    scored = answers_scored(
        title=title, content=content, channel_id=channel_id, limit=limit, threshold=threshold, today=today
    )
    return suggestions_of(scored, today=today)
