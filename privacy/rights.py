"""People's rights: restriction, objection, correction, and forgetting one recipient.

Every request and its outcome goes to the audit log.
"""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditLog, Notification, User, Workspace
from accounts.services import audit_log
from privacy.registry import shredders
from privacy.services import PrivacyError, privacy_of


def restriction_set(
    *, workspace: Workspace, by: User, reason: str = "", request: HttpRequest | None = None
) -> None:
    """Restrict processing: running campaigns pause and none may start, no opens or clicks are
    recorded, no AI provider is called, until the restriction is lifted."""
    with transaction.atomic():
        choices = privacy_of(workspace)
        if choices.restricted_at is not None:
            return
        choices.restricted_at, choices.restricted_reason = timezone.now(), reason[:500]
        choices.save(update_fields=["restricted_at", "restricted_reason", "updated_at"])
        for shredder in shredders():
            shredder.restriction_changed(workspace=workspace, restricted=True)
        audit_log(
            action=AuditLog.Action.RESTRICTION_SET,
            request=request,
            user=by,
            workspace=workspace,
            reason=reason[:500],
        )


def restriction_lift(*, workspace: Workspace, by: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        choices = privacy_of(workspace)
        if choices.restricted_at is None:
            return
        since = choices.restricted_at
        choices.restricted_at, choices.restricted_reason = None, ""
        choices.save(update_fields=["restricted_at", "restricted_reason", "updated_at"])
        for shredder in shredders():
            shredder.restriction_changed(workspace=workspace, restricted=False)
        audit_log(
            action=AuditLog.Action.RESTRICTION_LIFTED,
            request=request,
            user=by,
            workspace=workspace,
            restricted_since=since.isoformat(),
        )


def objection_set(
    *,
    workspace: Workspace,
    by: User,
    ai: bool,
    analytics: bool,
    request: HttpRequest | None = None,
) -> None:
    """Object (or stop objecting) to AI processing — only the built-in local provider is then
    used — and to analytics — no opens or clicks are recorded."""
    with transaction.atomic():
        choices = privacy_of(workspace)
        now = timezone.now()
        before = (choices.objects_to_ai_at is not None, choices.objects_to_analytics_at is not None)
        if before == (ai, analytics):
            return
        choices.objects_to_ai_at = (choices.objects_to_ai_at or now) if ai else None
        choices.objects_to_analytics_at = (
            (choices.objects_to_analytics_at or now) if analytics else None
        )
        choices.save(update_fields=["objects_to_ai_at", "objects_to_analytics_at", "updated_at"])
        audit_log(
            action=AuditLog.Action.OBJECTION_CHANGED,
            request=request,
            user=by,
            workspace=workspace,
            ai=ai,
            analytics=analytics,
        )


def address_hash(address: str) -> str:
    """The same SHA-256 the suppression list keeps of an erased address."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def recipient_erase(
    *, workspace: Workspace, address: str, by: User, request: HttpRequest | None = None
) -> dict[str, int]:
    """Forget one recipient of a workspace on their request: every app erases or redacts what
    it holds about the address; the suppression list keeps only its hash, so they are never
    mailed again. The audit log records the hash, never the address."""
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise PrivacyError(_("Enter the email address to forget.")) from exc
    counts: dict[str, int] = {}
    with transaction.atomic():
        for shredder in shredders():
            for what, n in shredder.erase_address(workspace=workspace, address=address).items():
                counts[what] = counts.get(what, 0) + n
        # In-app notifications that named the address (a reply arrived from …).
        named = Notification.objects.for_workspace(workspace).filter(
            Q(title__icontains=address) | Q(body__icontains=address)
        )
        pattern = re.compile(re.escape(address), re.IGNORECASE)
        counts["notifications"] = 0
        for note in named:
            note.title = pattern.sub("[erased]", note.title)
            note.body = pattern.sub("[erased]", note.body)
            note.save(update_fields=["title", "body"])
            counts["notifications"] += 1
        audit_log(
            action=AuditLog.Action.RECIPIENT_ERASED,
            request=request,
            user=by,
            workspace=workspace,
            address_sha256=address_hash(address),
            erased={k: v for k, v in counts.items() if v},
        )
    return counts
