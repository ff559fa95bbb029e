"""Which workspaces may send (DESIGN invariant 9), and the offline choice sending nothing out."""

import itertools

import pytest
from django.utils import timezone

from accounts.models import Membership, Workspace
from ai.classifier import reply_refine
from ai.content_filter import content_check
from ai.models import AISettings
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_an_open_workspace_with_an_active_owner_may_send(workspace_a, alice):
    assert workspace_a.may_send()


def test_a_suspended_workspace_may_not(workspace_a, alice):
    Workspace.objects.filter(pk=workspace_a.pk).update(suspended_at=timezone.now())
    assert not workspace_a.may_send()


def test_a_workspace_whose_only_owner_is_deactivated_may_not(workspace_a, alice, bob):
    alice.is_active = False
    alice.save()
    assert not workspace_a.may_send()  # bob, an active member, is no owner


def test_one_active_owner_among_deactivated_ones_is_enough(workspace_a, alice):
    other = make_user("dana@example.com")
    Membership.objects.create(workspace=workspace_a, user=other, role=Membership.Role.OWNER)
    alice.is_active = False
    alice.save()
    assert workspace_a.may_send()


def test_another_workspaces_standing_is_its_own(workspace_a, alice, workspace_b, charlie):
    Workspace.objects.filter(pk=workspace_b.pk).update(suspended_at=timezone.now())
    assert list(Workspace.objects.allowed_to_send()) == [workspace_a]


@pytest.mark.parametrize(
    ("closed", "suspended", "owners"),
    list(itertools.product([False, True], [False, True], [(), (True,), (False,), (False, True)])),
)
def test_one_workspaces_answer_is_the_listings_answer(closed, suspended, owners):
    """`may_send` (one plain query, for the send path) and `allowed_to_send` are one rule."""
    workspace = Workspace.objects.create(
        name="w",
        closed_at=timezone.now() if closed else None,
        suspended_at=timezone.now() if suspended else None,
    )
    for i, active in enumerate(owners):
        user = make_user(f"owner{i}@example.com", is_active=active)
        Membership.objects.create(workspace=workspace, user=user, role=Membership.Role.OWNER)
    Membership.objects.create(workspace=workspace, user=make_user("member@example.com"))
    listed = Workspace.objects.allowed_to_send().filter(pk=workspace.pk).exists()
    assert workspace.may_send() is listed
    assert listed is (not closed and not suspended and (not owners or any(owners)))


def test_choosing_offline_rules_keeps_everything_on_the_server(openai_workspace, fake_openai):
    AISettings.objects.filter(workspace=openai_workspace).update(provider="local")
    assert reply_refine(workspace=openai_workspace, text="Interested, call me") is None
    verdict = content_check(subject="Hi", body="Let's talk", workspace=openai_workspace)
    assert verdict.provider == "local"
    assert fake_openai.requests == []
