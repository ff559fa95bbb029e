"""Domain health: stored reports, DKIM verification, daily re-check, regression notices, pages."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from postigo.celery import app as celery_app
from smtp_accounts.domains.health import domain_check_for, domain_check_run
from smtp_accounts.models import DkimKey, DomainCheck
from smtp_accounts.services import dkim_key_create, dkim_signer_for
from tests.factories import google_zone, healthy_zone, make_mailbox
from tests.servers.dns import txt, zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(workspace_a, alice, bob):
    return make_mailbox(workspace_a, provider="google", smtp_host="smtp.acme.example")


def publish(dns_server, text):
    dns_server.set_zones(zone("acme.example", text), google_zone())


def run_check(workspace):
    return domain_check_run(
        domain_check=domain_check_for(workspace=workspace, domain="acme.example")
    )


def test_a_published_key_is_verified_and_signing_starts(dns_server, acme, workspace_a):
    key = dkim_key_create(workspace=workspace_a, domain="acme.example")
    publish(dns_server, healthy_zone())
    run_check(workspace_a)
    assert dkim_signer_for(acme) is None  # not published yet: mail stays unsigned

    publish(dns_server, healthy_zone(dkim=f"postigo._domainkey TXT {txt(key.record_value)}"))
    check = run_check(workspace_a)

    key.refresh_from_db()
    assert key.verified_at is not None
    assert dkim_signer_for(acme) is not None
    assert check.status == "ok"
    assert {f["key"]: f["level"] for f in check.findings}["dkim:postigo"] == "ok"


def test_a_removed_key_stops_signing_and_tells_the_workspace(
    dns_server, acme, workspace_a, alice, bob
):
    key = dkim_key_create(workspace=workspace_a, domain="acme.example")
    publish(dns_server, healthy_zone(dkim=f"postigo._domainkey TXT {txt(key.record_value)}"))
    run_check(workspace_a)
    assert not Notification.objects.exists()  # a first report is no regression
    mail.outbox.clear()

    publish(dns_server, healthy_zone())  # someone cleaned up the DNS zone
    check = run_check(workspace_a)

    key.refresh_from_db()
    assert key.verified_at is None and dkim_signer_for(acme) is None
    assert check.status == "error"
    notices = Notification.objects.filter(title="Domain health of acme.example got worse")
    assert {n.user for n in notices} == {alice, bob}
    assert notices[0].level == "error"
    assert "no longer published" in notices[0].body
    assert notices[0].url == reverse("domain_detail", args=["acme.example"])
    [message] = mail.outbox
    assert message.to == [alice.email]  # owners and admins get the email
    assert "acme.example" in message.subject


def test_a_dns_outage_is_not_a_regression(dns_server, acme, workspace_a, settings):
    key = dkim_key_create(workspace=workspace_a, domain="acme.example")
    publish(dns_server, healthy_zone(dkim=f"postigo._domainkey TXT {txt(key.record_value)}"))
    run_check(workspace_a)

    settings.DNS_NAMESERVERS = ["127.0.0.1:9"]  # nobody answers there
    settings.DNS_TIMEOUT = 1
    check = run_check(workspace_a)

    key.refresh_from_db()
    assert key.verified_at is not None  # no news is not bad news
    assert check.status == "warning"
    assert not Notification.objects.exists()


def test_the_daily_beat_checks_every_sending_domain(
    dns_server, acme, workspace_a, workspace_b, charlie, django_capture_on_commit_callbacks
):
    make_mailbox(workspace_b, email="c@beta.example", smtp_host="smtp.beta.example")
    publish(dns_server, healthy_zone())
    schedule = celery_app.conf.beat_schedule["recheck-sending-domains"]
    celery_app.loader.import_default_modules()  # what a worker does at start: find the tasks

    with django_capture_on_commit_callbacks(execute=True):
        celery_app.tasks[schedule["task"]].delay()

    checks = {(c.workspace_id, c.domain): c for c in DomainCheck.objects.all()}
    assert set(checks) == {(workspace_a.pk, "acme.example"), (workspace_b.pk, "beta.example")}
    assert checks[(workspace_a.pk, "acme.example")].status == "ok"
    assert checks[(workspace_b.pk, "beta.example")].status == "error"  # nothing published
    assert all(c.checked_at and not c.in_progress for c in checks.values())


# --- Pages ------------------------------------------------------------------------------------


def test_the_list_shows_each_sending_domain_and_starts_its_first_check(
    client, alice, acme, dns_server, django_capture_on_commit_callbacks
):
    publish(dns_server, healthy_zone(spf='@ TXT "v=spf1 +all"'))
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("domain_list"))

    page = client.get(reverse("domain_list")).content.decode()
    assert 'data-domain="acme.example"' in page
    assert "Problems" in page and "1 problem" in page
    mailboxes = client.get(reverse("mailbox_list")).content.decode()
    assert reverse("domain_detail", args=["acme.example"]) in mailboxes


def test_the_detail_page_shows_fixes_with_copyable_records(client, alice, acme, dns_server):
    publish(dns_server, healthy_zone(dmarc=""))
    run_check(acme.workspace)
    client.force_login(alice)

    page = client.get(reverse("domain_detail", args=["acme.example"])).content.decode()

    assert 'data-finding="dmarc" data-level="error"' in page
    assert "v=DMARC1; p=none; adkim=r; aspf=r" in page
    assert 'data-copy="#value-dmarc-1"' in page and 'id="value-dmarc-1"' in page


def test_check_now_polls_until_the_report_is_in(
    client, alice, acme, dns_server, django_capture_on_commit_callbacks
):
    publish(dns_server, healthy_zone())
    client.force_login(alice)
    url = reverse("domain_check_now", args=["acme.example"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pending = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in pending and "Checking…" in pending

    for callback in callbacks:  # the worker picks the task up
        callback()
    done = client.get(reverse("domain_report", args=["acme.example"])).content.decode()
    assert "hx-trigger" not in done.split("<form")[0]
    assert 'data-status="ok"' in done


def test_selectors_are_validated_and_saved(client, alice, acme, dns_server):
    client.force_login(alice)
    url = reverse("domain_detail", args=["acme.example"])

    bad = client.post(url, {"dkim_selectors": "mx2024, bad selector!"})
    assert bad.status_code == 200
    assert "is not a DKIM selector" in bad.content.decode()

    good = client.post(url, {"dkim_selectors": "MX2024, s-2"})
    assert good.status_code == 302
    assert DomainCheck.objects.get(domain="acme.example").selectors == ["mx2024", "s-2"]


def test_another_workspace_cannot_see_the_domain(client, charlie, acme):
    client.force_login(charlie)
    for name in ["domain_detail", "domain_report"]:
        assert client.get(reverse(name, args=["acme.example"])).status_code == 404
    assert client.post(reverse("domain_check_now", args=["acme.example"])).status_code == 404
    assert not DomainCheck.objects.filter(workspace=charlie.memberships.get().workspace).exists()
    assert DkimKey.objects.count() == 0


def test_a_record_with_a_nul_character_is_reported_and_stored(dns_server, acme, workspace_a):
    """DNS text is bytes anyone may publish; PostgreSQL refuses a NUL in JSON text, which would
    fail this domain's check every day."""
    publish(dns_server, healthy_zone(spf='@ TXT "v=spf1 include:_spf.google.com \\000 ~all"'))
    check = run_check(workspace_a)
    check.refresh_from_db()
    spf = {f["key"]: f for f in check.findings}["spf"]
    assert spf["level"] == "error", spf
    assert not any("\x00" in str(value) for f in check.findings for value in f.values())
