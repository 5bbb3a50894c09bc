"""What may reach a log line: no phone, no ID number, no e-mail, no tracking token, no staff search.

Log files are kept longer and read by more people than the data they
describe, so personal data and credentials are taken out before a line is
written:

- `url_scrub` rewrites a URL as it is logged: the query string of every
  admin URL is dropped (staff search by phone is a GET: `?q=13812345678`),
  credentials in any query string (`api_key`, `token`, `phone`) are replaced,
  and the signed tracking token in `/help/track/<token>/`,
  `/help/receipt/<token>/` and `/help/feedback/<token>/` — a bearer link to
  the citizen's progress page — becomes `<token>`.
- `ScrubFilter` (installed on the console handler by `settings.LOGGING`)
  formats each record, passes it through `url_scrub` and the one free-text
  redactor (`requests_app.redact.text_redact`) and stores the result, so
  Django's "Not Found: /help/track/…" warnings and any message quoting a
  phone are scrubbed, whoever logged them.
- `GunicornLogger` (`helpdesk/gunicorn_conf.py` names it) applies the same
  to gunicorn's access log: the request line, the path, the query string and
  the referrer.

It lives in requests_app because the tracking links and the redactor are
requests_app's; settings and the gunicorn config name it by its dotted path.
It imports no model, so logging can load it before the apps are ready.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gunicorn.glogging import Logger

from .redact import text_redact

_TOKEN_PATH = re.compile(r"(/help/(?:track|receipt|feedback)/)[^/?#\s\"']+")
_ADMIN_PREFIX = "/admin/"
_SECRET_PARAMS = frozenset({"api_key", "token", "phone", "q"})
_URL_IN_TEXT = re.compile(r"(?:https?://[^\s\"']+)?/[^\s\"']*")
REDACTED = "<redacted>"


def url_scrub(url: str) -> str:
    """`url` (a path with its query, or an absolute URL) as it may be logged."""
    if not url or "/" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _TOKEN_PATH.sub(r"\1<token>", url.split("?", 1)[0])
    path = _TOKEN_PATH.sub(r"\1<token>", parts.path)
    query = parts.query
    if query:
        if path.startswith(_ADMIN_PREFIX):
            query = ""
        else:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, REDACTED if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="<>")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def text_scrub(text: str) -> str:
    """Free text as it may be logged: URLs scrubbed, then phones, ID numbers and e-mails masked."""
    if not text:
        return text
    text = _URL_IN_TEXT.sub(lambda m: url_scrub(m.group(0)), text)
    return text_redact(text)


class ScrubFilter(logging.Filter):
    """Rewrites every record's message (and its traceback text) through `text_scrub`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = text_scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = text_scrub(record.exc_text)
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with the access log's URL atoms scrubbed (see `url_scrub`)."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        raw_uri = url_scrub(environ.get("RAW_URI") or "")
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {raw_uri} {environ.get('SERVER_PROTOCOL')}"
        path = environ.get("PATH_INFO") or ""
        scrubbed = urlsplit(url_scrub(f"{path}?{environ.get('QUERY_STRING') or ''}"))
        atoms["U"] = scrubbed.path
        atoms["q"] = scrubbed.query
        atoms["f"] = url_scrub(environ.get("HTTP_REFERER", "-"))
        atoms["{referer}i"] = atoms["f"]
        for key in ("{raw_uri}e", "{path_info}e", "{query_string}e", "{http_referer}e", "{request_uri}e"):
            atoms.pop(key, None)
        return atoms
