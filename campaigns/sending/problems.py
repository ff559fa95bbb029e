"""What stands in a campaign's way, as the Review page lists it: a sentence, where to fix it,
and the details (e.g. the leads concerned). The launch checks and the gates below them (balance,
content) all speak it, so it lives beneath all of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    message: str
    url: str
    details: list[str] = field(default_factory=list)
