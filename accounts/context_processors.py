"""Context every page of the dashboard shell needs, in at most two queries."""

from django.conf import settings


def shell(request):
    context = {"PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL, "DEBUG": settings.DEBUG}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    from accounts.models import Membership, Notification

    workspace = getattr(request, "workspace", None)
    context["unread_notifications"] = (
        Notification.objects.for_workspace(workspace).visible_to(user).unread().count()
        if workspace
        else 0
    )
    context["user_memberships"] = Membership.objects.filter(
        user=user, workspace__closed_at__isnull=True
    ).select_related("workspace")
    return context
