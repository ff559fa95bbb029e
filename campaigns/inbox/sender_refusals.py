"""Refusals that are the sender's problem, not the lead's: counted against the mailbox and its
domain, and turned into a pause and a plain instruction.

A bounce report that says our IP or domain is blocklisted, our mail looked like spam, SPF/DKIM/
DMARC failed, a 5.7.x policy refused us or we send too fast (`campaigns/inbox/failure_kinds.py`,
side "sender") says nothing about the lead: the lead is never suppressed for it. It says the
*mailbox* is hurting itself, so:
- the first refusal of a cause within WINDOW tells the workspace what to fix, with a link to the
  domain's health page;
- PAUSE_AT refusals of one mailbox within WINDOW pause it (by error: the user resumes it once
  fixed), and PAUSE_AT refusals for domain-wide causes (blocklisted, authentication) across a
  domain's mailboxes pause every active mailbox of that domain, since all of them share the fault.

Counted from the stored bounce replies themselves (`Reply.failure == "sender"`), so nothing is
counted twice when a report is read again. Runs inside the bounce batch's transaction.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationKind
from accounts.services import notify
from campaigns.inbox.failure_kinds import FIXES, Cause, cause_label
from campaigns.models import Reply
from smtp_accounts.models import Mailbox
from smtp_accounts.services import mailbox_pause, mailbox_pause_key

PAUSE_AT = 3
WINDOW = datetime.timedelta(hours=24)
DOMAIN_WIDE = {Cause.BLOCKLISTED, Cause.AUTHENTICATION}


def sender_refusals_record(*, mailbox: Mailbox, refusals: list[Reply]) -> None:
    """The batch's new sender-side refusals (stored already): warn, and pause past PAUSE_AT."""
    if not refusals:
        return
    # The window ends at the latest refusal read, not at the clock: mail read late (a sync that
    # was down) counts as it happened.
    since = min(max(reply.received_at for reply in refusals), timezone.now()) - WINDOW
    recent = Reply.objects.filter(
        kind=Reply.Kind.BOUNCE,
        failure=Reply.Failure.SENDER,
        received_at__gte=since,
        message__mailbox__workspace_id=mailbox.workspace_id,
    )
    by_mailbox = recent.filter(message__mailbox=mailbox)
    new_pks = {reply.pk for reply in refusals}
    url = reverse("domain_detail", args=[mailbox.domain])
    for cause in sorted({reply.failure_cause for reply in refusals}):
        if by_mailbox.filter(failure_cause=cause).exclude(pk__in=new_pks).exists():
            continue  # told already within the window
        example = next(r for r in refusals if r.failure_cause == cause)
        title = _("Mail from %(email)s was refused: %(cause)s") % {
            "email": mailbox.email,
            "cause": cause_label(cause),
        }
        body = _("%(fix)s The lead (%(lead)s) was not suppressed: the refusal is not theirs.") % {
            "fix": str(FIXES.get(Cause(cause), FIXES[Cause.POLICY])),
            "lead": example.message.recipient,
        }
        notify(workspace=mailbox.workspace, title=title, body=body, url=url, level="warning")
    if mailbox.status == Mailbox.Status.ACTIVE and by_mailbox.count() >= PAUSE_AT:
        _pause(mailbox, refusals, url)
    domain_wide = recent.filter(
        failure_cause__in=[c.value for c in DOMAIN_WIDE],
        message__mailbox__email__iendswith="@" + mailbox.domain,
    )
    if domain_wide.count() >= PAUSE_AT:
        siblings = Mailbox.objects.filter(
            workspace_id=mailbox.workspace_id,
            status=Mailbox.Status.ACTIVE,
            email__iendswith="@" + mailbox.domain,
        )
        for sibling in siblings:
            _pause(sibling, refusals, url)


def _pause(mailbox: Mailbox, refusals: list[Reply], url: str) -> None:
    causes = sorted({reply.failure_cause for reply in refusals})
    reason = _("%(n)s receiving servers refused this mailbox's mail within a day (%(causes)s)") % {
        "n": PAUSE_AT,
        "causes": ", ".join(cause_label(c) for c in causes),
    }
    mailbox_pause(mailbox=mailbox, reason=reason[:250], by_error=True)
    title = _("Mailbox %(email)s was paused") % {"email": mailbox.email}
    body = (
        reason
        + ". "
        + " ".join(str(FIXES.get(Cause(c), FIXES[Cause.POLICY])) for c in causes)
        + " "
        + _("Your leads were not suppressed. Resume the mailbox once this is fixed.")
    )
    notify(
        workspace=mailbox.workspace, title=title, body=body, url=url, level="error",
        kind=NotificationKind.PAUSED, key=mailbox_pause_key(mailbox, reason),
    )  # fmt: skip
