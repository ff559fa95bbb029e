"""Platform emails: branded, an HTML part with inline CSS and no remote asset, and a plain-text
part that reads well on its own, from DEFAULT_FROM_EMAIL under the PRODUCT_NAME setting."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Invitation


def email_context(context: dict | None = None) -> dict:
    """What every platform email's templates need besides their own values."""
    return {
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        **(context or {}),
    }


def platform_email_send(
    *, to: list[str], subject: str, template: str, context: dict, headers: dict | None = None
) -> EmailMultiAlternatives:
    """Render `<template>.txt` and `<template>.html` and send them as one message."""
    context = email_context(context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.PRODUCT_NAME}] {subject}",
        body=render_to_string(f"{template}.txt", context).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Auto-Submitted": "auto-generated", **(headers or {})},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
    return message


def send_invitation(*, invitation_id: int) -> bool:
    """Email the invitation link; does nothing for an invitation no longer pending."""
    from accounts.services import invitation_token

    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return False
    url = settings.PUBLIC_BASE_URL + reverse(
        "invitation_accept", kwargs={"token": invitation_token(invitation)}
    )
    context = email_context({"invitation": invitation, "url": url})
    with translation.override(_invitee_language(invitation)):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/invitation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[invitation.email],
        )
        html = render_to_string("emails/invitation.html", context)
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def _invitee_language(invitation: Invitation) -> str:
    """The invitee's own language when they have an account, else the inviter's."""
    from accounts.models import User

    invitee = User.objects.filter(email__iexact=invitation.email).only("language").first()
    if invitee is not None and invitee.language:
        return invitee.language
    inviter = invitation.invited_by
    return (inviter.language if inviter is not None else "") or settings.LANGUAGE_CODE
