"""Mailbox forms. Passwords are write-only: never rendered back; blank on edit keeps them, but
only while their server stays the same (a stored password only goes where it was entered for:
core/secret_binding.py)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.forms import timezone_choices
from smtp_accounts.models import Mailbox, Security
from smtp_accounts.presets import PRESETS

PASSWORD_FIELDS = ("smtp_password", "imap_password")
# What a mailbox's owner tunes however it signs in (password or OAuth): limits, warm-up, clock,
# signature.
SENDING_FIELDS = [
    "daily_cap",
    "hourly_cap",
    "min_gap_seconds",
    "gap_jitter_seconds",
    "warmup_enabled",
    "warmup_start",
    "warmup_increment",
    "timezone",
    "signature_text",
    "signature_html",
]
SIGNATURE_WIDGETS = {
    "signature_text": forms.Textarea(attrs={"rows": 3}),
    "signature_html": forms.Textarea(attrs={"rows": 3}),
}


class MailboxForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, initial="UTC")

    class Meta:
        model = Mailbox
        labels = {"provider": _("Provider")}
        fields = [
            "provider",
            "from_name",
            "email",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            *SENDING_FIELDS,
        ]
        widgets = {
            "smtp_password": forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            ),
            "imap_password": forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            ),
            **SIGNATURE_WIDGETS,
        }
        help_texts = {
            "imap_username": _("Leave empty to use the SMTP username."),
            "imap_password": _("Leave empty to use the SMTP password."),
        }

    def __init__(self, *args, workspace, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        if self.instance.pk:
            for name in PASSWORD_FIELDS:
                self.fields[name].required = False
                self.fields[name].help_text = _("Stored encrypted. Leave empty to keep it.")

    @classmethod
    def initial_for_preset(cls, key: str) -> dict:
        preset = PRESETS.get(key, PRESETS["custom"])
        return {
            "provider": preset.key,
            "smtp_host": preset.smtp_host,
            "smtp_port": preset.smtp_port,
            "smtp_security": preset.smtp_security,
            "imap_host": preset.imap_host,
            "imap_port": preset.imap_port,
            "imap_security": preset.imap_security,
            "daily_cap": preset.daily_cap,
            "hourly_cap": preset.hourly_cap,
            "min_gap_seconds": preset.min_gap_seconds,
        }

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        clash = Mailbox.objects.for_workspace(self.workspace).filter(email__iexact=email)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This mailbox is already connected."))
        return email

    def _clean_password(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        if value:
            self.entered.add(name)
        elif self.instance.pk:
            return getattr(self.stored, name)
        return value

    @property
    def stored(self) -> Mailbox:
        """The mailbox as saved (the instance itself is being updated by the form)."""
        if not hasattr(self, "_stored"):
            self._stored = Mailbox.objects.get(pk=self.instance.pk)
        return self._stored

    entered: set[str]

    def full_clean(self):
        self.entered = set()
        super().full_clean()

    def _check_secret_destinations(self, data: dict) -> None:
        """A kept (not re-entered) password must have been entered for the server it would
        now be sent to: else the editor could point the mailbox at a server of their own and
        receive the stored password. Refuse the edit, naming the field to fill in."""
        if not self.instance.pk:
            return
        candidate = Mailbox(
            **{
                name: data.get(name, getattr(self.stored, name))
                for name in (
                    "smtp_host",
                    "smtp_port",
                    "smtp_security",
                    "smtp_username",
                    "smtp_password",
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_username",
                    "imap_password",
                )
            },
            smtp_secret_binding=self.stored.smtp_secret_binding,
            imap_secret_binding=self.stored.imap_secret_binding,
        )
        if "smtp_password" not in self.entered and not candidate.smtp_secret_matches():
            self.add_error(
                "smtp_password",
                _(
                    "Enter the SMTP password again: the server, port, security or username "
                    "changed, and a stored password is only sent to the server it was "
                    "entered for."
                ),
            )
        imap_entered = "imap_password" in self.entered or (
            "smtp_password" in self.entered and not candidate.imap_password
        )
        if candidate.imap_host and not imap_entered and not candidate.imap_secret_matches():
            self.add_error(
                "imap_password",
                _(
                    "Enter the IMAP password again (or the SMTP password, if IMAP uses it): "
                    "the IMAP server, port, security or username changed, and a stored "
                    "password is only sent to the server it was entered for."
                ),
            )

    def clean_smtp_password(self):
        return self._clean_password("smtp_password")

    def clean_imap_password(self):
        return self._clean_password("imap_password")

    def clean(self):
        data = super().clean()
        if (
            data.get("hourly_cap")
            and data.get("daily_cap")
            and data["hourly_cap"] > data["daily_cap"]
        ):
            self.add_error("hourly_cap", _("The hourly limit cannot be above the daily limit."))
        for prefix in ("smtp", "imap"):
            if (
                data.get(f"{prefix}_security") == Security.NONE
                and not settings.MAILBOX_ALLOW_PLAINTEXT
            ):
                self.add_error(f"{prefix}_security", _("Choose SSL/TLS or STARTTLS."))
        self._check_secret_destinations(data)
        return data

    def save(self, commit=True):
        self.instance.workspace = self.workspace
        # Passwords typed into this form were entered for the servers saved with them.
        smtp = "smtp_password" in self.entered
        imap = "imap_password" in self.entered or (smtp and not self.instance.imap_password)
        if self.instance.pk and (smtp or imap):
            self.instance.bind_secrets(smtp=smtp, imap=imap)
        return super().save(commit)
