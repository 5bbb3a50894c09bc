"""The one plug-in point of the citizen form: advisers named in `settings.INTAKE_ADVISERS`.

An adviser is a function `(*, title: str, content: str, category_id: int | None)
-> list[Advice]`, named by its dotted path and loaded with `import_string`, so
an app above this one (the knowledge base, `kb.advice.intake_advice`) can
answer, redirect or warn at intake without requests_app importing it. Each
`Advice` names the adviser's template and its context; the form's page
includes it in the page's own request context (so a form in it carries the
CSRF token), emergency notices before anything else.

The submit view shows the advice on every re-rendered form and, when the form
is valid, the citizen has not seen any advice yet and some advice is worth it
(`Advice.hold`), holds the first submit once (`advice_seen`), keeping
everything typed; the second submit goes through.
An adviser that fails is skipped: advice must never stop a citizen submitting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Advice:
    template: str
    context: dict = field(default_factory=dict)
    emergency: bool = False
    # Whether this advice is worth holding a valid first submit once (no JavaScript): an emergency,
    # a redirection or a confident answer is; a weak suggestion is shown only while the form is open.
    hold: bool = True


@cache
def _advisers(paths: tuple[str, ...]) -> list[Callable[..., list[Advice]]]:
    return [import_string(path) for path in paths]


def advice_collect(*, title: str, content: str, category_id: int | None) -> list[Advice]:
    """Every adviser's advice for this text, emergency notices first."""
    if not (title or "").strip() and not (content or "").strip():
        return []
    found: list[Advice] = []
    for adviser in _advisers(tuple(getattr(settings, "INTAKE_ADVISERS", ()))):
        try:
            found.extend(adviser(title=title or "", content=content or "", category_id=category_id))
        except Exception:  # advice is optional; the citizen's submit is not
            logger.exception("intake adviser %s failed", getattr(adviser, "__name__", adviser))
    return sorted(found, key=lambda a: not a.emergency)
