"""Shared fixtures: one user per role and a small world they live in.

The world: department ALPHA (head ``head``) runs ``alpha_project`` for client
Acme, managed by ``pm`` with ``member`` on the team; department BETA runs
``beta_project`` for client Globex; ``outside_head`` heads BETA but is a
reporting head of ``alpha_project``. ``client_user`` is an Acme contact.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from apm.accounts.models import Role
from tests import factories
from tests.faults.results import results_table, start_results
from tests.static import collect_static_when_stale

# Hypothesis: in CI (CI=true) the examples are derandomized and no example database is kept, so a red
# run is red again for anyone who reruns it and a green branch does not turn red because a new random
# example turned up; on a laptop they are random and failures are remembered (.hypothesis/), to keep
# exploring. HYPOTHESIS_PROFILE=ci|dev chooses explicitly.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)


def pytest_configure(config):
    """Name this run's fault-test results file and collect the static files when stale.

    Both in the controller, before xdist starts its workers.
    """
    if not hasattr(config, "workerinput"):
        start_results()
        collect_static_when_stale()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the fault-test results table (tests/faults) when any fault test recorded a row (controller only)."""
    if hasattr(config, "workerinput"):
        return
    table = results_table()
    if table:
        terminalreporter.section("fault tests: reports and emails under injected faults")
        terminalreporter.write_line(table)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Files go to a temporary folder, never var/; mail to mail.outbox; fast password hashing.

    PBKDF2 costs about a quarter of a second per user created; the role
    users below would make the suite minutes slower.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _figures_kept(request):
    """After each test that used the database: every project's stored figures (``projects.budget.figures``) equal
    a fresh computation as of the day they were written (whatever day the test froze). A service that writes
    time, expenses, budget lines or status updates around the signals without refreshing them fails the test
    that runs it."""
    if "_django_db_helper" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connection

    from projects.budget import figures

    if connection.connection is None or getattr(connection.connection, "closed", False):
        return  # the test closed it (a streamed response's close): its data went with it

    assert figures.drift() == [], "stored project figures differ from the rows they sum"


@pytest.fixture
def published(monkeypatch):
    """Every task published, as a list of (task name, args), instead of sending it to a broker."""
    calls: list[tuple[str, tuple]] = []

    def fake_publish(name, *args, countdown=None):
        calls.append((name, args))
        return True

    monkeypatch.setattr("apm.queueing.publish", fake_publish)
    monkeypatch.setattr("apm.outbox.services.publish", fake_publish)
    return calls


def _user(username: str, role: str, **extra: Any):
    """A fixture creating the user ``username`` with ``role``; the fixture's name is the one it is bound to."""

    @pytest.fixture
    def user(db):
        return factories.UserFactory(username=username, role=role, **extra)

    return user


admin_user = _user("admin", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
head = _user("head", Role.DEPARTMENT_HEAD)
outside_head = _user("outside_head", Role.DEPARTMENT_HEAD)
pm = _user("pm", Role.PROJECT_MANAGER)
member = _user("member", Role.TEAM_MEMBER)
client_user = _user("client", Role.CLIENT_CONTACT)
other_client_user = _user("other_client", Role.CLIENT_CONTACT)


@pytest.fixture
def users(admin_user, head, outside_head, pm, member, client_user, other_client_user):
    """Every user above by role key, for tests parametrized over the roles."""
    return {
        "admin": admin_user,
        "head": head,
        "outside_head": outside_head,
        "pm": pm,
        "member": member,
        "client_user": client_user,
        "other_client_user": other_client_user,
    }


@pytest.fixture
def world(db, head, outside_head, pm, member, client_user, other_client_user):
    """The two departments, two clients and two projects described in the module docstring."""
    alpha = factories.DepartmentFactory(code="ALPHA", name="Alpha Department")
    alpha.heads.add(head)
    beta = factories.DepartmentFactory(code="BETA", name="Beta Department")
    beta.heads.add(outside_head)
    acme = factories.ClientFactory(name="Acme")
    globex = factories.ClientFactory(name="Globex")
    factories.ClientContactFactory(client=acme, name="Ann Client", email="ann@acme.example", user=client_user)
    factories.ClientContactFactory(client=globex, name="Gil Client", email="gil@globex.example", user=other_client_user)
    alpha_project = factories.ProjectFactory(
        code="ALPHA-1", name="Alpha Project", client=acme, project_manager=pm, departments=[alpha]
    )
    alpha_project.reporting_heads.add(outside_head)
    alpha_project.team_members.add(factories.TeamMemberFactory(name="Mo Member", user=member, department=alpha))
    beta_project = factories.ProjectFactory(code="BETA-1", name="Beta Project", client=globex, departments=[beta])
    return {
        "alpha": alpha,
        "beta": beta,
        "acme": acme,
        "globex": globex,
        "alpha_project": alpha_project,
        "beta_project": beta_project,
    }


@pytest.fixture
def api_as(db):
    """``api_as(user, write=False, projects=(), days=30)``: a DRF test client holding a fresh personal access token
    of ``user``, made through the service as the tokens page makes one (``client.token`` is the token). A new
    token's request count starts at zero: the rate limit counts by its random prefix."""
    from rest_framework.test import APIClient

    from apm.api.services import token_create

    def make(user, *, write: bool = False, projects=(), days: int = 30) -> APIClient:
        _row, token = token_create(
            user=user, name=f"test {user.username}", can_write=write, days=days, projects=projects
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.token = token
        return client

    return make
