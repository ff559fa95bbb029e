"""Domain health services: run the DNS checks for a workspace's sending domains, keep the report,
verify Postigo's DKIM keys, and tell the workspace when a domain got worse."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Workspace
from accounts.services import notify, notify_managers_by_email
from smtp_accounts.domains.checks import check_domain
from smtp_accounts.domains.checks.findings import OK, SEVERITY, DomainReport, Finding
from smtp_accounts.models import DkimKey, DomainCheck, Mailbox


def sending_domains(workspace: Workspace) -> list[str]:
    emails = Mailbox.objects.for_workspace(workspace).values_list("email", flat=True)
    return sorted({email.rpartition("@")[2].lower() for email in emails})


def domain_check_for(*, workspace: Workspace, domain: str) -> DomainCheck:
    check, _created = DomainCheck.objects.get_or_create(workspace=workspace, domain=domain.lower())
    return check


def domain_checks_ensure(workspace: Workspace) -> list[DomainCheck]:
    """The checks of the workspace's current sending domains; new domains get checked now."""
    existing = {c.domain: c for c in DomainCheck.objects.for_workspace(workspace)}
    checks = []
    for domain in sending_domains(workspace):
        check = existing.get(domain)
        if check is None:
            check = domain_check_request(
                domain_check=domain_check_for(workspace=workspace, domain=domain)
            )
        checks.append(check)
    return checks


def domain_check_request(*, domain_check: DomainCheck) -> DomainCheck:
    """Queue a fresh check; the page polls until `checked_at` passes `requested_at`."""
    from smtp_accounts.tasks import run_domain_check

    domain_check.requested_at = timezone.now()
    domain_check.save(update_fields=["requested_at"])
    run_domain_check.delay_on_commit(domain_check.pk)
    return domain_check


def domain_checks_request_all() -> int:
    """Beat, daily: queue a check of every sending domain of every workspace."""
    pairs = Mailbox.objects.values_list("workspace_id", "email").order_by().distinct().iterator()
    domains = {(ws, email.rpartition("@")[2].lower()) for ws, email in pairs}
    for workspace_id, domain in sorted(domains):
        with transaction.atomic():
            check, _created = DomainCheck.objects.get_or_create(
                workspace_id=workspace_id, domain=domain
            )
            domain_check_request(domain_check=check)
    return len(domains)


def domain_check_run(*, domain_check: DomainCheck) -> DomainCheck:
    workspace, domain = domain_check.workspace, domain_check.domain
    mailboxes = Mailbox.objects.for_workspace(workspace).filter(email__iendswith="@" + domain)
    keys = list(DkimKey.objects.for_workspace(workspace).filter(domain=domain))
    report = check_domain(
        domain,
        selectors=domain_check.selectors,
        own_keys=keys,
        provider_keys={m.provider for m in mailboxes},
        smtp_hosts={m.smtp_host for m in mailboxes},
    )
    _record_dkim_verification(keys, report)
    previous = domain_check.findings if domain_check.checked_at else None
    domain_check.findings = [f.as_dict() for f in report.findings]
    domain_check.status = report.level
    domain_check.checked_at = timezone.now()
    domain_check.save(update_fields=["findings", "status", "checked_at"])
    if previous is not None:
        worse = regressions(previous, report.findings)
        if worse:
            _notify_regression(domain_check, worse)
    return domain_check


def regressions(previous: list[dict], current: list[Finding]) -> list[Finding]:
    """Findings that got more severe than in the previous report (lookup hiccups excluded)."""
    before = {f["key"]: f["level"] for f in previous}
    return [
        f
        for f in current
        if not f.transient and SEVERITY[f.level] > SEVERITY[before.get(f.key, OK)]
    ]


def _record_dkim_verification(keys: list[DkimKey], report: DomainReport) -> None:
    """Sign from the moment our key is seen published; stop when it is seen gone or changed."""
    answered = {f.key for f in report.findings if not f.transient}
    for key in keys:
        if f"dkim:{key.selector}" not in answered:
            continue  # the lookup failed or never ran: no news about this key
        published = report.dkim_published.get(key.selector) == key.public_key
        if published and key.verified_at is None:
            key.verified_at = timezone.now()
            key.save(update_fields=["verified_at"])
        elif not published and key.verified_at is not None:
            key.verified_at = None
            key.save(update_fields=["verified_at"])


def _notify_regression(domain_check: DomainCheck, worse: list[Finding]) -> None:
    title = _("Domain health of %(domain)s got worse") % {"domain": domain_check.domain}
    body = " ".join(f"{f.title}." for f in worse)
    url = reverse("domain_detail", args=[domain_check.domain])
    level = "error" if any(f.level == "error" for f in worse) else "warning"
    notify(workspace=domain_check.workspace, title=title, body=body, url=url, level=level)
    notify_managers_by_email(workspace=domain_check.workspace, title=title, body=body, url=url)
