from django import template

from billing.prices import money as _money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """Minor units as money: 1234|money:"EUR" → "12.34 EUR"."""
    if amount is None or amount == "":
        return ""
    return _money(int(amount), currency or None)
