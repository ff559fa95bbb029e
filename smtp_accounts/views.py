"""Mailboxes: list, connect, edit, test, pause and resume."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from core.confirm import Confirmation, confirm_response
from core.request_guards import bounded_id
from core.tenancy import get_for_workspace_or_404
from smtp_accounts import bulk
from smtp_accounts.bulk import mailboxes_connect_from_csv
from smtp_accounts.detection import detect_preset
from smtp_accounts.domains.health import (
    domain_check_for,
    domain_check_request,
    domain_checks_ensure,
)
from smtp_accounts.forms import MailboxForm
from smtp_accounts.models import DkimKey, Mailbox
from smtp_accounts.oauth.forms import OAuthMailboxForm
from smtp_accounts.oauth.providers import (
    authorize_origins,
    configured_providers,
    oauth_advice,
    provider_config,
)
from smtp_accounts.presets import PRESETS
from smtp_accounts.services import (
    MailboxNotResumable,
    dkim_key_create,
    mailbox_pause,
    mailbox_resume,
    mailbox_test_connection,
)


@login_required
@require_GET
def mailbox_list(request):
    mailboxes = list(Mailbox.objects.for_workspace(request.workspace))
    checks = {c.domain: c for c in domain_checks_ensure(request.workspace)}
    for mailbox in mailboxes:
        mailbox.domain_check = checks.get(mailbox.domain)
    return render(request, "smtp_accounts/mailbox_list.html", {"mailboxes": mailboxes})


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.MAILBOX_CONNECT, methods=None)
def mailbox_create(request):
    preset = request.GET.get("provider", "custom")
    detected = None
    if request.htmx and request.method == "GET" and request.GET.get("email"):
        # The address was typed: offer its provider's settings, found from the MX records.
        detected, mx_hosts = detect_preset(request.GET["email"])
        if detected is None or detected.key == preset:
            return HttpResponse(status=204)  # nothing to change; keep what the user typed
        preset = detected.key
    initial = MailboxForm.initial_for_preset(preset)
    if detected is not None:
        initial |= {"email": request.GET["email"], "smtp_username": request.GET["email"]}
    form = MailboxForm(request.POST or None, workspace=request.workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        mailbox = form.save()
        domain_checks_ensure(request.workspace)  # a new sending domain gets its first check
        results = mailbox_test_connection(mailbox=mailbox)
        if all(r.ok for r in results):
            messages.success(request, _("%(email)s is connected.") % {"email": mailbox.email})
        else:
            messages.warning(request, _("Saved, but the connection test failed: see below."))
        return redirect("mailbox_detail", pk=mailbox.pk)
    template = "smtp_accounts/mailbox_form.html"
    if request.htmx and request.method == "GET":
        template += "#server-fields"
    context = {
        "form": form,
        "presets": PRESETS.values(),
        "preset": preset,
        "detected": detected,
        "oauth_providers": configured_providers(),
        "oauth_hint": oauth_advice(preset),
    }
    if detected is not None:
        context["mx_hosts"] = mx_hosts
    return _oauth_forms_allowed(render(request, template, context))


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.MAILBOX_EDIT)
def mailbox_detail(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    form_class = OAuthMailboxForm if mailbox.oauth_provider else MailboxForm
    form = form_class(request.POST or None, instance=mailbox, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        mailbox_test_connection(mailbox=mailbox)
        messages.success(request, _("Mailbox saved."))
        return redirect("mailbox_detail", pk=mailbox.pk)
    return _oauth_forms_allowed(
        render(
            request,
            "smtp_accounts/mailbox_form.html",
            {
                "form": form,
                "mailbox": mailbox,
                "presets": PRESETS.values(),
                "preset": mailbox.provider,
                "oauth": _oauth_state(mailbox),
                "dkim_key": DkimKey.objects.for_workspace(request.workspace)
                .filter(domain=mailbox.domain)
                .first(),
            },
        )
    )


def _oauth_forms_allowed(response):
    """The Connect/Reconnect forms post here and are redirected to the provider's sign-in page:
    allow that origin as a form target on this page only."""
    origins = authorize_origins()
    if origins:
        response._csp_update = {"form-action": origins}
    return response


def _oauth_state(mailbox: Mailbox) -> dict | None:
    """An OAuth mailbox's connection, for its page."""
    if not mailbox.oauth_provider:
        return None
    provider = provider_config(mailbox.oauth_provider)
    connected = mailbox.oauth_connected
    return {
        "provider": provider,
        "connected": connected,
        "needs_reconnect": not connected or mailbox.status == Mailbox.Status.PAUSED_BY_ERROR,
    }


