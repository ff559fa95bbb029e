"""The permission matrix, tried on every destructive action as each role: alice (owner),
dave (admin), bob (member), vera (viewer) and charlie (another workspace's owner).

A role the matrix refuses gets a 403 that names who may, and nothing changes; a role it allows
is not refused; charlie gets a 404 for workspace A's objects."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from accounts.permissions import MATRIX, Action, can
from campaigns.authoring.services import campaign_create
from campaigns.models import Campaign, Lead, Suppression
from smtp_accounts.models import Mailbox
from tests.factories import make_mailbox

pytestmark = pytest.mark.django_db

ROLES = ["alice", "dave", "bob", "vera", "charlie"]
MISSING = 999_999_999  # an object nobody has: the permission is decided before the lookup


@pytest.fixture
def objects(workspace_a, alice, dave, bob, vera, charlie):
    mailbox = make_mailbox(workspace_a, imap_host="", imap_security="ssl")
    campaign = campaign_create(workspace=workspace_a, name="Spring outreach")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    lead = Lead.objects.create(workspace=workspace_a, email="lena@x.example")
    suppression = Suppression.objects.create(
        workspace=workspace_a, kind="address", value="gone@x.example", reason="manual"
    )
    invitation = Invitation.objects.create(
        workspace=workspace_a,
        email="new@x.example",
        role="member",
        invited_by=alice,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    return {
        "mailbox": mailbox,
        "campaign": campaign,
        "lead": lead,
        "suppression": suppression,
        "invitation": invitation,
        "users": {"alice": alice, "dave": dave, "bob": bob, "vera": vera, "charlie": charlie},
    }


def mailbox_form(mailbox):
    return {
        "provider": "custom",
        "from_name": "Renamed",
        "email": mailbox.email,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_username": mailbox.smtp_username,
        "imap_port": 993,
        "imap_security": "ssl",
        "daily_cap": 100,
        "hourly_cap": 10,
        "min_gap_seconds": 60,
        "gap_jitter_seconds": 0,
        "warmup_start": 10,
        "warmup_increment": 5,
        "timezone": "UTC",
    }


# (name, action, method, url(objects), data(objects), unchanged(objects) -> bool, scoped)
# `scoped`: the URL names a workspace A object (charlie: 404); else charlie acts in his own.
CASES = [
    ("edit a mailbox", Action.MAILBOX_EDIT, "post",
     lambda o: reverse("mailbox_detail", args=[o["mailbox"].pk]),
     lambda o: mailbox_form(o["mailbox"]),
     lambda o: Mailbox.objects.get(pk=o["mailbox"].pk).from_name != "Renamed", True),
    ("delete a mailbox", Action.MAILBOX_DELETE, "post",
     lambda o: reverse("mailbox_delete", args=[o["mailbox"].pk]), None,
     lambda o: Mailbox.objects.filter(pk=o["mailbox"].pk).exists(), True),
    ("pause a mailbox", Action.MAILBOX_PAUSE, "post",
     lambda o: reverse("mailbox_toggle", args=[o["mailbox"].pk]), None,
     lambda o: Mailbox.objects.get(pk=o["mailbox"].pk).status == "active", True),
    ("test a mailbox", Action.MAILBOX_TEST, "post",
     lambda o: reverse("mailbox_test", args=[o["mailbox"].pk]), None,
     lambda o: Mailbox.objects.get(pk=o["mailbox"].pk).last_test_at is None, True),
    ("connect a mailbox", Action.MAILBOX_CONNECT, "get",
     lambda o: reverse("mailbox_create"), None, lambda o: True, False),
    ("import mailboxes", Action.MAILBOX_CONNECT, "get",
     lambda o: reverse("mailbox_import"), None, lambda o: True, False),
    ("make a DKIM key", Action.DOMAIN_MANAGE, "post",
     lambda o: reverse("mailbox_dkim_create", args=[o["mailbox"].pk]), None,
     lambda o: not o["mailbox"].workspace.dkim_keys.exists(), True),
    ("create a campaign", Action.CAMPAIGN_EDIT, "post",
     lambda o: reverse("campaign_list"), lambda o: {"name": "New one"},
     lambda o: not Campaign.objects.filter(name="New one").exists(), False),
    ("copy a campaign", Action.CAMPAIGN_EDIT, "post",
     lambda o: reverse("campaign_duplicate", args=[o["campaign"].pk]), None,
     lambda o: Campaign.objects.count() == 1, True),
    ("pause a campaign", Action.CAMPAIGN_RUN, "post",
     lambda o: reverse("campaign_control", args=[o["campaign"].pk]),
     lambda o: {"action": "pause"},
     lambda o: Campaign.objects.get(pk=o["campaign"].pk).status == "running", True),
    ("stop a campaign", Action.CAMPAIGN_STOP, "post",
     lambda o: reverse("campaign_control", args=[o["campaign"].pk]),
     lambda o: {"action": "stop"},
     lambda o: Campaign.objects.get(pk=o["campaign"].pk).status == "running", True),
    ("edit a lead", Action.LEAD_EDIT, "post",
     lambda o: reverse("lead_detail", args=[o["lead"].pk]),
     lambda o: {"email": "lena@x.example", "first_name": "Lena", "timezone": ""},
     lambda o: Lead.objects.get(pk=o["lead"].pk).first_name == "", True),
    ("import leads", Action.LEAD_EDIT, "get",
     lambda o: reverse("lead_import_new"), None, lambda o: True, False),
    ("delete a lead", Action.LEAD_DELETE, "post",
     lambda o: reverse("lead_delete", args=[o["lead"].pk]), None,
     lambda o: Lead.objects.filter(pk=o["lead"].pk).exists(), True),
    ("undo an import", Action.LEAD_DELETE, "post",
     lambda o: reverse("lead_import_undo", args=[MISSING]), None, lambda o: True, False),
    ("export leads", Action.LEAD_EXPORT, "get",
     lambda o: reverse("lead_export"), None, lambda o: True, False),
    ("export a campaign's people", Action.LEAD_EXPORT, "get",
     lambda o: reverse("campaign_people_export", args=[o["campaign"].pk]), None,
     lambda o: True, True),
    ("suppress an address", Action.SUPPRESSION_ADD, "post",
     lambda o: reverse("suppression_list"), lambda o: {"entry": "new@x.example"},
     lambda o: not Suppression.objects.filter(value="new@x.example").exists(), False),
    ("remove a suppression", Action.SUPPRESSION_REMOVE, "post",
     lambda o: reverse("suppression_delete", args=[o["suppression"].pk]), None,
     lambda o: Suppression.objects.filter(pk=o["suppression"].pk).exists(), True),
    ("export suppressions", Action.SUPPRESSION_EXPORT, "get",
     lambda o: reverse("suppression_export"), None, lambda o: True, False),
    ("answer a reply", Action.INBOX_ANSWER, "post",
     lambda o: reverse("inbox_answer", args=[MISSING]), lambda o: {"body": "Hi"},
     lambda o: True, False),
    ("label a reply", Action.INBOX_TRIAGE, "post",
     lambda o: reverse("inbox_label", args=[MISSING]), lambda o: {"label": "interested"},
     lambda o: True, False),
    ("mark the inbox read", Action.INBOX_TRIAGE, "post",
     lambda o: reverse("inbox_read_all"), None, lambda o: True, False),
    ("rename the workspace", Action.WORKSPACE_RENAME, "post",
     lambda o: reverse("workspace_rename"), lambda o: {"name": "Renamed"},
     lambda o: o["mailbox"].workspace.__class__.objects.get(pk=o["mailbox"].workspace_id).name
     != "Renamed", False),
    ("invite someone", Action.MEMBERS_MANAGE, "post",
     lambda o: reverse("workspace_members"), lambda o: {"email": "x@x.example", "role": "member"},
     lambda o: not Invitation.objects.filter(email="x@x.example").exists(), False),
    ("withdraw an invitation", Action.MEMBERS_MANAGE, "post",
     lambda o: reverse("invitation_revoke", args=[o["invitation"].pk]), None,
     lambda o: Invitation.objects.get(pk=o["invitation"].pk).revoked_at is None, True),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_destructive_action_as_each_role(client, settings, objects, case, role):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False  # a test connection stays on this machine
    name, action, method, url, data, unchanged, scoped = case
    user = objects["users"][role]
    client.force_login(user)
    response = getattr(client, method)(url(objects), data(objects) if data else {})
    if role == "charlie":
        if scoped:
            assert response.status_code == 404
            assert unchanged(objects)
        return
    membership = Membership.objects.get(user=user)
    if can(membership, action):
        assert response.status_code != 403, (name, role)
    else:
        assert response.status_code == 403, (name, role, response.status_code)
        assert "This can be done by:" in response.content.decode()
        assert unchanged(objects), (name, role)


@pytest.mark.parametrize(
    "page",
    ["dashboard", "mailbox_list", "campaign_list", "lead_list", "suppression_list", "inbox"],
)
def test_a_viewer_reads_every_page(client, vera, page):
    client.force_login(vera)
    assert client.get(reverse(page)).status_code == 200


def _views(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            yield entry.callback


# Views that change something but are not the workspace's to gate: the user's own settings,
# sign-in and 2FA, switching or creating their own workspace, accepting an invitation, their
# notifications, public links (unsubscribe, tracking), and membership changes whose rules
# (owners only, leaving yourself) live in accounts/services.py on top of the matrix.
PERSONAL_OR_PUBLIC = {
    "settings_profile", "settings_theme", "two_factor_setup", "two_factor_disable",
    "backup_codes_regenerate", "two_factor_login", "workspace_new", "workspace_switch",
    "invitation_accept_view", "notification_read", "settings_notifications", "membership_role",
    "membership_remove_view", "unsubscribe_page", "track_open", "track_click",
}  # fmt: skip


def test_every_view_that_takes_a_post_is_in_the_matrix_or_named_personal(client):
    """A new view that changes something must be classified: gated by `allowed_to`, or listed
    above with the reason it is not the workspace's to gate."""
    ungated = set()
    for view in _views():
        module = getattr(view, "__module__", "")
        if not module.startswith(("accounts.", "campaigns.", "smtp_accounts.")):
            continue
        if "POST" not in _allowed_methods(view):
            continue
        if getattr(view, "permission_action", None) is None:
            ungated.add(view.__name__)
    assert ungated - PERSONAL_OR_PUBLIC == set()


