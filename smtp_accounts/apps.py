from django.apps import AppConfig


class SmtpAccountsConfig(AppConfig):
    name = "smtp_accounts"
    verbose_name = "Mailboxes"
