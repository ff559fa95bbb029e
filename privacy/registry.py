"""Shredders: what each app keeps about people, how to export it and how to erase it.

Modelled on pretix's data shredders (`pretix.base.shredder.BaseDataShredder`): every app that
stores personal data writes one `Shredder` subclass in its own `privacy.py` and registers it from
its `AppConfig.ready()`. The privacy app imports no app; it calls whatever was registered, in
registration order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass
class ExportFile:
    """One table of an export: written as `<name>.json` and `<name>.csv` in the ZIP."""

    name: str
    columns: list[str]
    rows: Iterable[dict]


class Shredder:
    identifier: str = ""
    verbose_name: str | Promise = ""

    def export(self, *, workspace) -> Iterator[ExportFile]:
        """Everything this app keeps about a workspace, without secrets."""
        return iter(())

    def erase_address(self, *, workspace, address: str) -> dict[str, int]:
        """Erase or redact one person (a recipient) of a workspace: {what: rows}."""
        return {}

    def workspace_closed(self, *, workspace) -> None:
        """The workspace was closed: stop what it does (sending), drop what it must not keep."""

    def workspace_restored(self, *, workspace) -> None:
        """The workspace was restored within its 30 days."""

    def restriction_changed(self, *, workspace, restricted: bool) -> None:
        """Processing of the workspace's data was restricted (or the restriction lifted)."""


_SHREDDERS: dict[str, Shredder] = {}


def register(shredder: type[Shredder] | Shredder) -> Shredder:
    instance = shredder() if isinstance(shredder, type) else shredder
    if not instance.identifier:
        raise ValueError(f"{shredder!r} has no identifier")
    _SHREDDERS[instance.identifier] = instance
    return instance


def shredders() -> list[Shredder]:
    return list(_SHREDDERS.values())
