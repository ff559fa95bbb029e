"""Settings → Privacy (export, correction, restriction, objection, forgetting a recipient,
closing) and restoring a closed account or workspace from the sign-in page."""

from __future__ import annotations

import django_otp
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.middleware import SESSION_KEY
from accounts.models import User, Workspace
from accounts.two_factor import user_has_two_factor
from privacy import exports, policies, rights, services
from privacy.forms import (
    ConfirmWithPasswordForm,
    ForgetRecipientForm,
    ObjectionForm,
    RestoreForm,
    RestrictionForm,
)
from privacy.models import DataExport
from privacy.services import PrivacyError


def _owner_only(request):
    if not services.can_close_workspace(request.membership):
        messages.error(request, _("Only an owner of this workspace can do that."))
        return redirect("privacy_settings")
    return None


@login_required
@require_GET
def privacy_settings(request):
    choices = services.privacy_of(request.workspace)
    return render(
        request,
        "privacy/settings.html",
        {
            "choices": choices,
            "is_owner": services.can_close_workspace(request.membership),
            "can_erase": services.can_erase_recipient(request.membership),
            "exports": DataExport.objects.filter(user=request.user)[:5],
            "objection_form": ObjectionForm(
                initial={
                    "ai": choices.objects_to_ai_at is not None,
                    "analytics": choices.objects_to_analytics_at is not None,
                }
            ),
            "restriction_form": RestrictionForm(),
            "forget_form": ForgetRecipientForm(),
            "close_workspace_form": ConfirmWithPasswordForm(prefix="workspace"),
            "close_account_form": ConfirmWithPasswordForm(prefix="account"),
            "blockers": services.account_close_blockers(request.user),
            "closed_workspaces": services.closed_workspaces_of(request.user),
            "restore_until": services.restore_deadline,
            "contact": policies.contact_address(),
        },
    )


# --- Export --------------------------------------------------------------------------------------


@login_required
@require_POST
def export_create(request):
    exports.export_request(user=request.user, request=request)
    messages.success(
        request, _("Your export is being prepared. This page shows its progress; we email you.")
    )
    return redirect(reverse("privacy_settings") + "#export")


@login_required
@require_GET
def export_status(request, pk: int):
    """The export's row, polled by htmx while it builds."""
    export = get_object_or_404(DataExport, pk=pk, user=request.user)
    return render(request, "privacy/_export_row.html", {"export": export})


@login_required
@require_GET
def export_download(request, token: str):
    export = DataExport.objects.filter(token=token, user=request.user).first()
    if export is None or not export.is_downloadable:
        raise Http404
    path = exports.export_download(export=export, request=request)
    if not path.exists():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"postigo-data-{export.finished_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )


# --- Restriction and objection ----------------------------------------------------------------


@login_required
@require_POST
def restriction(request):
    if refused := _owner_only(request):
        return refused
    if request.POST.get("lift"):
        rights.restriction_lift(workspace=request.workspace, by=request.user, request=request)
        messages.success(
            request,
            _("The restriction is lifted. Paused campaigns stay paused until you resume them."),
        )
    else:
        form = RestrictionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        rights.restriction_set(
            workspace=request.workspace, by=request.user, reason=reason, request=request
        )
        messages.success(
            request,
            _(
                "Processing is restricted: campaigns are paused, opens and clicks are not recorded "
                "and no AI provider is called until you lift it."
            ),
        )
    return redirect(reverse("privacy_settings") + "#restriction")


@login_required
@require_POST
def objection(request):
    if refused := _owner_only(request):
        return refused
    form = ObjectionForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    rights.objection_set(
        workspace=request.workspace,
        by=request.user,
        ai=form.cleaned_data["ai"],
        analytics=form.cleaned_data["analytics"],
        request=request,
    )
    messages.success(request, _("Your objections are saved."))
    return redirect(reverse("privacy_settings") + "#objection")


# --- A recipient's erasure -----------------------------------------------------------------------


