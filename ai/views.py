"""Settings → AI: provider, key, model, budget, usage this month, custom labels, a test button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, can
from ai.forms import AISettingsForm, CustomLabelForm
from ai.labels import DESCRIPTIONS
from ai.models import AISettings, CustomLabel, ProviderKey, Purpose, Usage
from ai.providers.base import ProviderError
from ai.providers.local import LocalProvider
from ai.services import (
    ai_call,
    ai_settings_of,
    provider_key_save,
    provider_name_for,
    remote_calls_this_month,
    usage_this_month,
)
from core.tenancy import get_for_workspace_or_404

SAMPLE_REPLY = "Sounds interesting — could we talk on Tuesday afternoon?"


def _may_manage(request) -> bool:
    """Who changes AI settings: the permission matrix (accounts/permissions.py)."""
    return can(request.membership, Action.AI_SETTINGS)


def _page(request, form, label_form, test=None, status=200):
    workspace = request.workspace
    chosen = ai_settings_of(workspace)
    return render(
        request,
        "ai/settings.html",
        {
            "form": form,
            "label_form": label_form,
            "may_manage": _may_manage(request),
            "has_key": ProviderKey.objects.filter(workspace=workspace).exists(),
            "key": ProviderKey.objects.filter(workspace=workspace).first(),
            "answering": provider_name_for(workspace),
            "usage": usage_this_month(workspace=workspace),
            "remote_calls": remote_calls_this_month(workspace),
            "budget": chosen.monthly_call_budget,
            "fallbacks": Usage.objects.for_workspace(workspace)
            .exclude(fell_back_from="")
            .order_by("-created_at")[:5],
            "built_in_labels": DESCRIPTIONS.items(),
            "custom_labels": CustomLabel.objects.for_workspace(workspace),
            "test": test,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ai_settings(request):
    workspace = request.workspace
    has_key = ProviderKey.objects.filter(workspace=workspace).exists()
    instance = ai_settings_of(workspace)
    if request.method == "POST" and not _may_manage(request):
        messages.error(request, _("Only owners and admins can change the AI settings."))
        return redirect("ai_settings")
    form = AISettingsForm(request.POST or None, instance=instance, has_key=has_key)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["openai_key"]
        try:
            with transaction.atomic():
                if key:
                    provider_key_save(workspace=workspace, secret=key,
                                      model=form.cleaned_data["openai_model"])  # fmt: skip
                form.save()
        except ProviderError as exc:
            form.add_error("openai_key", _("The key was not saved: %(why)s") % {"why": exc})
        else:
            messages.success(request, _("AI settings saved."))
            return redirect("ai_settings")
    status = 400 if form.errors else 200
    return _page(request, form, CustomLabelForm(workspace=workspace), status=status)


@login_required
@require_POST
def ai_key_remove(request):
    if not _may_manage(request):
        messages.error(request, _("Only owners and admins can change the AI settings."))
        return redirect("ai_settings")
    ProviderKey.objects.for_workspace(request.workspace).delete()
    AISettings.objects.for_workspace(request.workspace).filter(
        provider=AISettings.Provider.OPENAI
    ).update(provider=AISettings.Provider.BUILT_IN)
    messages.success(request, _("Your OpenAI key was deleted."))
    return redirect("ai_settings")


@login_required
@require_POST
def ai_test(request):
    """Ask the workspace's provider to label a sample reply, and say who answered."""
    local = LocalProvider()
    answer = ai_call(
        workspace=request.workspace,
        purpose=Purpose.TEST,
        run=lambda p: p.classify_reply(text=SAMPLE_REPLY, subject="Re: quick question",
                                       labels={str(k): v for k, v in DESCRIPTIONS.items()}),
        local=lambda: local.classify_reply(text=SAMPLE_REPLY, subject=""),
    )  # fmt: skip
    last = Usage.objects.for_workspace(request.workspace).order_by("-id").first()
    test = {"answer": answer, "sample": SAMPLE_REPLY, "usage": last}
    template = "ai/settings.html#test-result" if request.htmx else None
    if template:
        return render(request, template, {"test": test})
    return _page(request, AISettingsForm(instance=ai_settings_of(request.workspace)),
                 CustomLabelForm(workspace=request.workspace), test=test)  # fmt: skip


@login_required
@require_POST
def ai_label_add(request):
    if not _may_manage(request):
        messages.error(request, _("Only owners and admins can change the AI settings."))
        return redirect("ai_settings")
    label_form = CustomLabelForm(request.POST, workspace=request.workspace)
    if label_form.is_valid():
        label = label_form.save(commit=False)
        label.workspace = request.workspace
        label.save()
        messages.success(request, _("Label “%(name)s” added.") % {"name": label.name})
        return redirect("ai_settings")
    form = AISettingsForm(instance=ai_settings_of(request.workspace))
    return _page(request, form, label_form, status=400)


@login_required
@require_POST
def ai_label_delete(request, pk: int):
    if not _may_manage(request):
        messages.error(request, _("Only owners and admins can change the AI settings."))
        return redirect("ai_settings")
    label = get_for_workspace_or_404(CustomLabel, request.workspace, pk=pk)
    label.delete()
    messages.success(request, _("Label deleted."))
    return redirect("ai_settings")
