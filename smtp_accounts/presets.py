"""Provider presets: hosts, ports, safe default limits and the hint shown on auth failures."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    imap_host: str
    imap_port: int
    imap_security: str
    daily_cap: int
    hourly_cap: int
    min_gap_seconds: int
    mx_suffixes: tuple[str, ...]
    auth_hint: str
    # What the domain health check recommends for domains hosted there.
    spf_include: str = ""
    mx_records: tuple[str, ...] = ()
    dkim_hint: str = ""
    # The OAuth provider (smtp_accounts/oauth) that connects this kind of mailbox without a
    # password, and why it is the better path.
    oauth: str = ""
    oauth_hint: str = ""


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in [
        Preset(
            "google",
            "Google Workspace / Gmail",
            "smtp.gmail.com",
            465,
            "ssl",
            "imap.gmail.com",
            993,
            "ssl",
            400,
            60,
            90,
            ("google.com", "googlemail.com"),
            _(
                "Google requires an app password when 2-Step Verification is on "
                "(myaccount.google.com → Security → App passwords), and IMAP must be enabled."
            ),
            spf_include="_spf.google.com",
            mx_records=("1 smtp.google.com.",),
            dkim_hint=_(
                "Google Admin console → Apps → Google Workspace → Gmail → Authenticate email: "
                "generate the key, publish it, then click Start authentication."
            ),
            oauth="google",
            oauth_hint=_(
                "Connect with Google instead: no app password, and access can be revoked from "
                "your Google account at any time."
            ),
        ),
        Preset(
            "microsoft",
            "Microsoft 365 / Outlook",
            "smtp.office365.com",
            587,
            "starttls",
            "outlook.office365.com",
            993,
            "ssl",
            300,
            50,
            90,
            ("protection.outlook.com", "outlook.com", "hotmail.com"),
            _(
                "Microsoft 365 needs SMTP AUTH enabled for this mailbox in the admin center "
                "(Active users → Mail → Manage email apps → Authenticated SMTP)."
            ),
            spf_include="spf.protection.outlook.com",
            # {dashed} is the domain with dots as dashes, as Microsoft names it.
            mx_records=("0 {dashed}.mail.protection.outlook.com.",),
            dkim_hint=_(
                "Microsoft Defender portal → Email authentication settings → DKIM: publish the two "
                "selector CNAME records it shows, then enable signing for the domain."
            ),
            oauth="microsoft",
            oauth_hint=_(
                "Connect with Microsoft instead: Microsoft turns password (basic) SMTP AUTH off "
                "for Microsoft 365 tenants from the end of December 2026, and password-connected "
                "mailboxes then stop sending."
            ),
        ),
        Preset(
            "zoho",
            "Zoho Mail",
            "smtp.zoho.com",
            465,
            "ssl",
            "imap.zoho.com",
            993,
            "ssl",
            250,
            40,
            120,
            ("zoho.com", "zoho.eu", "zohomail.com"),
            _(
                "Zoho needs an application-specific password when two-factor sign-in is on, "
                "and IMAP access enabled in Settings → Mail Accounts."
            ),
            spf_include="zohomail.com",
            mx_records=("10 mx.zoho.com.", "20 mx2.zoho.com.", "50 mx3.zoho.com."),
            dkim_hint=_(
                "Zoho Mail Admin console → Domains → your domain → Email configuration → DKIM: "
                "add a selector, publish the TXT record and verify it."
            ),
        ),
        Preset(
            "yahoo",
            "Yahoo Mail",
            "smtp.mail.yahoo.com",
            465,
            "ssl",
            "imap.mail.yahoo.com",
            993,
            "ssl",
            150,
            25,
            150,
            ("yahoodns.net",),
            _("Yahoo requires an app password (Account security → Generate app password)."),
        ),
        Preset(
            "custom",
            _("Other (custom server)"),
            "",
            587,
            "starttls",
            "",
            993,
            "ssl",
            200,
            30,
            120,
            (),
            _("Check the username (often the full address) and password with your provider."),
        ),
    ]
}


def preset_for_mx(mx_hosts: list[str]) -> Preset:
    """Pick the provider whose mail exchangers the domain uses; custom when none match."""
    for host in mx_hosts:
        host = host.lower().rstrip(".")
        for preset in PRESETS.values():
            if any(host == s or host.endswith("." + s) for s in preset.mx_suffixes):
                return preset
    return PRESETS["custom"]


MICROSOFT_PASSWORD_DEADLINE = _(
    "Microsoft turns password (basic) SMTP AUTH off for Microsoft 365 tenants from the end of "
    "December 2026; password-connected mailboxes then stop sending. Connecting with Microsoft "
    "(OAuth) keeps working: ask whoever runs this Postigo to set it up (docs/OAUTH.md)."
)

# Microsoft 365's answers when basic (password) authentication is off for the tenant or mailbox:
# 535 5.7.139 "basic authentication is disabled", 5.7.30 "basic authentication is not supported".
_BASIC_AUTH_DISABLED = re.compile(r"(?<![\d.])5\.7\.(139|30)(?![\d.])")
BASIC_AUTH_DISABLED_HINT = _(
    "Microsoft 365 no longer accepts a password for this mailbox (basic authentication is "
    "disabled). Reconnect it with Microsoft (“Connect with Microsoft”)."
)


def basic_auth_disabled(reply: str) -> bool:
    """The server said password sign-in is switched off (Microsoft 365 5.7.139 / 5.7.30)."""
    return bool(_BASIC_AUTH_DISABLED.search(reply or ""))