@login_required
@require_POST
@allowed_to(Action.MAILBOX_TEST)
def mailbox_test(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    mailbox_test_connection(mailbox=mailbox)
    if request.htmx:
        return render(request, "smtp_accounts/mailbox_form.html#test-result", {"mailbox": mailbox})
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
@allowed_to(Action.MAILBOX_PAUSE)
def mailbox_toggle(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    if mailbox.status == Mailbox.Status.ACTIVE:
        mailbox_pause(mailbox=mailbox, reason=_("Paused by %(who)s") % {"who": request.user.email})
        messages.info(request, _("%(email)s is paused.") % {"email": mailbox.email})
    else:
        try:
            mailbox_resume(mailbox=mailbox)
        except MailboxNotResumable as exc:
            messages.warning(request, str(exc))
            return redirect("mailbox_detail", pk=mailbox.pk)
        messages.success(request, _("%(email)s is sending again.") % {"email": mailbox.email})
    return redirect("mailbox_list")


@login_required
@require_POST
@allowed_to(Action.MAILBOX_DELETE)
def mailbox_delete(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    mailbox.delete()
    messages.success(request, _("%(email)s was removed.") % {"email": mailbox.email})
    return redirect("mailbox_list")


def _names(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + ("…" if len(names) > shown else "")


@login_required
@require_GET
@allowed_to(Action.MAILBOX_DELETE, methods=None)
def mailbox_delete_confirm(request, pk: int):
    """What removing a mailbox does to the campaigns that send from it."""
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    campaigns = list(mailbox.campaigns.values_list("name", flat=True))
    consequences = [
        _("Postigo forgets %(email)s: its password or tokens, limits and signature.")
        % {"email": mailbox.email},
        ngettext(
            "It leaves %(n)s campaign (%(names)s).",
            "It leaves %(n)s campaigns (%(names)s).",
            len(campaigns),
        )
        % {"n": len(campaigns), "names": _names(campaigns)}
        if campaigns
        else _("No campaign sends from it."),
        _("The mail it already sent stays in the campaigns' reports."),
    ]
    return confirm_response(
        request,
        Confirmation(
            title=_("Remove %(email)s?") % {"email": mailbox.email},
            consequences=consequences,
            action_url=reverse("mailbox_delete", args=[mailbox.pk]),
            confirm_label=_("Remove mailbox"),
            cancel_url=reverse("mailbox_detail", args=[mailbox.pk]),
            note=_("This cannot be undone: to send from it again, connect it again."),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.MAILBOX_CONNECT, methods=None)
def mailbox_import(request):
    """Connect many mailboxes from a CSV file; each row is reported on its own."""
    results, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file to upload.")
        else:
            try:
                results = mailboxes_connect_from_csv(
                    workspace=request.workspace, data=upload.read(bulk.MAX_BYTES + 1)
                )
            except bulk.BulkFileError as exc:
                error = str(exc)
            else:
                domain_checks_ensure(request.workspace)
    mailboxes = [r.mailbox for r in results or [] if r.ok]
    return render(
        request,
        "smtp_accounts/mailbox_import.html",
        {
            "results": results,
            "error": error,
            "columns": sorted(bulk.COLUMNS),
            "oauth_providers": configured_providers(),
            **_status(mailboxes),
        },
        status=400 if error else 200,
    )


def _status(mailboxes: list[Mailbox]) -> dict:
    """Context for the import's status partial: keep polling while any test is pending."""
    return {
        "mailboxes": mailboxes,
        "pending": any(m.last_test_ok is None for m in mailboxes),
        "status_query": urlencode([("id", m.pk) for m in mailboxes]),
    }


@login_required
@require_GET
def mailbox_import_status(request):
    """The connection results of just-imported mailboxes (polled by htmx until all are in)."""
    ids = [bounded_id(i) for i in request.GET.getlist("id")[: bulk.MAX_ROWS]]
    ids = [i for i in ids if i is not None]
    mailboxes = list(Mailbox.objects.for_workspace(request.workspace).filter(pk__in=ids))
    return render(request, "smtp_accounts/mailbox_import.html#status", _status(mailboxes))


@login_required
@require_POST
@allowed_to(Action.DOMAIN_MANAGE)
def mailbox_dkim_create(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    key = dkim_key_create(workspace=request.workspace, domain=mailbox.domain)
    domain_check_request(
        domain_check=domain_check_for(workspace=request.workspace, domain=key.domain)
    )
    messages.success(
        request, _("Publish the DKIM record for %(domain)s shown below.") % {"domain": key.domain}
    )
    return redirect("mailbox_detail", pk=mailbox.pk)
