"""factory_boy factories for the back office: staff users with a role and units, and requests in any state."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from dispatch import roles
from dispatch.models import Unit, UnitMembership
from dispatch.workflow import transition_apply
from requests_app.models import HelpRequest, State
from requests_app.tests.factories import HelpRequestFactory

PASSWORD = "pass-for-tests-only"


def unit(name: str = "金水区人民政府") -> Unit:
    return Unit.objects.get(name=name)


class StaffUserFactory(factory.django.DjangoModelFactory):
    """A staff user; `role=` one of dispatch.roles' group names, `units=` the units they work in."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.LazyAttribute(lambda o: f"{o.username}姓名")
    is_staff = True
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.groups.add(roles.roles_ensure()[extracted])

    @factory.post_generation
    def units(self, create: bool, extracted: list[Unit] | None, **kwargs: object) -> None:
        for u in extracted or ():
            UnitMembership.objects.get_or_create(unit=u, user=self)


def dispatcher(**kwargs) -> object:
    return StaffUserFactory(role=roles.DISPATCHER, **kwargs)


def supervisor(**kwargs) -> object:
    return StaffUserFactory(role=roles.SUPERVISOR, **kwargs)


def handler(unit_: Unit, **kwargs) -> object:
    return StaffUserFactory(role=roles.HANDLER, units=[unit_], **kwargs)


def fresh(user):
    """The same user re-read, without cached permissions (after group changes)."""
    return get_user_model().objects.get(pk=user.pk)


# The path the workflow itself takes to reach each state (through transition_apply, never by hand).
PATHS: dict[str, list[str]] = {
    State.SUBMITTED: [],
    State.LISTED: ["list"],
    State.HANDED_OVER: ["list", "hand_over"],
    State.ACCEPTED: ["list", "hand_over", "accept"],
    State.RETURNED: ["list", "hand_over", "return"],
    State.RESOLVED: ["list", "hand_over", "accept", "resolve"],
    State.REOPENED: ["list", "hand_over", "accept", "resolve", "reopen"],
    State.CLOSED: ["list", "hand_over", "accept", "resolve", "close"],
    State.INVALID: ["mark_invalid"],
    State.DUPLICATE: ["mark_duplicate"],
}


def _default_staff(lead: Unit) -> tuple:
    """The staff a test that does not care about them gets: one of each role, reused."""
    model = get_user_model()
    users = []
    for username, make in (("wf_dispatcher", dispatcher), ("wf_supervisor", supervisor)):
        users.append(model.objects.filter(username=username).first() or make(username=username))
    handler_name = f"wf_handler_{lead.pk}"
    users.append(model.objects.filter(username=handler_name).first() or handler(lead, username=handler_name))
    return tuple(users)


def request_in_state(
    state: str,
    *,
    dispatcher_user=None,
    handler_user=None,
    supervisor_user=None,
    lead: Unit | None = None,
    assist: Unit | None = None,
    duplicate_of: HelpRequest | None = None,
    **kwargs,
) -> HelpRequest:
    """A new request brought to `state` by the workflow: handed over to `lead` (assisted by `assist`).

    Staff not given are one default user per role (the handler works in `lead`,
    金水区人民政府 unless given). `kwargs` go to HelpRequestFactory.
    """
    return request_advance(
        HelpRequestFactory(**kwargs),
        state,
        dispatcher_user=dispatcher_user,
        handler_user=handler_user,
        supervisor_user=supervisor_user,
        lead=lead,
        assist=assist,
        duplicate_of=duplicate_of,
    )


def request_advance(
    req: HelpRequest,
    state: str,
    *,
    dispatcher_user=None,
    handler_user=None,
    supervisor_user=None,
    lead: Unit | None = None,
    assist: Unit | None = None,
    duplicate_of: HelpRequest | None = None,
) -> HelpRequest:
    """Take an existing request on from its state to `state`: the steps of PATHS it has not taken yet.

    For requests made some other way (an Open311 submission, a web form post). The
    request must stand on the way to `state` (its PATHS entry a prefix of the
    target's); it is refreshed in place and returned. Staff as for request_in_state;
    a duplicate's main request is `duplicate_of`, a new one unless given.
    """
    req.refresh_from_db()
    done, path = PATHS[req.state], PATHS[state]
    if path[: len(done)] != done:
        raise ValueError(f"the workflow does not take a request from {req.state} to {state} along PATHS")
    lead = lead or unit()
    if dispatcher_user is None or handler_user is None or supervisor_user is None:
        default_dispatcher, default_supervisor, default_handler = _default_staff(lead)
        dispatcher_user = dispatcher_user or default_dispatcher
        supervisor_user = supervisor_user or default_supervisor
        handler_user = handler_user or default_handler
    params = {
        "list": (dispatcher_user, {}),
        "hand_over": (dispatcher_user, {"unit": lead, "assist_units": [assist] if assist else []}),
        "accept": (handler_user, {}),
        "return": (handler_user, {"reason": "不属于本单位职责"}),
        "resolve": (handler_user, {"result": "已协调恢复供水"}),
        "reopen": (supervisor_user, {"reason": "市民反映仍未解决"}),
        "close": (supervisor_user, {}),
        "mark_invalid": (dispatcher_user, {"reason": "测试信息"}),
        "mark_duplicate": (dispatcher_user, {}),
    }
    for action in path[len(done) :]:
        actor, extra = params[action]
        if action == "mark_duplicate":
            extra = {"duplicate_of": duplicate_of or HelpRequestFactory()}
        transition_apply(request_id=req.pk, action=action, actor=actor, **extra)
    req.refresh_from_db()
    assert req.state == state
    return req
