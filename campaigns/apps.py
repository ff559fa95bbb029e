from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Leads and campaigns"

    def ready(self):
        # The content filter's decisions (ai.signals) resume or pause campaigns.
        from campaigns.sending import content_gate  # noqa: F401
