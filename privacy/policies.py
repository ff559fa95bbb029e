"""Versions of the legal texts users accept, and the facts the privacy policy states from code.

Changing a policy page means publishing a new version (privacy admin, `PolicyVersion`), so every
acceptance on record says which text the person agreed to. The versions below are the texts
every install starts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

TERMS_VERSION = "2026-11-23"
PRIVACY_VERSION = "2026-11-23"


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str
    third_party: bool = False


def _duration(seconds: int | None) -> str:
    if not seconds:
        return str(_("until the browser is closed"))
    days = round(seconds / 86400)
    if days >= 365:
        years = round(days / 365)
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def cookies() -> list[Cookie]:
    """Every cookie this service sets, read from the settings that name them.

    Preferences (theme, language) are stored with the account, not in cookies. An operator who
    adds analytics lists its cookies in PRIVACY_EXTRA_COOKIES, and the policy shows them.
    """
    listed = [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            str(_("Keeps you signed in.")),
            str(
                _duration(
                    None
                    if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
                    else settings.SESSION_COOKIE_AGE
                )
            ),
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            str(_("Protects forms against cross-site request forgery.")),
            _duration(settings.CSRF_COOKIE_AGE),
        ),
    ]
    for extra in getattr(settings, "PRIVACY_EXTRA_COOKIES", []):
        listed.append(
            Cookie(
                extra["name"],
                extra.get("purpose", ""),
                extra.get("lifetime", ""),
                third_party=bool(extra.get("third_party", True)),
            )
        )
    return listed


def contact_address() -> str:
    return settings.PRIVACY_CONTACT_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
