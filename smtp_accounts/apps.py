from django.apps import AppConfig


class SmtpAccountsConfig(AppConfig):
    name = "smtp_accounts"
    verbose_name = "Mailboxes"

    def ready(self) -> None:
        from privacy.registry import register
        from smtp_accounts.privacy import MailboxShredder

        register(MailboxShredder)
