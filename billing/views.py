"""Billing: the section still to be built shows what it will hold."""

from django.utils.translation import gettext_lazy as _

from core.pages import Placeholder, placeholder_view

billing_overview = placeholder_view(
    Placeholder(
        title=_("Billing"),
        icon="credit-card",
        heading=_("Your balance and invoices will be here"),
        body=_("Postigo is prepaid: top up your balance and each sent email is charged from it."),
        will_show=[
            _("Your current balance and what it has been spent on"),
            _("Top-ups through Stripe Checkout"),
            _("Invoices to download"),
        ],
    )
)
