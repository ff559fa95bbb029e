from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SmtpAccountsConfig(AppConfig):
    name = "smtp_accounts"
    verbose_name = gettext_lazy("Mailboxes")

    def ready(self) -> None:
        from privacy.registry import register
        from smtp_accounts.privacy import MailboxShredder

        register(MailboxShredder)
