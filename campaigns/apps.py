from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Leads and campaigns"

    def ready(self) -> None:
        from campaigns.privacy import CampaignShredder
        from campaigns.sending import billing_gate  # noqa: F401  (pauses and resumes on the balance)
        from privacy.registry import register

        register(CampaignShredder)
        # The content filter's decisions (ai.signals) resume or pause campaigns.
        from campaigns.sending import content_gate  # noqa: F401
