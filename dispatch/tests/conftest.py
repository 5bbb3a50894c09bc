"""Shared staff for the back-office tests: one user per role, handlers of three units."""

from types import SimpleNamespace

import pytest

from dispatch.tests import factories


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default hasher costs ~0.3 s per user on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    unit_a = factories.unit("金水区人民政府")
    unit_b = factories.unit("郑州市卫生健康委员会")
    unit_c = factories.unit("郑州市教育局")
    return SimpleNamespace(
        unit_a=unit_a,
        unit_b=unit_b,
        unit_c=unit_c,
        dispatcher=factories.dispatcher(username="disp"),
        supervisor=factories.supervisor(username="sup"),
        handler_a=factories.handler(unit_a, username="hand_a"),
        handler_b=factories.handler(unit_b, username="hand_b"),
        handler_c=factories.handler(unit_c, username="hand_c"),
        nobody=factories.StaffUserFactory(username="nobody"),
    )


@pytest.fixture
def make_request(staff):
    """make_request(state) → a request brought there by the workflow, lead unit A, assisting unit B."""

    def make(state: str, **kwargs):
        return factories.request_in_state(
            state,
            dispatcher_user=staff.dispatcher,
            handler_user=staff.handler_a,
            supervisor_user=staff.supervisor,
            lead=staff.unit_a,
            assist=staff.unit_b,
            **kwargs,
        )

    return make
