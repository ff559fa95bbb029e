"""'Stop everyone at the same company': a company is a company domain, never gmail.com or
icloud.com — for replies and unsubscribes alike; the domain it suppresses can be taken back by
an owner or admin, and the audit log says who did."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditLog
from campaigns.inbox.receive import mail_receive_one
from campaigns.leads.addresses import company_domain
from campaigns.leads.suppression import is_suppressed, suppression_add
from campaigns.leads.unsubscribe import recipient_unsubscribe
from campaigns.models import Enrollment, Lead, LeadMembership, OutboundMessage, Suppression
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail as mail
from tests.factories import START, build, run_until

pytestmark = pytest.mark.django_db

PEOPLE = [
    "ana@gmail.com",
    "ben@gmail.com",
    "cara@icloud.com",
    "dan@icloud.com",
    "eve@acme.example",
    "finn@acme.example",
]


@pytest.fixture
def sent(workspace_a, mailbox):
    """A company-stop campaign whose first step went to two gmail.com, two icloud.com and two
    acme.example leads: {address: its message}."""
    with time_machine.travel(START, tick=False):
        campaign = build(
            workspace_a, mailbox, n=0, steps=2, stop_on_reply=True, stop_company_on_reply=True
        )
        for address in PEOPLE:
            name = address.split("@")[0].title()
            lead = Lead.objects.create(workspace=workspace_a, email=address, first_name=name)
            LeadMembership.objects.create(lead=lead, lead_list=campaign.lead_lists.get())
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    messages = {m.recipient: m for m in OutboundMessage.objects.select_related("enrollment")}
    assert set(messages) == set(PEOPLE)
    return messages


def domain_suppressions():
    return set(Suppression.objects.filter(kind="domain").values_list("value", flat=True))


def still_in_sequence():
    active = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE)
    return set(active.values_list("lead__email", flat=True))


@pytest.mark.parametrize(
    "domain", ["gmail.com", "icloud.com", "aol.com", "proton.me", "gmx.de", "yandex.ru", "web.de"]
)
def test_free_mail_and_isp_domains_are_no_company(domain):
    assert company_domain(f"someone@{domain}") is None
    assert company_domain(f"Someone@{domain.upper()}.") is None


def test_a_business_domain_is_a_company_whatever_its_case():
    assert company_domain("Eve@Acme.Example") == "acme.example"
    assert company_domain("not an address") is None


@pytest.mark.parametrize(("who", "colleague"), [("ana", "ben"), ("cara", "dan")])
def test_a_free_mail_unsubscribe_suppresses_only_that_address(sent, workspace_a, who, colleague):
    address = next(a for a in PEOPLE if a.startswith(who))
    other = next(a for a in PEOPLE if a.startswith(colleague))
    recipient_unsubscribe(message=sent[address])
    assert is_suppressed(workspace_a, address)
    assert not is_suppressed(workspace_a, other)
    assert domain_suppressions() == set()
    assert still_in_sequence() == set(PEOPLE) - {address}


def test_a_company_unsubscribe_suppresses_the_company_domain(sent, workspace_a):
    recipient_unsubscribe(message=sent["eve@acme.example"])
    assert domain_suppressions() == {"acme.example"}
    assert is_suppressed(workspace_a, "finn@acme.example")
    assert not is_suppressed(workspace_a, "ana@gmail.com")


def test_a_free_mail_reply_stops_only_that_lead(sent, mailbox):
    mail_receive_one(
        mailbox=mailbox,
        raw=mail.gmail_reply(sent["ana@gmail.com"]),
        received_at=START + datetime.timedelta(hours=2),
    )
    assert still_in_sequence() == set(PEOPLE) - {"ana@gmail.com"}


def test_a_company_reply_stops_everyone_at_the_company(sent, mailbox):
    at = START + datetime.timedelta(hours=2)
    mail_receive_one(
        mailbox=mailbox, raw=mail.gmail_reply(sent["eve@acme.example"]), received_at=at
    )
    assert still_in_sequence() == set(PEOPLE) - {"eve@acme.example", "finn@acme.example"}
    stopped = Enrollment.objects.filter(lead__email="finn@acme.example").get()
    assert stopped.stop_reason == "replied"


@pytest.fixture
def company_suppressed(sent):
    recipient_unsubscribe(message=sent["eve@acme.example"])
    return Suppression.objects.get(kind="domain", value="acme.example")


def test_the_owner_can_remove_a_domain_a_campaign_suppressed_and_it_is_audited(
    client, alice, company_suppressed
):
    client.force_login(alice)
    page = client.get(reverse("suppression_list")).content.decode()
    assert reverse("suppression_delete", args=[company_suppressed.pk]) in page
    client.post(reverse("suppression_delete", args=[company_suppressed.pk]))
    assert not Suppression.objects.filter(pk=company_suppressed.pk).exists()
    entry = AuditLog.objects.get(action=AuditLog.Action.SUPPRESSION_REMOVED)
    assert entry.user == alice and entry.workspace == company_suppressed.workspace
    assert entry.metadata["entry"] == "acme.example"
    assert entry.metadata["reason"] == "unsubscribed"


def test_a_member_cannot_remove_a_domain_a_campaign_suppressed(client, bob, company_suppressed):
    client.force_login(bob)
    page = client.get(reverse("suppression_list")).content.decode()
    assert reverse("suppression_delete", args=[company_suppressed.pk]) not in page
    refused = client.post(reverse("suppression_delete", args=[company_suppressed.pk]))
    assert refused.status_code == 403  # the permission matrix: removals are for owners, admins
    assert "This can be done by: Owner, Admin." in refused.content.decode()
    assert Suppression.objects.filter(pk=company_suppressed.pk).exists()
    assert not AuditLog.objects.filter(action=AuditLog.Action.SUPPRESSION_REMOVED).exists()


@pytest.mark.parametrize("reason", ["unsubscribed", "complaint"])
def test_nobody_can_remove_an_address_the_recipient_took_out(client, alice, workspace_a, reason):
    row, _created = suppression_add(workspace=workspace_a, entry="eve@acme.example", reason=reason)
    client.force_login(alice)
    refused = client.post(reverse("suppression_delete", args=[row.pk]), follow=True)
    assert "Only entries added by hand can be removed" in refused.content.decode()
    assert Suppression.objects.filter(pk=row.pk).exists()


def test_another_workspace_cannot_remove_the_domain(client, charlie, company_suppressed):
    client.force_login(charlie)
    response = client.post(reverse("suppression_delete", args=[company_suppressed.pk]))
    assert response.status_code == 404
    assert Suppression.objects.filter(pk=company_suppressed.pk).exists()
