"""Workspace scoping: the one way views reach user data (DESIGN §5.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from accounts.models import Workspace


class WorkspaceQuerySet(models.QuerySet):
    """QuerySet whose `for_workspace()` keeps only rows of one workspace.

    A model names the lookup that leads to its workspace in `workspace_path`
    (default `"workspace"`, e.g. `"campaign__workspace"` for a campaign's steps).
    """

    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet:
        if workspace is None:
            return self.none()
        path = getattr(self.model, "workspace_path", "workspace")
        return self.filter(**{path: workspace})


WorkspaceManager = models.Manager.from_queryset(WorkspaceQuerySet)


def get_for_workspace_or_404(
    queryset: models.QuerySet | type[models.Model], workspace: Workspace, **lookup: Any
) -> Any:
    """Fetch one object of `workspace`; another workspace's object is a 404, never a 403."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return queryset.for_workspace(workspace).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        # ValueError and friends: an id posted as "abc" names no object either
        raise Http404 from exc


def as_id(value: str | None) -> int | None:
    """A primary key as a form posts it, or None for anything that cannot be one."""
    if value and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


SESSION_KEY = "postigo_workspace_id"


class WorkspaceMiddleware:
    """Set `request.workspace` and `request.membership` for signed-in users."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from accounts.services import membership_current

            membership = membership_current(
                user=user, workspace_id=request.session.get(SESSION_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
                if request.session.get(SESSION_KEY) != membership.workspace_id:
                    request.session[SESSION_KEY] = membership.workspace_id
        return self.get_response(request)
