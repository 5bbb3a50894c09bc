"""The knowledge base's adviser for the citizen form (settings.INTAKE_ADVISERS).

`intake_advice` is called by `requests_app.intake.advice_collect` with the
text being typed: an emergency notice first (110 / 120 / 119), then the
redirect rules the text matches (12315, 12348), then up to three answers.
Reads only; a 直办 is recorded when the citizen says an answer solved it.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from requests_app.intake import Advice

from .emergency import emergency_numbers
from .matching import HOLD_THRESHOLD, answers_scored, suggestions_of
from .selectors import redirects_matching


def intake_advice(*, title: str, content: str, category_id: int | None) -> list[Advice]:
    text = f"{title} {content}"
    advice = []
    numbers = emergency_numbers(text)
    if numbers:
        advice.append(Advice(template="kb/advice_emergency.html", context={"numbers": numbers}, emergency=True))
    rules = redirects_matching(text=text)
    if rules:
        advice.append(Advice(template="kb/advice_redirect.html", context={"rules": rules}))
    scored = answers_scored(title=title, content=content, channel_id=category_id)
    if scored:
        # The answers themselves are read only if the page is shown: a submit that goes straight
        # through (nothing worth holding it for) costs the one scoring statement.
        advice.append(
            Advice(
                template="kb/advice_answers.html",
                context={"suggestions": SimpleLazyObject(lambda: suggestions_of(scored))},
                hold=scored[0][0] >= HOLD_THRESHOLD,
            )
        )
    return advice
