"""axe-core on the staff pages at 1366×768: no violation in our own markup, in either language.

The pages a shift goes through: the login, the 工作台 (admin index) of a
dispatcher, a handler and a supervisor, the request changelist (all and one
queue), a change page with its workflow actions, the 督办 (late) queue, the
督办考核 dashboard and the 每月一题 report. axe-core comes from the npm package (`make test` installs
it), injected into Debian's Chromium.

Django admin's own markup keeps a few known issues; they are excluded here by
rule *and* element, each with its reason (KNOWN_ADMIN_ISSUES, also listed in
bench/RESULTS.md). Anything else, ours or a new one of admin's, fails the test,
and so does an exclusion that no page needs any more (the list stays true).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone

from dispatch.tests import factories
from dispatch.tests.browser import staff_login
from requests_app.clock import request_clock_refresh
from requests_app.models import State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREEN = {"width": 1366, "height": 768}
LANGUAGES = ["zh-hans", "en"]

# (axe rule, CSS selector of the elements of Django admin's own templates it may flag, why).
KNOWN_ADMIN_ISSUES: list[tuple[str, str, str]] = [
    (
        "label-title-only",
        "#searchbar",
        "The changelist's search box (admin/search_form.html) is labelled by a magnifier icon, an <img alt> "
        "inside its <label>, with no visible text.",
    ),
    (
        "empty-table-header",
        ".tabular.inline-related thead th:empty",
        "Tabular inlines (admin/edit_inline/tabular.html) start each header row with an empty cell over the "
        "row's object and end it with one over the delete column, empty when deleting is not allowed.",
    ),
]

_RUN_AXE = """async (known) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const used = new Set();
  const left = [];
  for (const v of result.violations) {
    const nodes = v.nodes.filter((n) => {
      const el = document.querySelector(n.target[0]);
      const k = known.findIndex(([rule, selector]) => rule === v.id && el && el.matches(selector));
      if (k >= 0) { used.add(k); return false; }
      return true;
    });
    if (nodes.length) {
      left.push({rule: v.id, impact: v.impact, help: v.help,
                 nodes: nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.html.slice(0, 160))});
    }
  }
  return {left, used: [...used]};
}"""


def _login(context, live_server, user):
    return staff_login(context.new_page(), live_server, user)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_axe_violation_in_our_markup_on_the_staff_pages(live_server, browser, language):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with `npm ci`")
    unit = factories.unit("金水区人民政府")
    dispatcher = factories.dispatcher(username="disp")
    handler = factories.handler(unit, username="hand")
    supervisor = factories.supervisor(username="sup")
    made = {}
    for state in (State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RESOLVED):
        made[state] = factories.request_in_state(
            state, dispatcher_user=dispatcher, handler_user=handler, supervisor_user=supervisor, lead=unit
        )
    # One late request, so the 督办 queue, the 工作台's 已超时 tile and the dashboard's late list have a row.
    now = timezone.now()
    made[State.ACCEPTED].deadlines.filter(kind="resolve").update(
        due_at=now - timezone.timedelta(hours=2), breached_at=now
    )
    request_clock_refresh(request_ids=[made[State.ACCEPTED].pk])  # the rows were written past the services

    url = live_server.url
    found: dict[str, list] = {}
    used: set[int] = set()
    known = [[rule, selector] for rule, selector, _why in KNOWN_ADMIN_ISSUES]

    def check(page, name: str, path: str | None = None, ready: str = "#content") -> None:
        if path is not None:
            response = page.goto(url + path)
            assert response.status == 200, name
        page.wait_for_selector(ready)
        assert page.evaluate("document.documentElement.lang") == language, name
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(_RUN_AXE, known)
        used.update(result["used"])
        if result["left"]:
            found[name] = result["left"]

    def context():
        # Admin's strict Content-Security-Policy would refuse the injected axe script.
        ctx = browser.new_context(viewport=SCREEN, locale="zh-CN", bypass_csp=True)
        ctx.set_default_timeout(15_000)
        ctx.add_cookies([{"name": "django_language", "value": language, "url": url}])
        return ctx

    ctx = context()
    page = ctx.new_page()
    check(page, "login", "/admin/login/", ready="#id_username")
    page.close()
    page = _login(ctx, live_server, dispatcher)
    check(page, "工作台 (dispatcher)", ready="#workbench")
    check(page, "changelist", "/admin/requests_app/helprequest/", ready="#result_list")
    check(page, "changelist, one queue", "/admin/requests_app/helprequest/?queue=to_list", ready="#result_list")
    change = f"/admin/requests_app/helprequest/{made[State.SUBMITTED].pk}/change/"
    check(page, "change page with its actions", change, ready=".workflow-actions")
    page.click("details[data-action=list] summary")
    check(page, "change page, an action open", ready="details[data-action=list][open]")
    check(page, "督办 queue", "/admin/dispatch/laterequest/", ready="#result_list")
    ctx.close()

    ctx = context()
    page = _login(ctx, live_server, handler)
    check(page, "工作台 (handler)", ready="#workbench")
    check(page, "change page (handler)", f"/admin/requests_app/helprequest/{made[State.HANDED_OVER].pk}/change/")
    ctx.close()

    ctx = context()
    page = _login(ctx, live_server, supervisor)
    check(page, "工作台 (supervisor)", ready="#workbench")
    check(page, "dashboard", "/admin/requests_app/helprequest/dashboard/", ready="#units")
    # 每月一题: this month (the requests above, so its tables have rows) and the default, last month.
    this_month = f"{timezone.localdate():%Y-%m}"
    check(page, "每月一题", f"/admin/requests_app/helprequest/monthly/?month={this_month}", ready="#problems")
    check(page, "每月一题 (last month)", "/admin/requests_app/helprequest/monthly/", ready="#headlines")
    check(page, "督办 queue (supervisor)", "/admin/dispatch/laterequest/", ready="#result_list")
    ctx.close()

    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    unused = [KNOWN_ADMIN_ISSUES[i][:2] for i in range(len(KNOWN_ADMIN_ISSUES)) if i not in used]
    assert not unused, f"known admin issues no page has any more (remove them from the list): {unused}"
