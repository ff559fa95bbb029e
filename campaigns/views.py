"""Inbox and reports: sections still to be built show what they will hold."""

from django.utils.translation import gettext_lazy as _

from postigo.pages import Placeholder, placeholder_view

inbox = placeholder_view(
    Placeholder(
        title=_("Inbox"),
        icon="inbox",
        heading=_("Replies to your campaigns will arrive here"),
        body=_(
            "Postigo will read your connected mailboxes, match replies to the emails that "
            "caused them, stop follow-ups for anyone who answered, and label each reply."
        ),
        will_show=[
            _("One inbox across every campaign and mailbox, newest first"),
            _("Labels such as interested, not interested and out of office"),
            _("Reply from the app in the same thread"),
        ],
    )
)

reports = placeholder_view(
    Placeholder(
        title=_("Reports"),
        icon="chart-bar",
        heading=_("Campaign results will be charted here"),
        body=_("Numbers you can trust, counted from the messages actually sent."),
        will_show=[
            _("Funnels by campaign, step, A/B variant and mailbox"),
            _("Human opens and clicks, with machine opens filtered out"),
            _("A/B winners declared only once the sample is large enough"),
        ],
    )
)
