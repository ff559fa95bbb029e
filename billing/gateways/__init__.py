"""Payment gateways behind one small interface (base.py). A gateway is enabled by setting its
keys; the billing page offers only the enabled ones."""

from __future__ import annotations

from billing.gateways.base import Gateway


def all_gateways() -> dict[str, Gateway]:
    from billing.gateways.coingate import CoinGateGateway
    from billing.gateways.stripe import StripeGateway

    return {g.name: g for g in (StripeGateway(), CoinGateGateway())}


def enabled_gateways() -> dict[str, Gateway]:
    return {name: g for name, g in all_gateways().items() if g.enabled()}


def gateway(name: str) -> Gateway | None:
    return all_gateways().get(name)
