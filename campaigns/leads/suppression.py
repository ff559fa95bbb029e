"""The suppression list: one function decides whether an address may be mailed (DESIGN §5.2).

Checked on import, at launch, at claim and right before SMTP — always through `Suppressions`
(the whole list for imports and launch, only a batch's entries for claim and send) or
`is_suppressed` for one address; the matching rule lives in `Suppressions.__contains__`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import AuditLog, Workspace
from accounts.services import audit_log
from campaigns.models import Lead, Suppression, normalize_email, value_hash

logger = logging.getLogger(__name__)
LOOKUP_CHUNK = 5000  # hashes a query looks up at once (SQLite's limit on parameters)
SUPPRESSION_HEADER = ["entry", "kind", "reason", "note", "added_at"]


class SuppressionError(ValueError):
    """An entry that is not an address or a domain, or may not be removed; for the user."""


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


@dataclass
class Suppressions:
    """A workspace's suppressed address and domain hashes, for checking many addresses."""

    addresses: set[str]
    domains: set[str]

    @classmethod
    def for_addresses(cls, workspace: Workspace, addresses) -> Suppressions:
        """Only the entries that concern these addresses: one indexed query, whatever the size
        of the list (the dispatcher and the sender check small batches often)."""
        normalized = [normalize_email(a) for a in addresses]
        hashes = {value_hash(a) for a in normalized} | {value_hash(_domain(a)) for a in normalized}
        rows = Suppression.objects.for_workspace(workspace).filter(value_hash__in=hashes)
        found = cls(set(), set())
        for kind, digest in rows.values_list("kind", "value_hash"):
            (found.domains if kind == Suppression.Kind.DOMAIN else found.addresses).add(digest)
        return found

    @classmethod
    def for_workspaces(cls, addresses: dict[int, list[str]]) -> dict[int, Suppressions]:
        """`for_addresses` for several workspaces (id → its addresses) in one query: the
        dispatcher claims for many mailboxes, of many workspaces, at once."""
        wanted: dict[int, set[str]] = {}
        for workspace_id, emails in addresses.items():
            normalized = [normalize_email(a) for a in emails]
            wanted[workspace_id] = {value_hash(a) for a in normalized} | {
                value_hash(_domain(a)) for a in normalized
            }
        found = {workspace_id: cls(set(), set()) for workspace_id in addresses}
        if not addresses:
            return found
        rows = Suppression.objects.filter(
            workspace_id__in=list(addresses), value_hash__in=set().union(*wanted.values())
        ).values_list("workspace_id", "kind", "value_hash")
        for workspace_id, kind, digest in rows:
            if digest in wanted[workspace_id]:
                entry = found[workspace_id]
                (entry.domains if kind == Suppression.Kind.DOMAIN else entry.addresses).add(digest)
        return found

    @classmethod
    def load(cls, workspace: Workspace) -> Suppressions:
        rows = Suppression.objects.for_workspace(workspace).values_list("kind", "value_hash")
        addresses, domains = set(), set()
        for kind, digest in rows:
            (domains if kind == Suppression.Kind.DOMAIN else addresses).add(digest)
        return cls(addresses, domains)

    def __contains__(self, address: str) -> bool:
        address = normalize_email(address)
        return value_hash(address) in self.addresses or value_hash(_domain(address)) in self.domains


def is_suppressed(workspace: Workspace, address: str) -> bool:
    return address in Suppressions.for_addresses(workspace, [address])


def parse_entry(raw: str) -> tuple[str, str]:
    """(kind, value) from what a user typed: an address, "@domain" or "domain"."""
    value = raw.strip().lower()
    if not value:
        raise SuppressionError(_("Enter an address or a domain."))
    if value.startswith("@"):
        value = value[1:]
    if "@" in value:
        local, _sep, domain = value.rpartition("@")
        if not local or "." not in domain or " " in value:
            raise SuppressionError(_("“%(value)s” is not an email address.") % {"value": raw})
        return Suppression.Kind.ADDRESS, value
    if "." not in value or " " in value or "/" in value:
        raise SuppressionError(
            _("“%(value)s” is neither an address nor a domain.") % {"value": raw}
        )
    return Suppression.Kind.DOMAIN, value


