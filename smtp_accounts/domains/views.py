"""Domain health pages: every sending domain's MX/SPF/DKIM/DMARC/blocklist report."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from smtp_accounts.domains.health import (
    domain_check_for,
    domain_check_request,
    domain_checks_ensure,
    sending_domains,
)
from smtp_accounts.models import DomainCheck

SECTIONS = [
    ("mx", gettext_lazy("MX — receiving replies")),
    ("spf", gettext_lazy("SPF — allowed senders")),
    ("dkim", gettext_lazy("DKIM — signatures")),
    ("dmarc", gettext_lazy("DMARC — policy and alignment")),
    ("blocklist", gettext_lazy("Blocklists")),
]


class SelectorsForm(forms.ModelForm):
    class Meta:
        model = DomainCheck
        fields = ["dkim_selectors"]

    def clean_dkim_selectors(self):
        selectors = [s.strip() for s in self.cleaned_data["dkim_selectors"].split(",") if s.strip()]
        for selector in selectors:
            labels = selector.split(".")
            if not all(
                label and len(label) <= 63 and label.replace("-", "").replace("_", "").isalnum()
                for label in labels
            ):
                raise forms.ValidationError(
                    _("“%(selector)s” is not a DKIM selector (letters, digits, - and _ only).")
                    % {"selector": selector}
                )
        return ", ".join(s.lower() for s in selectors)


def _check_or_404(request, domain: str) -> DomainCheck:
    """The workspace's check of a domain it sends from (created on first visit)."""
    domain = domain.lower()
    check = DomainCheck.objects.for_workspace(request.workspace).filter(domain=domain).first()
    if check is None and domain in sending_domains(request.workspace):
        check = domain_check_for(workspace=request.workspace, domain=domain)
        domain_check_request(domain_check=check)
    if check is None:
        raise Http404("No such sending domain in this workspace.")
    return check


def _sections(check: DomainCheck) -> list[dict]:
    return [
        {"key": key, "label": label, "findings": [f for f in check.findings if f["check"] == key]}
        for key, label in SECTIONS
        if any(f["check"] == key for f in check.findings)
    ]


def _counts(check: DomainCheck) -> dict:
    levels = [f["level"] for f in check.findings if not f.get("transient")]
    return {"error": levels.count("error"), "warning": levels.count("warning")}


@login_required
@require_GET
def domain_list(request):
    checks = domain_checks_ensure(request.workspace)
    rows = [{"check": c, **_counts(c)} for c in checks]
    return render(request, "smtp_accounts/domain_list.html", {"rows": rows})


def _report_context(check: DomainCheck) -> dict:
    return {"check": check, "sections": _sections(check), **_counts(check)}


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.DOMAIN_MANAGE)
def domain_detail(request, domain: str):
    check = _check_or_404(request, domain)
    form = SelectorsForm(request.POST or None, instance=check)
    if request.method == "POST" and form.is_valid():
        form.save()
        domain_check_request(domain_check=check)
        messages.success(request, _("Saved; checking %(domain)s again.") % {"domain": domain})
        return redirect("domain_detail", domain=check.domain)
    return render(
        request, "smtp_accounts/domain_detail.html", {"form": form, **_report_context(check)}
    )


@login_required
@require_POST
@allowed_to(Action.DOMAIN_MANAGE)
def domain_check_now(request, domain: str):
    check = _check_or_404(request, domain)
    domain_check_request(domain_check=check)
    if request.htmx:
        return render(request, "smtp_accounts/domain_detail.html#report", _report_context(check))
    return redirect("domain_detail", domain=check.domain)


@login_required
@require_GET
def domain_report(request, domain: str):
    check = _check_or_404(request, domain)
    return render(request, "smtp_accounts/domain_detail.html#report", _report_context(check))
