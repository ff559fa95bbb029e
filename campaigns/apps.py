from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = gettext_lazy("Leads and campaigns")

    def ready(self) -> None:
        from campaigns.privacy import CampaignShredder
        from campaigns.sending import billing_gate  # noqa: F401  (pauses and resumes on the balance)
        from privacy.registry import register

        register(CampaignShredder)
        # The content filter's decisions (ai.signals) resume or pause campaigns.
        from campaigns.sending import content_gate, launch  # noqa: F401
