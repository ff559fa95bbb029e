"""Reports: a section still to be built shows what it will hold."""

from django.utils.translation import gettext_lazy as _

from postigo.pages import Placeholder, placeholder_view

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