def _allowed_methods(view) -> set[str]:
    """The methods a require_http_methods/require_POST view accepts (all, if undecorated)."""
    cells = [c.cell_contents for c in (view.__closure__ or ()) if _is_list(c)]
    for value in cells:
        if isinstance(value, list) and all(isinstance(m, str) for m in value):
            return set(value)
    wrapped = getattr(view, "__wrapped__", None)
    return _allowed_methods(wrapped) if wrapped else {"GET", "POST"}


def _is_list(cell) -> bool:
    try:
        return isinstance(cell.cell_contents, list)
    except ValueError:
        return False


def test_the_documented_matrix_is_the_enforced_one():
    text = (Path(__file__).resolve().parents[2] / "docs" / "PERMISSIONS.md").read_text()
    documented = {}
    for line in text.splitlines():
        match = re.match(r"^\| `([a-z_.]+)` \|(.*)\|$", line)
        if match:
            marks = [cell.strip() for cell in match.group(2).split("|")][-4:]
            order = ("owner", "admin", "member", "viewer")
            roles = {r for r, m in zip(order, marks, strict=True) if m == "✓"}
            documented[match.group(1)] = roles
    assert documented == {str(a): {str(r) for r in MATRIX[a]} for a in Action}


def test_controls_a_role_may_not_use_are_not_shown(client, objects, vera, bob):
    mailbox, campaign = objects["mailbox"], objects["campaign"]
    client.force_login(vera)
    listing = client.get(reverse("mailbox_list")).content.decode()
    assert reverse("mailbox_create") not in listing
    assert reverse("mailbox_toggle", args=[mailbox.pk]) not in listing
    report = client.get(reverse("campaign_report", args=[campaign.pk])).content.decode()
    assert 'value="pause"' not in report and 'value="stop"' not in report
    client.force_login(bob)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert reverse("mailbox_delete", args=[mailbox.pk]) not in page
    assert "Only owners and admins can change a mailbox." in page
    report = client.get(reverse("campaign_report", args=[campaign.pk])).content.decode()
    assert 'value="pause"' in report and 'value="stop"' not in report
