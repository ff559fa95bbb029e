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

    Preferences (theme, language) are stored with the account; the language cookie carries the
    language to the pages before signing in. An operator who adds analytics lists its cookies in
    PRIVACY_EXTRA_COOKIES, and the policy shows them.
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
        Cookie(
            settings.LANGUAGE_COOKIE_NAME,
            str(_("Remembers the language you chose, for the pages before you sign in.")),
            _duration(settings.LANGUAGE_COOKIE_AGE),
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


# --- Published versions (privacy.PolicyVersion) ------------------------------------------------

CACHE_KEY = "privacy:policy-versions"
BUILT_IN = {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}
USER_FIELD = {"terms": "terms_version", "privacy": "privacy_version"}


def _state() -> dict:
    """{kind: {"current": PolicyVersion | None, "upcoming": PolicyVersion | None}}, cached a
    minute (publishing clears it)."""
    from django.core.cache import cache
    from django.utils import timezone

    from privacy.models import PolicyVersion

    state = cache.get(CACHE_KEY)
    now = timezone.now()
    if state is not None and state["until"] > now:
        return state["kinds"]
    kinds = {}
    next_change = now + timezone.timedelta(minutes=1)
    for kind in BUILT_IN:
        versions = PolicyVersion.objects.filter(kind=kind)
        current = versions.filter(effective_at__lte=now).order_by("-effective_at").first()
        upcoming = versions.filter(effective_at__gt=now).order_by("effective_at").first()
        if upcoming is not None:
            next_change = min(next_change, upcoming.effective_at)
        kinds[kind] = {"current": current, "upcoming": upcoming}
    cache.set(CACHE_KEY, {"kinds": kinds, "until": next_change}, 60)
    return kinds


def forget_cached_versions() -> None:
    from django.core.cache import cache

    cache.delete(CACHE_KEY)


def current_version(kind: str) -> str:
    current = _state()[kind]["current"]
    return current.version if current is not None else BUILT_IN[kind]


def current_policy(kind: str):
    return _state()[kind]["current"]


def upcoming_policies() -> list:
    return [s["upcoming"] for s in _state().values() if s["upcoming"] is not None]


def pending_acceptance(user) -> list:
    """Published versions now in effect that the user has not accepted yet. Nothing is pending
    while the operator never published a version (the built-in texts were accepted at signup)."""
    pending = []
    for kind, state in _state().items():
        current = state["current"]
        if current is not None and getattr(user, USER_FIELD[kind]) != current.version:
            pending.append(current)
    return pending
