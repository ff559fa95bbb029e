"""Platform emails of the accounts app."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Invitation


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
    context = {"invitation": invitation, "url": url}
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()
    return True
