"""What the campaigns app keeps about people, for the privacy app (privacy/registry.py).

Export: leads, lists, campaigns with their sequence, enrollments, messages, replies, events and
the suppression list. Erasure of one address: the lead and everything sent to or received from
it go; imported files and their problem reports lose the lines naming it; the suppression entry
keeps only its hash, so the address is never mailed again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from campaigns.models import (
    Campaign,
    Enrollment,
    Event,
    Lead,
    LeadImport,
    LeadList,
    OutboundMessage,
    Reply,
    SentReply,
    Step,
    Suppression,
    Variant,
    normalize_email,
    value_hash,
)
from privacy.registry import ExportFile, Shredder

LEAD_COLUMNS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "website",
    "phone",
    "timezone",
    "custom",
    "tags",
    "status",
    "created_at",
    "updated_at",
]
CAMPAIGN_COLUMNS = [
    "id",
    "name",
    "status",
    "timezone",
    "send_days",
    "window_start",
    "window_end",
    "start_date",
    "daily_cap",
    "track_opens",
    "track_clicks",
    "stop_on_reply",
    "unsubscribe_footer",
    "created_at",
    "updated_at",
    "launched_at",
]
MESSAGE_COLUMNS = [
    "id",
    "enrollment_id",
    "step_id",
    "variant_id",
    "mailbox_id",
    "state",
    "recipient",
    "message_id",
    "subject",
    "body_html",
    "body_text",
    "smtp_code",
    "smtp_response",
    "queued_at",
    "sent_at",
    "opened_at",
    "clicked_at",
    "replied_at",
]
REPLY_COLUMNS = [
    "id",
    "message_id",
    "kind",
    "received_at",
    "from_address",
    "subject",
    "text",
    "label",
    "read_at",
]


def _rows(qs, columns):
    return qs.order_by("pk").values(*columns).iterator(chunk_size=2000)


def _file(name, model, workspace, columns):
    return ExportFile(name, columns, _rows(model.objects.for_workspace(workspace), columns))


class CampaignShredder(Shredder):
    identifier = "campaigns"
    verbose_name = _("Leads, campaigns, messages, replies and the suppression list")

    def export(self, *, workspace):
        yield _file("lead_lists", LeadList, workspace, ["id", "name", "created_at"])
        yield _file("leads", Lead, workspace, LEAD_COLUMNS)
        yield ExportFile(
            "lead_list_members",
            ["lead_id", "lead_list_id", "added_at"],
            _rows(
                Lead.lists.through.objects.filter(lead_list__workspace=workspace),
                ["lead_id", "lead_list_id", "added_at"],
            ),
        )
        yield _file("campaigns", Campaign, workspace, CAMPAIGN_COLUMNS)
        yield _file(
            "steps",
            Step,
            workspace,
            ["id", "campaign_id", "position", "delay_days", "delay_hours", "in_thread"],
        )
        yield _file(
            "variants",
            Variant,
            workspace,
            ["id", "step_id", "label", "subject", "body_html", "body_text", "weight"],
        )
        yield _file(
            "enrollments",
            Enrollment,
            workspace,
            [
                "id",
                "campaign_id",
                "lead_id",
                "mailbox_id",
                "status",
                "stop_reason",
                "next_step",
                "next_due_at",
                "created_at",
            ],
        )
        yield _file("messages", OutboundMessage, workspace, MESSAGE_COLUMNS)
        yield _file("replies", Reply, workspace, REPLY_COLUMNS)
        yield _file(
            "events",
            Event,
            workspace,
            ["id", "message_id", "kind", "machine", "link_id", "user_agent", "created_at"],
        )
        yield _file(
            "suppressions",
            Suppression,
            workspace,
            ["value", "value_hash", "kind", "reason", "note", "created_at"],
        )
        yield _file(
            "lead_imports",
            LeadImport,
            workspace,
            [
                "id",
                "lead_list_id",
                "filename",
                "status",
                "total_rows",
                "imported",
                "updated",
                "duplicates",
                "invalid",
                "suppressed",
                "created_at",
                "finished_at",
            ],
        )

    @transaction.atomic
    def erase_address(self, *, workspace, address):
        address = normalize_email(address)
        counts = {}
        leads = Lead.objects.for_workspace(workspace).filter(email_normalized=address)
        messages = OutboundMessage.objects.for_workspace(workspace).filter(
            recipient__iexact=address
        )
        replies = Reply.objects.for_workspace(workspace).filter(from_address__iexact=address)
        counts["answers"] = _deleted(
            SentReply.objects.for_workspace(workspace).filter(to__iexact=address)
        )
        counts["replies"] = _deleted(replies)
        # Whatever was sent to the address, under its current lead or an earlier one: the
        # messages go with their events, links and replies; the enrollments with them.
        enrollment_ids = set(messages.values_list("enrollment_id", flat=True)) | set(
            Enrollment.objects.filter(lead__in=leads).values_list("pk", flat=True)
        )
        counts["messages"] = _deleted(messages)
        counts["enrollments"] = _deleted(Enrollment.objects.filter(pk__in=enrollment_ids))
        counts["leads"] = _deleted(leads)
        counts["import files"] = _erase_from_imports(workspace, address)
        counts["suppression"] = _keep_only_the_hash(workspace, address)
        return counts

    def workspace_closed(self, *, workspace):
        _pause_running(workspace, _("The workspace was closed."))

    def restriction_changed(self, *, workspace, restricted):
        if restricted:
            _pause_running(
                workspace, _("Processing is restricted (Settings → Privacy) until it is lifted.")
            )


def _deleted(qs) -> int:
    """How many rows of the queryset's own model went (not counting what cascaded)."""
    _total, detail = qs.delete()
    return detail.get(qs.model._meta.label, 0)


def _pause_running(workspace, reason) -> None:
    Campaign.objects.for_workspace(workspace).filter(status=Campaign.Status.RUNNING).update(
        status=Campaign.Status.PAUSED, paused_reason=str(reason)
    )


def _erase_from_imports(workspace, address: str) -> int:
    """Drop the lines of uploaded files, and the problem reports, that name the address."""
    needle = address.encode()
    changed = 0
    for lead_import in LeadImport.objects.for_workspace(workspace).only("pk", "data", "problems"):
        data = bytes(lead_import.data or b"")
        problems = lead_import.problems or []
        kept_problems = [p for p in problems if address not in str(p).lower()]
        if needle not in data.lower() and len(kept_problems) == len(problems):
            continue
        lines = data.splitlines(keepends=True)
        data = b"".join(line for line in lines if needle not in line.lower())
        LeadImport.objects.filter(pk=lead_import.pk).update(data=data, problems=kept_problems)
        changed += 1
    return changed


def _keep_only_the_hash(workspace, address: str) -> int:
    """The address stays suppressed by its hash alone (the suppression check reads hashes)."""
    digest = value_hash(address)
    entry = Suppression.objects.for_workspace(workspace).filter(
        kind=Suppression.Kind.ADDRESS, value_hash=digest
    )
    if entry.exists():
        return entry.update(value="", note="")
    Suppression.objects.create(
        workspace=workspace,
        kind=Suppression.Kind.ADDRESS,
        value="",
        value_hash=digest,
        reason=Suppression.Reason.MANUAL,
    )
    return 1
