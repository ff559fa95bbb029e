from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PostigoConfig(AppConfig):
    name = "postigo"
    verbose_name = gettext_lazy("Postigo platform")

    def ready(self) -> None:
        from postigo import checks  # noqa: F401  (registers system checks)
