from django.apps import AppConfig


class PostigoConfig(AppConfig):
    name = "postigo"
    verbose_name = "Postigo platform"

    def ready(self) -> None:
        from postigo import checks  # noqa: F401  (registers system checks)
