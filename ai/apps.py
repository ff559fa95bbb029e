from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = gettext_lazy("AI content filter and reply classification")
