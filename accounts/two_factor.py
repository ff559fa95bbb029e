"""TOTP two-factor authentication with single-use backup codes (django-otp).

Backup codes are stored as keyed digests (`backup_code_digest`), never as the codes: the codes
are shown once, when made. A code is used up by deleting its row, and only one request can
delete it, so a code opens one session even when sent twice at once."""

from __future__ import annotations

import base64
import re
from binascii import unhexlify
from dataclasses import dataclass

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditLog, User
from accounts.services import audit_log
from accounts.signals import security_alert

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
_TOTP_CODE = re.compile(r"^\d{6}$")


class TwoFactorError(Exception):
    """The code was wrong or may not be tried now; the message is shown to the user."""


@dataclass(frozen=True)
class Enrollment:
    device: TOTPDevice
    secret: str  # base32, for typing into an authenticator app
    qr_data_uri: str


def user_has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrollment_start(*, user: User) -> Enrollment:
    """Return the pending (unconfirmed) authenticator device, creating it if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    secret = base64.b32encode(unhexlify(device.key)).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m")
    return Enrollment(device=device, secret=secret, qr_data_uri=qr.svg_data_uri(scale=5, border=2))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


DIGEST_PREFIX = "$"  # never in a code (base32): tells a digest from a legacy plaintext row


def backup_code_digest(code: str, *, key: str | None = None) -> str:
    """What is stored for a backup code: an HMAC keyed by SECRET_KEY, so a copy of the
    database alone reveals no code. Fits django-otp's 16-character token column."""
    mac = salted_hmac(
        "postigo.backup_code",
        normalise_code(code),
        secret=key or settings.SECRET_KEY,
        algorithm="sha256",
    ).digest()
    return DIGEST_PREFIX + base64.b32encode(mac).decode().lower()[:15]


def _use_backup_code(device: StaticDevice, code: str) -> bool:
    """Use up the backup code if the device holds it (throttled like django-otp's own)."""
    if not device.verify_is_allowed()[0]:
        return False
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    digests = [backup_code_digest(code, key=k) for k in keys]
    match = device.token_set.filter(token__in=digests).first()
    used = match is not None and StaticToken.objects.filter(pk=match.pk).delete()[0] == 1
    if used:
        device.throttle_reset(commit=False)
        device.set_last_used_timestamp(commit=False)
        device.save()
    else:
        device.throttle_increment()
    return used


def _check(device, code: str) -> bool:
    if isinstance(device, StaticDevice):
        return _use_backup_code(device, code)
    return device.verify_token(code)


def _throttle_message(device) -> str | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    seconds = (
        max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1
    )
    return _("Too many wrong codes. Wait %(seconds)s seconds and try again.") % {"seconds": seconds}


def _verify(device, code: str) -> bool:
    message = _throttle_message(device)
    if message:
        raise TwoFactorError(message)
    return _check(device, code)


def _new_backup_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=backup_code_digest(c)) for c in codes]
    )
    return codes


@transaction.atomic
def two_factor_enable(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a first code; return the backup codes (shown once)."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise TwoFactorError(_("Start the set-up again."))
    if not _verify(device, normalise_code(code)):
        raise TwoFactorError(_("That code is not right. Check the time on your phone and retry."))
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user)
    django_otp.login(request, device)
    audit_log(action=AuditLog.Action.TWO_FACTOR_ENABLED, request=request)
    security_alert(request.user, AuditLog.Action.TWO_FACTOR_ENABLED, request)
    return codes


def two_factor_check(*, request: HttpRequest, code: str) -> bool:
    """Check a TOTP or backup code for the signed-in user; mark the session verified."""
    user = request.user
    code = normalise_code(code)
    if _TOTP_CODE.match(code):
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    else:
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        if _verify(device, code):
            django_otp.login(request, device)
            if isinstance(device, StaticDevice):
                audit_log(
                    action=AuditLog.Action.BACKUP_CODE_USED,
                    request=request,
                    remaining=device.token_set.count(),
                )
            return True
    audit_log(action=AuditLog.Action.TWO_FACTOR_FAILED, request=request)
    return False


def device_for_code(user: User, code: str):
    """The confirmed device of `user` that accepts `code` (a TOTP or a backup code, used up),
    or None. A device locked by too many wrong codes accepts nothing, silently."""
    code = normalise_code(code)
    model = TOTPDevice if _TOTP_CODE.match(code) else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        if device.verify_is_allowed()[0] and _check(device, code):
            return device
    return None


def two_factor_verify_login(*, request: HttpRequest, code: str) -> None:
    """The second step of signing in; raises TwoFactorError on a wrong code."""
    if not two_factor_check(request=request, code=code):
        raise TwoFactorError(_("That code is not right."))
    audit_log(action=AuditLog.Action.TWO_FACTOR_VERIFIED, request=request)


@transaction.atomic
def two_factor_disable(*, request: HttpRequest, code: str) -> None:
    """Turn 2FA off; a current code (or a backup code) is required."""
    if not two_factor_check(request=request, code=code):
        raise TwoFactorError(_("That code is not right, so two-factor authentication stays on."))
    TOTPDevice.objects.filter(user=request.user).delete()
    StaticDevice.objects.filter(user=request.user).delete()
    audit_log(action=AuditLog.Action.TWO_FACTOR_DISABLED, request=request)
    security_alert(request.user, AuditLog.Action.TWO_FACTOR_DISABLED, request)


@transaction.atomic
def backup_codes_regenerate(*, request: HttpRequest, code: str) -> list[str]:
    if not two_factor_check(request=request, code=code):
        raise TwoFactorError(_("That code is not right."))
    codes = _new_backup_codes(request.user)
    audit_log(action=AuditLog.Action.BACKUP_CODES_REGENERATED, request=request)
    security_alert(request.user, AuditLog.Action.BACKUP_CODES_REGENERATED, request)
    return codes


def backup_codes_remaining(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
