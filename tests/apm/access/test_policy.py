"""The access rule: each role sees exactly its projects."""

from __future__ import annotations

import pytest

from apm import access
from apm.access import audience_for
from apm.accounts.models import Role
from tests.factories import AllocationFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db


def codes(user) -> set[str]:
    return set(access.see_project.queryset(user).values_list("code", flat=True))


def test_it_shows_everything_to_an_administrator(world, admin_user):
    assert codes(admin_user) == {"ALPHA-1", "BETA-1"}


def test_it_shows_a_head_their_departments_projects(world, head):
    assert codes(head) == {"ALPHA-1"}


def test_it_shows_a_reporting_head_from_another_department_the_project_they_report_on(world, outside_head):
    assert codes(outside_head) == {"ALPHA-1", "BETA-1"}


def test_it_shows_a_pm_and_a_team_member_their_own_projects(world, pm, member):
    assert codes(pm) == {"ALPHA-1"}
    assert codes(member) == {"ALPHA-1"}


def test_it_shows_a_client_only_their_clients_projects_in_the_client_audience(world, client_user, other_client_user):
    assert codes(client_user) == {"ALPHA-1"}
    assert codes(other_client_user) == {"BETA-1"}
    assert audience_for(client_user) == "client"


def test_it_shows_nothing_to_an_anonymous_user(world):
    from django.contrib.auth.models import AnonymousUser

    assert codes(AnonymousUser()) == set()


def test_it_returns_each_project_once_when_several_rules_match(world, outside_head, pm):
    world["alpha_project"].reporting_heads.add(pm)
    assert access.see_project.queryset(pm).count() == 1


def test_it_lets_only_the_pm_department_heads_and_administrators_edit(
    world, admin_user, head, outside_head, pm, member
):
    def editable(user) -> set[str]:
        return set(access.edit_project.queryset(user).values_list("code", flat=True))

    assert editable(admin_user) == {"ALPHA-1", "BETA-1"}
    assert editable(head) == {"ALPHA-1"}
    assert editable(pm) == {"ALPHA-1"}
    # Reporting on a project from another department, or being on its team, is not enough.
    assert editable(outside_head) == {"BETA-1"}
    assert editable(member) == set()


def test_it_shows_internal_figures_to_managers_and_heads_not_to_the_team(world, head, outside_head, pm, member):
    def finance(user) -> set[str]:
        return set(access.see_money.queryset(user).values_list("code", flat=True))

    assert finance(pm) == {"ALPHA-1"}
    assert finance(head) == {"ALPHA-1"}
    assert finance(outside_head) == {"ALPHA-1", "BETA-1"}  # a reporting head of ALPHA-1
    assert finance(member) == set()  # on the team: sees the project, not its budget


def test_it_shows_a_person_booked_on_a_project_one_sees_only_while_the_booking_stands(world, member):
    ivy = TeamMemberFactory(name="Ivy Booked")  # not on ALPHA-1's team, in no department of the viewer's
    booking = AllocationFactory(member=ivy, project=world["alpha_project"], status="cancelled")
    assert not access.see_member.allows(member, ivy)
    assert ivy not in access.see_member.queryset(member)
    booking.status = "tentative"
    booking.save(update_fields=["status"])
    assert access.see_member.allows(member, ivy)
    assert list(access.see_member.queryset(member).filter(pk=ivy.pk)) == [ivy]


def test_a_user_objects_capabilities_follow_its_links_and_role_as_they_change(world, pm):
    """The rule's queryset is built once per user object and role; what it lists is read each time."""
    beta = world["beta_project"]
    assert codes(pm) == {"ALPHA-1"}
    assert {project.code for project in access.see_project.queryset(pm)} == {"ALPHA-1"}  # evaluated
    beta.project_manager = pm
    beta.save()
    assert {project.code for project in access.see_project.queryset(pm)} == {"ALPHA-1", "BETA-1"}  # not that one
    assert codes(pm) == {"ALPHA-1", "BETA-1"}
    assert access.see_project.allows(pm, beta)
    pm.role = Role.CLIENT_CONTACT  # the same object in another role: that role's rule
    assert codes(pm) == set()
    assert not access.see_internal.allows(pm, beta)
    pm.role = Role.PROJECT_MANAGER
    pm.is_active = False
    assert codes(pm) == set()
