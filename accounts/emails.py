"""Platform emails of the accounts app."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

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
    with translation.override(_invitee_language(invitation)):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/invitation.txt", context),
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
