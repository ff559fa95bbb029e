"""Mailboxes: the section still to be built shows what it will hold."""

from django.utils.translation import gettext_lazy as _

from postigo.pages import Placeholder, placeholder_view

mailbox_list = placeholder_view(
    Placeholder(
        title=_("Mailboxes"),
        icon="envelope",
        heading=_("Connect the mailboxes you send from"),
        body=_(
            "Postigo sends through your own SMTP and IMAP accounts — Google Workspace, "
            "Microsoft 365, Zoho or any server — with passwords encrypted at rest."
        ),
        will_show=[
            _("Each mailbox with its status, daily limit and warm-up stage"),
            _("A connection test that names the exact step that failed"),
            _("SPF, DKIM and DMARC health for every sending domain"),
        ],
    )
)
