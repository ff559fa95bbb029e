"""Settings → Notifications: where each kind of notification reaches the person, and the digest."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import NotificationSettingsForm
from accounts.notifications import notification_preferences, notification_preferences_set


@login_required
@require_http_methods(["GET", "POST"])
def settings_notifications(request):
    form = NotificationSettingsForm(
        request.POST or None,
        initial={"digest": request.user.notification_digest},
        initial_channels=notification_preferences(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        notification_preferences_set(user=request.user, channels=form.channels())
        request.user.notification_digest = form.cleaned_data["digest"]
        request.user.save(update_fields=["notification_digest"])
        messages.success(request, _("Your notification settings are saved."))
        return redirect("settings_notifications")
    return render(
        request,
        "accounts/settings_notifications.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
