"""Workspace scoping: the one way views reach user data (DESIGN §5.3).

The kernel knows a workspace only as a model instance: it imports no app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404


class WorkspaceQuerySet(models.QuerySet):
    """QuerySet whose `for_workspace()` keeps only rows of one workspace.

    A model names the lookup that leads to its workspace in `workspace_path`
    (default `"workspace"`, e.g. `"campaign__workspace"` for a campaign's steps).
    """

    def for_workspace(self, workspace: models.Model) -> WorkspaceQuerySet:
        if workspace is None:
            return self.none()
        path = getattr(self.model, "workspace_path", "workspace")
        return self.filter(**{path: workspace})


WorkspaceManager = models.Manager.from_queryset(WorkspaceQuerySet)


def get_for_workspace_or_404(
    queryset: models.QuerySet | type[models.Model], workspace: models.Model, **lookup: Any
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
