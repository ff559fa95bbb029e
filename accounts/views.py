"""Settings, two-factor, workspace members and notifications."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import two_factor
from accounts.forms import CodeForm, InvitationForm, ProfileForm, RoleForm, ThemeForm, WorkspaceForm
from accounts.middleware import SESSION_KEY
from accounts.models import AuditLog, Invitation, Membership, Notification
from accounts.permissions import Action, allowed_to
from accounts.services import (
    AccountsError,
    audit_log,
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    notifications_mark_read,
    workspace_create,
)
from core.tenancy import get_for_workspace_or_404


def _safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


# --- Settings -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(request.user.language)  # the next page, and this message, in it
        if form.changed_data:  # a correction (right to rectification): which fields, not values
            audit_log(
                action=AuditLog.Action.PROFILE_CORRECTED, request=request, fields=form.changed_data
            )
        messages.success(request, _("Your profile is saved."))
        return redirect("settings_profile")
    return render(request, "accounts/settings_profile.html", {"form": form})


@login_required
@require_POST
def settings_theme(request):
    form = ThemeForm(request.POST)
    if form.is_valid():
        request.user.theme = form.cleaned_data["theme"]
        request.user.save(update_fields=["theme"])
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(_safe_next(request, reverse("dashboard")))


@login_required
@require_GET
def settings_security(request):
    return render(
        request,
        "accounts/settings_security.html",
        {
            "has_two_factor": two_factor.user_has_two_factor(request.user),
            "backup_codes_remaining": two_factor.backup_codes_remaining(request.user),
            "code_form": CodeForm(),
            "events": AuditLog.objects.filter(user=request.user)[:20],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    if two_factor.user_has_two_factor(request.user):
        messages.info(request, _("Two-factor authentication is already on."))
        return redirect("settings_security")
    enrollment = two_factor.totp_enrollment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_enable(
                request=request, device=enrollment.device, code=form.cleaned_data["code"]
            )
        except two_factor.TwoFactorError as exc:
            form.add_error("code", str(exc))
        else:
            # Rendered, not redirected: the codes are shown exactly once.
            return render(request, "accounts/backup_codes.html", {"codes": codes, "fresh": True})
    return render(
        request, "accounts/two_factor_setup.html", {"enrollment": enrollment, "form": form}
    )


@login_required
@require_POST
def two_factor_disable(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.two_factor_disable(request=request, code=form.cleaned_data["code"])
        except two_factor.TwoFactorError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Two-factor authentication is off."))
    else:
        messages.error(request, _("Enter a code from your authenticator app or a backup code."))
    return redirect("settings_security")


@login_required
@require_POST
def backup_codes_regenerate(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            codes = two_factor.backup_codes_regenerate(
                request=request, code=form.cleaned_data["code"]
            )
        except two_factor.TwoFactorError as exc:
            messages.error(request, str(exc))
        else:
            return render(request, "accounts/backup_codes.html", {"codes": codes, "fresh": False})
    else:
        messages.error(request, _("Enter a current code to make new backup codes."))
    return redirect("settings_security")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_login(request):
    """Second step of signing in, for users with an authenticator."""
    next_url = _safe_next(request, reverse("dashboard"))
    if request.user.is_verified() or not two_factor.user_has_two_factor(request.user):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_verify_login(request=request, code=form.cleaned_data["code"])
        except two_factor.TwoFactorError as exc:
            form.add_error("code", str(exc))
        else:
            get_adapter(request).signed_in_message(request, request.user)
            return redirect(next_url)
    return render(request, "accounts/two_factor_login.html", {"form": form, "next": next_url})


# --- Workspace ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.MEMBERS_MANAGE)  # inviting (the page itself is open to every role)
def workspace_members(request):
    membership = request.membership
    invite_form = InvitationForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation = invitation_create(
                workspace=request.workspace,
                invited_by=membership,
                email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"],
                request=request,
            )
        except AccountsError as exc:
            if not membership.can_manage_members:
                messages.error(request, str(exc))
                return redirect("workspace_members")
            invite_form.add_error("email", str(exc))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("workspace_members")
    return render(
        request,
        "accounts/workspace_members.html",
        {
            "invite_form": invite_form,
            "workspace_form": WorkspaceForm(instance=request.workspace),
            "members": Membership.objects.for_workspace(request.workspace).select_related("user"),
            "invitations": Invitation.objects.for_workspace(request.workspace).pending(),
            "roles": Membership.Role.choices,
        },
    )


@login_required
@require_POST
@allowed_to(Action.WORKSPACE_RENAME)
def workspace_rename(request):
    form = WorkspaceForm(request.POST, instance=request.workspace)
    if form.is_valid():
        form.save()
        messages.success(request, _("Workspace renamed."))
    else:
        messages.error(request, _("Enter a name of up to 100 characters."))
    return redirect("workspace_members")


@login_required
@require_POST
def workspace_new(request):
    form = WorkspaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a name of up to 100 characters."))
        return redirect("workspace_members")
    workspace = workspace_create(owner=request.user, name=form.cleaned_data["name"])
    request.session[SESSION_KEY] = workspace.pk
    messages.success(request, _("Workspace “%(name)s” created.") % {"name": workspace.name})
    return redirect("dashboard")


@login_required
@require_POST
def workspace_switch(request, workspace_id: int):
    membership = Membership.objects.filter(user=request.user, workspace_id=workspace_id).first()
    if membership is None:
        messages.error(request, _("You are not a member of that workspace."))
        return redirect("dashboard")
    request.session[SESSION_KEY] = membership.workspace_id
    return redirect("dashboard")


@login_required
@require_POST
@allowed_to(Action.MEMBERS_MANAGE)
def invitation_revoke_view(request, pk: int):
    invitation = get_for_workspace_or_404(Invitation, request.workspace, pk=pk)
    try:
        invitation_revoke(invitation=invitation, request=request)
    except AccountsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("workspace_members")


@login_required
@require_POST
def membership_role(request, pk: int):
    target = get_for_workspace_or_404(Membership, request.workspace, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            membership_change_role(
                membership=target,
                role=form.cleaned_data["role"],
                by=request.membership,
                request=request,
            )
        except AccountsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Role updated."))
    return redirect("workspace_members")


@login_required
@require_POST
def membership_remove_view(request, pk: int):
    target = get_for_workspace_or_404(Membership, request.workspace, pk=pk)
    leaving = target.user_id == request.user.pk
    try:
        membership_remove(membership=target, by=request.membership, request=request)
    except AccountsError as exc:
        messages.error(request, str(exc))
        return redirect("workspace_members")
    if leaving:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("You left the workspace."))
        return redirect("dashboard")
    messages.success(request, _("Member removed."))
    return redirect("workspace_members")


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token: str):
    if not request.user.is_authenticated:
        return render(request, "accounts/invitation_signin.html", {"next": request.path})
    error = None
    invitation = None
    try:
        invitation = invitation_from_token(token)
    except AccountsError as exc:
        error = str(exc)
    if invitation is not None and request.method == "POST":
        try:
            membership = invitation_accept(
                invitation=invitation, user=request.user, request=request
            )
        except AccountsError as exc:
            error = str(exc)
        else:
            request.session[SESSION_KEY] = membership.workspace_id
            messages.success(
                request, _("Welcome to %(name)s.") % {"name": membership.workspace.name}
            )
            return redirect("dashboard")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "error": error},
        status=400 if error else 200,
    )


# --- Notifications ------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    notifications = Notification.objects.for_workspace(request.workspace).visible_to(request.user)
    template = "accounts/notifications.html"
    if request.htmx:
        template += "#dropdown"
        notifications = notifications[:8]
    else:
        notifications = notifications[:100]
    return render(request, template, {"notifications": notifications})


@login_required
@require_POST
def notification_read(request, pk: int | None = None):
    if pk is None:
        notifications_mark_read(workspace=request.workspace, user=request.user)
        return redirect(_safe_next(request, reverse("notification_list")))
    notification = get_for_workspace_or_404(
        Notification.objects.visible_to(request.user), request.workspace, pk=pk
    )
    notifications_mark_read(workspace=request.workspace, user=request.user, pk=notification.pk)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return redirect(_safe_next(request, reverse("notification_list")))
