"""Who may do what in a workspace: the permission matrix, in one place.

Every action a role can be refused is an `Action`; `MATRIX` says which roles may do it. Views
use the `allowed_to` decorator (a 403 page that names the role needed); services, the API and
templates ask `can(membership, action)`. Reading pages is open to every role, viewers included;
the matrix lists what changes something. docs/PERMISSIONS.md is the matrix as a table (a test
checks that the two agree).
"""

from __future__ import annotations

import functools
from enum import StrEnum

from django.http import HttpResponseForbidden
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.models import Membership

Role = Membership.Role


class Action(StrEnum):
    # Mailboxes and sending domains
    MAILBOX_CONNECT = "mailbox.connect"  # connect one, or many from a CSV file
    MAILBOX_EDIT = "mailbox.edit"  # servers, credentials, limits, signature
    MAILBOX_DELETE = "mailbox.delete"
    MAILBOX_PAUSE = "mailbox.pause"  # pause and resume
    MAILBOX_TEST = "mailbox.test"
    DOMAIN_MANAGE = "domain.manage"  # DKIM keys, selectors, checks
    # Campaigns
    CAMPAIGN_EDIT = "campaign.edit"  # create, write, schedule, choose leads and mailboxes, copy
    CAMPAIGN_RUN = "campaign.run"  # launch, pause, resume, enrol new leads, continue a lead
    CAMPAIGN_STOP = "campaign.stop"  # stop for good
    CAMPAIGN_DELETE = "campaign.delete"  # delete a draft (archiving is campaign.edit)
    # Leads
    LEAD_EDIT = "lead.edit"  # edit, import
    LEAD_DELETE = "lead.delete"  # delete, undo an import
    LEAD_EXPORT = "lead.export"  # download leads and campaign people as CSV
    # Suppression list
    SUPPRESSION_ADD = "suppression.add"  # add, import
    SUPPRESSION_REMOVE = "suppression.remove"
    SUPPRESSION_EXPORT = "suppression.export"
    # Inbox
    INBOX_ANSWER = "inbox.answer"
    INBOX_TRIAGE = "inbox.triage"  # label, mark read/unread
    # Workspace
    WORKSPACE_RENAME = "workspace.rename"
    MEMBERS_MANAGE = "members.manage"  # invite, withdraw, change roles, remove
    AUDIT_LOG_VIEW = "audit_log.view"
    BILLING_MANAGE = "billing.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    PRIVACY_REQUESTS = "privacy.requests"  # answer data-subject requests, erase a person
    AI_SETTINGS = "ai.settings"  # AI provider keys and models
    WORKSPACE_DELETE = "workspace.delete"


OWNER = frozenset({Role.OWNER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
MEMBERS = frozenset({Role.OWNER, Role.ADMIN, Role.MEMBER})

# Members do the daily work; what is irreversible, reaches every mailbox's credentials or
# touches compliance (stopping, removing suppressions, deleting mailboxes) is for admins;
# money and the workspace itself for the owner. Viewers (e.g. an agency's client) read only.
MATRIX: dict[Action, frozenset[str]] = {
    Action.MAILBOX_CONNECT: MEMBERS,
    Action.MAILBOX_EDIT: ADMINS,
    Action.MAILBOX_DELETE: ADMINS,
    Action.MAILBOX_PAUSE: MEMBERS,
    Action.MAILBOX_TEST: MEMBERS,
    Action.DOMAIN_MANAGE: MEMBERS,
    Action.CAMPAIGN_EDIT: MEMBERS,
    Action.CAMPAIGN_RUN: MEMBERS,
    Action.CAMPAIGN_STOP: ADMINS,
    Action.CAMPAIGN_DELETE: MEMBERS,
    Action.LEAD_EDIT: MEMBERS,
    Action.LEAD_DELETE: MEMBERS,
    Action.LEAD_EXPORT: MEMBERS,
    Action.SUPPRESSION_ADD: MEMBERS,
    Action.SUPPRESSION_REMOVE: ADMINS,
    Action.SUPPRESSION_EXPORT: MEMBERS,
    Action.INBOX_ANSWER: MEMBERS,
    Action.INBOX_TRIAGE: MEMBERS,
    Action.WORKSPACE_RENAME: ADMINS,
    Action.MEMBERS_MANAGE: ADMINS,
    Action.AUDIT_LOG_VIEW: ADMINS,
    Action.BILLING_MANAGE: OWNER,
    Action.API_KEYS_MANAGE: ADMINS,
    Action.WEBHOOKS_MANAGE: ADMINS,
    Action.PRIVACY_REQUESTS: ADMINS,
    Action.AI_SETTINGS: ADMINS,
    Action.WORKSPACE_DELETE: OWNER,
}


def can(membership: Membership | None, action: Action | str) -> bool:
    """May the holder of `membership` do `action` in its workspace? (No membership: no.)"""
    if membership is None:
        return False
    return membership.role in MATRIX[Action(action)]


def roles_allowed(action: Action | str) -> list[str]:
    """The labels of the roles that may do `action`, most powerful first."""
    allowed = MATRIX[Action(action)]
    return [str(role.label) for role in Role if role in allowed]


def forbidden(request, action: Action | str) -> HttpResponseForbidden:
    """The 403 answer: what was refused, the user's role, and who can do it."""
    membership = getattr(request, "membership", None)
    context = {
        "role": membership.get_role_display() if membership else _("none"),
        "allowed": ", ".join(roles_allowed(action)),
        "workspace": getattr(request, "workspace", None),
    }
    body = render_to_string("accounts/forbidden.html", context, request=request)
    return HttpResponseForbidden(body)


def allowed_to(action: Action, *, methods: tuple[str, ...] | None = ("POST",)):
    """View decorator: refuse (403) a request whose role may not do `action`. By default only
    POSTs are checked — reading the page stays open to every role; `methods=None` checks every
    request (pages that exist only to do the action, like an import form)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            checked = methods is None or request.method in methods
            if checked and not can(getattr(request, "membership", None), action):
                return forbidden(request, action)
            return view(request, *args, **kwargs)

        wrapped.permission_action = action
        return wrapped

    return decorator
