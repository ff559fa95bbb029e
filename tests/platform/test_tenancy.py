import pytest
from django.core import checks
from django.db import models
from django.http import Http404

from accounts.models import Invitation, Notification
from core.tenancy import get_for_workspace_or_404
from postigo.checks import check_models_reach_a_workspace

pytestmark = pytest.mark.django_db


def test_every_model_of_ours_is_workspace_scoped():
    assert check_models_reach_a_workspace(None) == []


def test_the_check_catches_a_model_without_for_workspace(settings):
    class Leaky(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "campaigns"

    try:
        errors = check_models_reach_a_workspace(None)
        assert [e.id for e in errors] == ["postigo.E001"]
        assert isinstance(errors[0], checks.Error)
    finally:
        from django.apps import apps

        del apps.all_models["campaigns"]["leaky"]
        apps.clear_cache()


def test_get_for_workspace_or_404_hides_other_workspaces(alice, charlie, workspace_a, workspace_b):
    invitation = Invitation.objects.create(
        workspace=workspace_a, email="x@example.com", expires_at="2099-01-01T00:00:00Z"
    )
    assert get_for_workspace_or_404(Invitation, workspace_a, pk=invitation.pk) == invitation
    with pytest.raises(Http404):
        get_for_workspace_or_404(Invitation, workspace_b, pk=invitation.pk)


def test_for_workspace_of_none_is_empty(alice, workspace_a):
    Notification.objects.create(workspace=workspace_a, user=alice, title="x")
    assert Notification.objects.for_workspace(None).count() == 0