def suppression_add(
    *, workspace: Workspace, entry: str, reason: str = Suppression.Reason.MANUAL, note: str = ""
) -> tuple[Suppression, bool]:
    """Suppress an address or domain; returns (row, created). An existing entry is kept."""
    kind, value = parse_entry(entry)
    existing = (
        Suppression.objects.for_workspace(workspace)
        .filter(kind=kind, value_hash=value_hash(value))
        .first()
    )
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            row = Suppression(workspace=workspace, kind=kind, value=value, reason=reason, note=note)
            row.save()
    except IntegrityError:  # added at the same moment by someone else
        row = Suppression.objects.for_workspace(workspace).get(
            kind=kind, value_hash=value_hash(value)
        )
        return row, False
    return row, True


def suppressions_add(
    *, workspace: Workspace, entries: Iterable[str], reason: str, note: str = ""
) -> tuple[int, int]:
    """Suppress many addresses or domains at once (a batch of bounce reports, a file); entries
    already suppressed are kept, ones that are not an address or a domain are skipped (logged).
    Returns (added, already there), each entry counted once. A few queries whatever the
    number; wrap it in a transaction for all or nothing."""
    wanted: dict[str, tuple[str, str]] = {}
    for entry in entries:
        try:
            kind, value = parse_entry(entry)
        except SuppressionError:
            logger.warning("Not suppressed, not an address or a domain: %r", entry[:100])
            continue
        wanted.setdefault(value_hash(value), (kind, value))
    digests, existing = list(wanted), set()
    for start in range(0, len(digests), LOOKUP_CHUNK):
        existing.update(
            Suppression.objects.for_workspace(workspace)
            .filter(value_hash__in=digests[start : start + LOOKUP_CHUNK])
            .values_list("kind", "value_hash")
        )
    rows = [
        Suppression(
            workspace=workspace, kind=kind, value=value, value_hash=digest, reason=reason, note=note
        )  # fmt: skip
        for digest, (kind, value) in wanted.items()
        if (kind, digest) not in existing
    ]
    # Added at the same moment by someone else: theirs is kept (the unique constraint).
    Suppression.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows), len(wanted) - len(rows)


def suppressions_csv(workspace: Workspace) -> Iterator[list]:
    """The workspace's list as rows of SUPPRESSION_HEADER, oldest first; its first column reads
    back in as an import. Entries erased on request (only their hash is kept) are left out:
    they have no address to give, and they go on suppressing here."""
    entries = (
        Suppression.objects.for_workspace(workspace)
        .exclude(value="")
        .order_by("pk")
        .values_list("value", "kind", "reason", "note", "created_at")
    )
    for value, kind, reason, note, created_at in entries.iterator(chunk_size=5000):
        yield [value, kind, reason, note, created_at.isoformat(timespec="seconds")]


def suppression_remove(*, suppression: Suppression, membership, request=None) -> None:
    """Remove an entry, if `membership` may (`Suppression.removable_by`): manual entries by
    anyone in the workspace; a domain a campaign suppressed for a company, or a bounce (the lead
    becomes active again), by an owner or admin, recorded in the audit log; never an address's
    unsubscribe or complaint."""
    if not suppression.removable_by(membership):
        if suppression.is_erased:
            raise SuppressionError(
                _(
                    "This address was erased on the person's request; its entry stays so that "
                    "they are never mailed again."
                )
            )
        if suppression.added_automatically_for_a_company:
            raise SuppressionError(
                _("Only an owner or an admin of the workspace can remove a suppressed domain.")
            )
        if suppression.is_bounce:
            raise SuppressionError(
                _("Only an owner or an admin of the workspace can remove a bounce.")
            )
        raise SuppressionError(
            _("Only entries added by hand can be removed; this one is a %(reason)s.")
            % {"reason": suppression.get_reason_display().lower()}
        )
    with transaction.atomic():
        if suppression.reason != Suppression.Reason.MANUAL:
            audit_log(
                action=AuditLog.Action.SUPPRESSION_REMOVED,
                request=request,
                user=membership.user,
                workspace=suppression.workspace,
                entry=suppression.value,
                kind=suppression.kind,
                reason=suppression.reason,
                note=suppression.note,
                added_at=suppression.created_at.isoformat(timespec="seconds"),
            )
        suppression.delete()
        if suppression.is_bounce:  # the report was read wrong: the lead can be mailed again
            Lead.objects.for_workspace(suppression.workspace).filter(
                email_normalized=suppression.value, status=Lead.Status.BOUNCED
            ).update(status=Lead.Status.ACTIVE)


def suppression_erase_address(*, workspace: Workspace, address: str) -> int:
    """Erasure request: drop the readable address, keep its hash so it stays suppressed."""
    return (
        Suppression.objects.for_workspace(workspace)
        .filter(kind=Suppression.Kind.ADDRESS, value_hash=value_hash(normalize_email(address)))
        .update(value="")
    )
