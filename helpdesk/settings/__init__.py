"""Django settings for 一帮到底, read from the environment (django-environ).

Every value that differs between a laptop, CI and production comes from an
environment variable; the defaults serve `make run` on a fresh machine
(SQLite and kombu's filesystem broker under var/, DEBUG on).

One module per concern: `base` reads the environment (and `.env`) and holds the
apps, middleware, templates, login, languages and static files; `database`,
`caches`, `security`, `tasks` (Celery), `limits` (abuse limits, uploads),
`platform` (the promises, the workflow, figures, location, Open311, messages)
and `logs` each import what they need from `base` (and `platform` the CSP from
`security`), so the order below changes nothing. No name is set in two of them
(helpdesk/tests/test_settings_layout.py).
"""

from .base import *  # noqa: F403
from .caches import *  # noqa: F403
from .database import *  # noqa: F403
from .limits import *  # noqa: F403
from .logs import *  # noqa: F403
from .platform import *  # noqa: F403
from .security import *  # noqa: F403
from .tasks import *  # noqa: F403
