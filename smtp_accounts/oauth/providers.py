"""The OAuth providers mailboxes connect with: endpoints, least scopes and mail hosts."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from smtp_accounts.presets import MICROSOFT_PASSWORD_DEADLINE, PRESETS, Preset

# The least that SMTP and IMAP need, plus the verified address (openid email).
SCOPES = {
    "google": "https://mail.google.com/ openid email",
    "microsoft": (
        "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All "
        "offline_access openid email"
    ),
}
LABELS = {"google": "Google", "microsoft": "Microsoft"}
# Google gives a refresh token only when asked for offline access (and consent, for a second
# connection of the same account); Microsoft gives one for the offline_access scope.
EXTRA_AUTHORIZE_PARAMS = {
    "google": {"access_type": "offline", "prompt": "consent"},
    "microsoft": {"prompt": "select_account"},
}


@dataclass(frozen=True)
class MailHost:
    host: str
    port: int
    security: str


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str
    jwks_url: str
    issuers: tuple[str, ...]
    scope: str
    smtp: MailHost
    imap: MailHost

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def can_revoke(self) -> bool:
        return bool(self.revoke_url)

    @property
    def preset(self) -> Preset:
        return PRESETS[self.key]

    def accepts_issuer(self, claims: dict) -> bool:
        """The id_token's issuer is this provider's (Microsoft's names the account's tenant)."""
        tid = str(claims.get("tid") or "")
        allowed = {
            issuer.replace("{tid}", tid) for issuer in self.issuers if tid or "{tid}" not in issuer
        }
        return claims.get("iss") in allowed


class UnknownProvider(LookupError):
    pass


def provider_config(key: str) -> Provider:
    try:
        raw = settings.OAUTH_MAILBOX_PROVIDERS[key]
    except KeyError as exc:
        raise UnknownProvider(key) from exc
    return Provider(
        key=key,
        label=LABELS[key],
        client_id=raw["client_id"],
        client_secret=raw["client_secret"],
        authorize_url=raw["authorize_url"],
        token_url=raw["token_url"],
        revoke_url=raw.get("revoke_url", ""),
        jwks_url=raw["jwks_url"],
        issuers=tuple(raw["issuers"]),
        scope=SCOPES[key],
        smtp=MailHost(*raw["smtp"]),
        imap=MailHost(*raw["imap"]),
    )


def configured_providers() -> list[Provider]:
    """The providers the operator has set up (client id and secret), in display order."""
    providers = [provider_config(key) for key in ("google", "microsoft")]
    return [p for p in providers if p.configured]


def oauth_advice(preset_key: str) -> str:
    """When OAuth is the better path for a provider's mailboxes, and why (empty otherwise)."""
    preset = PRESETS.get(preset_key)
    if preset is None or not preset.oauth:
        return ""
    if provider_config(preset.oauth).configured:
        return str(preset.oauth_hint)
    if preset.oauth == "microsoft":
        return str(MICROSOFT_PASSWORD_DEADLINE)
    return ""


def authorize_origins() -> list[str]:
    """Where the Connect and Reconnect buttons' forms end up (their CSP form-action: a form's
    redirect to another origin is checked against it)."""
    from urllib.parse import urlsplit

    origins = []
    for provider in configured_providers():
        url = urlsplit(provider.authorize_url)
        origins.append(f"{url.scheme}://{url.netloc}")
    return list(dict.fromkeys(origins))
