from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = gettext_lazy("Accounts and workspaces")

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects audit receivers)
