"""`{% per_language %} … {% end_per_language %}`: render a fragment once per language, then reuse it.

For the public layout's fixed parts (translated headings, the navigation,
stylesheet links): on the progress page, reached by every lookup, those
{% translate %}, {% static %} and loop nodes cost about a fifth of the
template's time although their output only changes with the language.

The fragment is rendered on first use per (language, script prefix) and its
output kept on the compiled node, so for the life of the cached template
(the process, outside DEBUG; one render in DEBUG, where templates are
recompiled). Invariant for callers: nothing inside may depend on the request
or the user (no CSRF token, path, form value, user name, message): only on
the active language and settings. `makemessages` still finds the
{% translate %} strings inside.
"""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()


class PerLanguageNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.rendered: dict[tuple[str | None, str], SafeString] = {}

    def render(self, context: template.Context) -> str:
        key = (get_language(), get_script_prefix())
        output = self.rendered.get(key)
        if output is None:
            output = self.rendered[key] = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the template engine, escaped there
        return output


@register.tag
def per_language(parser: template.base.Parser, token: template.base.Token) -> PerLanguageNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("per_language takes no arguments")
    nodelist = parser.parse(("end_per_language",))
    parser.delete_first_token()
    return PerLanguageNode(nodelist)