@login_required
@require_POST
def forget_recipient(request):
    if not services.can_erase_recipient(request.membership):
        messages.error(request, _("Only owners and admins can erase a recipient."))
        return redirect("privacy_settings")
    form = ForgetRecipientForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the email address to forget."))
        return redirect(reverse("privacy_settings") + "#forget")
    counts = rights.recipient_erase(
        workspace=request.workspace,
        address=form.cleaned_data["email"],
        by=request.user,
        request=request,
    )
    found = ", ".join(f"{n} {what}" for what, n in counts.items() if n and what != "suppression")
    messages.success(
        request,
        (_("Erased: %(found)s.") % {"found": found} if found else _("Nothing else held it."))
        + " "
        + _("The address stays on the suppression list as a hash, so it is never mailed again."),
    )
    return redirect(reverse("privacy_settings") + "#forget")


# --- Closing and restoring -----------------------------------------------------------------------


@login_required
@require_POST
def workspace_close(request):
    if refused := _owner_only(request):
        return refused
    form = ConfirmWithPasswordForm(request.POST, prefix="workspace")
    try:
        if not form.is_valid():
            raise PrivacyError(" ".join(e for errs in form.errors.values() for e in errs))
        services.check_password(request.user, form.cleaned_data["password"])
    except PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("privacy_settings") + "#close-workspace")
    workspace = services.workspace_close(
        workspace=request.workspace, by=request.user, request=request
    )
    messages.success(
        request,
        _("“%(name)s” is closed. You can restore it here until %(date)s.")
        % {
            "name": workspace.name,
            "date": f"{services.restore_deadline(workspace.closed_at):%d %B %Y}",
        },
    )
    return redirect("privacy_settings")


@login_required
@require_POST
def workspace_restore(request, pk: int):
    workspace = get_object_or_404(Workspace, pk=pk, memberships__user=request.user)
    try:
        services.workspace_restore(workspace=workspace, by=request.user, request=request)
    except PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect("privacy_settings")
    request.session[SESSION_KEY] = workspace.pk
    messages.success(
        request,
        _("“%(name)s” is open again. Enter each mailbox's password, then resume your campaigns.")
        % {"name": workspace.name},
    )
    return redirect("mailbox_list")


@login_required
@require_POST
def account_close(request):
    form = ConfirmWithPasswordForm(request.POST, prefix="account")
    try:
        if not form.is_valid():
            raise PrivacyError(" ".join(e for errs in form.errors.values() for e in errs))
        services.account_close(
            user=request.user, password=form.cleaned_data["password"], request=request
        )
    except PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("privacy_settings") + "#close-account")
    logout(request)
    return redirect(reverse("privacy_restore") + "?closed=1")


@require_http_methods(["GET", "POST"])
def restore(request):
    """From the sign-in page: reopen a closed account (and the workspaces that closed with it),
    or sign in to restore a closed workspace, within the 30 days."""
    form = RestoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if not ratelimit.consume(request, action="login_failed", key=email):
            form.add_error(None, _("Too many attempts. Wait a few minutes and try again."))
        else:
            done = _restore(request, form, email)
            if done is not None:
                return done
    return render(
        request, "privacy/restore.html", {"form": form, "closed": request.GET.get("closed")}
    )


def _restore(request, form, email: str):
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not user.check_password(form.cleaned_data["password"]):
        form.add_error(None, _("That email address and password do not match an account."))
        return None
    device = None
    if user_has_two_factor(user):
        code = form.cleaned_data["code"].replace(" ", "").replace("-", "")
        # No code yet: ask for it without counting a failure against the devices' throttle.
        device = django_otp.match_token(user, code) if code else None
        if device is None:
            form.add_error("code", _("Enter a current code from your authenticator app."))
            return None
    if user.closed_at is not None:
        try:
            user = services.account_restore(user=user, request=request)
        except PrivacyError as exc:
            form.add_error(None, str(exc))
            return None
        message = _("Welcome back: your account is restored.")
    elif services.closed_workspaces_of(user):
        message = _("Restore your closed workspace below.")
    elif not user.is_active:
        form.add_error(None, _("This account cannot be restored here. Contact us."))
        return None
    else:
        form.add_error(None, _("Your account is open and you have no closed workspace to restore."))
        return None
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        django_otp.login(request, device)
    messages.success(request, message)
    return redirect(reverse("privacy_settings") + "#closed-workspaces")
