"""The prices in effect, as the operator set them (settings; docs/BILLING.md). Each charge
records the unit price it used, so changing a price never rewrites history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format


def currency() -> str:
    return settings.BILLING_CURRENCY


def price_email() -> int:
    return max(0, int(settings.BILLING_PRICE_EMAIL))


def price_ai(purpose: str) -> int:
    table = settings.BILLING_PRICE_AI
    return max(0, int(table.get(purpose, table.get("default", 0))))


def topup_presets() -> list[int]:
    low, high = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX
    return [v for v in settings.BILLING_TOPUP_PRESETS if low <= v <= high]


def money(amount: int, code: str | None = None) -> str:
    """12345 → "123.45 EUR" in English, "123,45 EUR" in French (minor units of a two-decimal
    currency; separators of the active language)."""
    code = code or currency()
    value = Decimal(int(amount)).scaleb(-2)
    return f"{number_format(value, decimal_pos=2, force_grouping=True)} {code}"
