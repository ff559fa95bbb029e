"""Failed sign-in counting, per account *and* address, so a stranger cannot lock the owner out.

A key counts the failures of one account from one address in a window; a second key counts
an address's failures over all accounts (one address guessing many accounts). Both are
cache entries (the default cache is shared by every process in production: Redis). A password
reset clears every address's count for the account: the real owner's way back in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    failures: int
    seconds: int


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _generation(scope: str, account: str) -> int:
    return cache.get(f"throttle:{scope}:gen:{_digest(account)}", 0)


def _keys(scope: str, account: str, address: str) -> tuple[str, str]:
    account = account.strip().lower()
    generation = _generation(scope, account)
    return (
        f"throttle:{scope}:pair:{_digest(account, address, str(generation))}",
        f"throttle:{scope}:addr:{_digest(address)}",
    )


def is_throttled(
    scope: str, *, account: str, address: str, per_account: Limit, per_address: Limit
) -> bool:
    pair, addr = _keys(scope, account, address)
    return cache.get(pair, 0) >= per_account.failures or cache.get(addr, 0) >= per_address.failures


def record_failure(
    scope: str, *, account: str, address: str, per_account: Limit, per_address: Limit
) -> None:
    for key, limit in zip(_keys(scope, account, address), (per_account, per_address), strict=True):
        # add() starts the window; incr() keeps its expiry.
        if not cache.add(key, 1, timeout=limit.seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=limit.seconds)


def clear_account(scope: str, *, account: str) -> None:
    """Forget the account's failures from every address (after a password reset)."""
    account = account.strip().lower()
    key = f"throttle:{scope}:gen:{_digest(account)}"
    cache.set(key, _generation(scope, account) + 1, timeout=None)
