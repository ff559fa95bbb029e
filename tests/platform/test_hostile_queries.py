"""Query strings and URL parts are typed by anyone: a NUL (which PostgreSQL refuses in any text
it is sent), an overlong value or a value of the wrong kind must give a page or a 404, never a
server error. CI runs this on PostgreSQL, where a NUL reaching a query raised DataError."""

import pytest
from django.urls import reverse

from campaigns.authoring.services import campaign_create
from campaigns.models import Lead
from tests.smtp_accounts.factories import make_mailbox

pytestmark = pytest.mark.django_db

HOSTILE = ["\x00", "a\x00b", "%00", "x" * 5000, "-1", "9" * 30, "<script>", "../"]
PARAMETERS = [
    "q",
    "status",
    "label",
    "campaign",
    "mailbox",
    "unread",
    "page",
    "lead",
    "variant",
    "seed",
    "provider",
    "email",
    "id",
    "list",
    "next",
    "start",
    "end",
    "by",
    "result",
    "after",
]


@pytest.fixture
def pages(workspace_a):
    campaign = campaign_create(workspace=workspace_a, name="Hostile")
    lead = Lead.objects.create(workspace=workspace_a, email="lena@x.example")
    mailbox = make_mailbox(workspace_a)
    return [
        reverse("campaign_list"),
        reverse("campaign_leads", args=[campaign.pk]),
        reverse("campaign_people", args=[campaign.pk]),
        reverse("campaign_people_export", args=[campaign.pk]),
        reverse("campaign_preview", args=[campaign.pk]),
        reverse("campaign_report", args=[campaign.pk]),
        reverse("campaign_log", args=[campaign.pk]),
        reverse("lead_list"),
        reverse("lead_export"),
        reverse("lead_detail", args=[lead.pk]),
        reverse("suppression_list"),
        reverse("suppression_export"),
        reverse("inbox"),
        reverse("reports"),
        reverse("reports_export"),
        reverse("dashboard"),
        reverse("mailbox_list"),
        reverse("mailbox_create"),
        reverse("mailbox_detail", args=[mailbox.pk]),
        reverse("mailbox_log", args=[mailbox.pk]),
        reverse("domain_list"),
    ]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_query_values_never_fail_a_page(client, alice, pages, value):
    client.force_login(alice)
    for url in pages:
        response = client.get(url, {name: value for name in PARAMETERS})
        if response.streaming:  # a download fails, if it does, while it is written
            b"".join(response.streaming_content)
        assert response.status_code in (200, 302, 400, 404), (url, response.status_code)


@pytest.mark.parametrize("value", ["a\x00b.example", "%00", "x" * 300 + ".example"], ids=repr)
def test_hostile_url_parts_are_not_found(client, alice, value):
    client.force_login(alice)
    for name in ("domain_detail", "domain_report"):
        assert client.get(reverse(name, args=[value])).status_code in (400, 404)


def test_a_nul_is_refused_in_plain_words_wherever_it_is_sent(client, alice):
    client.force_login(alice)
    for response in (
        client.get(reverse("inbox"), {"q": "a\x00b"}),
        client.post(reverse("inbox_read_all"), {"q": "a\x00b"}),
        client.get(reverse("inbox"), HTTP_COOKIE="sessionid=abcdefgh\x00ij"),
    ):
        assert response.status_code == 400
        assert "NUL character" in response.content.decode()
    assert client.get(reverse("inbox"), {"q": "ab"}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 30, "1.5", ""], ids=repr)
def test_hostile_form_values_never_fail_an_action(client, alice, workspace_a, value):
    campaign = campaign_create(workspace=workspace_a, name="Hostile")
    client.force_login(alice)
    posts = [
        (
            reverse("sequence_change", args=[campaign.pk]),
            {"action": "remove_step", "target": value},
        ),
        (
            reverse("sequence_change", args=[campaign.pk]),
            {"action": "add_variant", "target": value},
        ),
        (
            reverse("sequence_change", args=[campaign.pk]),
            {"action": "remove_variant", "target": value},
        ),
        (reverse("campaign_preview", args=[campaign.pk]), {"mailbox": value}),
        (reverse("campaign_people_continue", args=[campaign.pk]), {"enrollment": value}),
        (reverse("campaign_control", args=[campaign.pk]), {"action": value}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (200, 302, 400, 404), (url, data, response.status_code)


def test_a_multipart_post_without_its_boundary_is_a_400_that_says_so(client):
    response = client.generic(
        "POST", "/accounts/login/", b"x=1", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert b"not valid multipart" in response.content
