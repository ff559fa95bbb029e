"""Text from outside (mail, DNS, SMTP and IMAP servers) as the database can keep it."""

from __future__ import annotations

from dataclasses import asdict


def storable(text: str) -> str:
    """PostgreSQL refuses a NUL in text and JSON; mail with a wrong encoding, a hostile DNS
    record or a server's reply can carry one. It is replaced (U+FFFD), so one bad character
    never makes a whole write fail."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def storable_fields(record) -> dict:
    """A dataclass as a dict for a JSON field, its strings `storable`."""
    return {
        name: storable(value) if isinstance(value, str) else value
        for name, value in asdict(record).items()
    }
