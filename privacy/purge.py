"""The purge: enforce each retention rule in small batches (DESIGN §4 step 8).

Rows go in bounded batches walked by primary key: a batch is the next `batch_size` expired
primary keys, and its DELETE (or UPDATE, for redaction) touches only that key range, re-checking
the expiry condition, in its own short transaction. Sending never waits on a long lock, memory
holds one batch of keys, and a run that dies resumes from its checkpoint (`PurgeRun.last_pk`).

A row whose deletion would cascade (a campaign: its steps, enrollments, messages, events…;
a closed workspace: everything in it) has its dependants deleted first, leaves first, in the same
kind of batches, so no single statement ever deletes more than one batch. Models a rule keeps
through erasure (the ledger) are never deleted on the way, and the row they point to is
pseudonymised instead of deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone

from privacy import retention
from privacy.models import PurgeRun
from privacy.retention import DELETE, ERASE, REDACT, Rule

logger = logging.getLogger("privacy.purge")

LOCK_SECONDS = 6 * 3600


def batch_size() -> int:
    return getattr(settings, "PRIVACY_PURGE_BATCH_SIZE", 2000)


def _pause() -> None:
    seconds = getattr(settings, "PRIVACY_PURGE_PAUSE_SECONDS", 0.0)
    if seconds:
        time.sleep(seconds)


# --- What goes with a row ---------------------------------------------------------------------


@dataclass
class Plan:
    """What deleting rows of `root` takes with it: (model, lookup to root) pairs, leaves first."""

    root: type[models.Model]
    children: list[tuple[type[models.Model], str]] = field(default_factory=list)
    # Models kept through erasure that point (through CASCADE) at the root: (model, lookup).
    protected: list[tuple[type[models.Model], str]] = field(default_factory=list)


def _cascade_relations(model: type[models.Model], *, every: bool = False):
    """The models whose rows go with a row of `model` (their foreign key cascades); with
    `every`, also those that only point at it (e.g. the ledger, DO_NOTHING, which must keep its
    workspace row when the workspace is erased)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if (
            rel.auto_created
            and not rel.concrete
            and (rel.one_to_many or rel.one_to_one)
            and (every or getattr(rel, "on_delete", None) is models.CASCADE)
        ):
            yield rel.related_model, rel.field.name


def cascade_plan(root: type[models.Model], *, protected: set[str] | None = None) -> Plan:
    """`protected`: labels (lower-case) of models kept through erasure; by default those the
    retention rules mark `survives_erasure` (the ledger)."""
    protected_labels = retention.protected_models() if protected is None else protected
    paths: dict[type[models.Model], str] = {}
    edges: dict[type[models.Model], list[type[models.Model]]] = {}
    plan = Plan(root=root)

    # Breadth first: each model gets its shortest lookup to the root.
    queue: list[tuple[type[models.Model], str]] = [(root, "")]
    while queue:
        parent, path = queue.pop(0)
        for child, fk_name in _cascade_relations(parent, every=True):
            lookup = f"{fk_name}__{path}" if path else fk_name
            if child._meta.label_lower in protected_labels:
                if all(child is not m for m, _p in plan.protected):
                    plan.protected.append((child, lookup))
                continue
            if not any(c is child for c, _f in _cascade_relations(parent)):
                continue  # it only points here: nothing of it goes with the row
            edges.setdefault(parent, []).append(child)
            if child not in paths and child is not root:
                paths[child] = lookup
                queue.append((child, lookup))

    # A model that protected rows hang from (other than the root) must not go either.
    keep: set[type[models.Model]] = set()
    for protected_model, _lookup in plan.protected:
        for parent, _fk in _cascade_parents(protected_model):
            if parent is not root and parent in paths:
                keep.add(parent)

    # Leaves first: a depth-first post-order of the cascade graph.
    order: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model):
        if model in seen:
            return
        seen.add(model)
        for child in edges.get(model, []):
            visit(child)
        order.append(model)

    visit(root)
    plan.children = [(m, paths[m]) for m in order if m is not root and m not in keep]
    return plan


def _cascade_parents(model: type[models.Model]):
    for f in model._meta.get_fields():
        if f.many_to_one and f.concrete and f.remote_field.on_delete is models.CASCADE:
            yield f.related_model, f.name


# --- Batches ----------------------------------------------------------------------------------


def pk_batches(
    qs: models.QuerySet, size: int, *, after: int | None = None
) -> Iterator[tuple[int, int]]:
    """(first, last) primary keys of consecutive batches of `qs`, read `size` keys at a time."""
    last = after
    while True:
        page = qs.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        keys = list(page.values_list("pk", flat=True)[:size])
        if not keys:
            return
        yield keys[0], keys[-1]
        last = keys[-1]


def delete_in_batches(qs: models.QuerySet, size: int) -> int:
    """Delete every row of `qs`, one primary-key range at a time; the number deleted."""
    total = 0
    for first, last in pk_batches(qs, size):
        with transaction.atomic():
            deleted, _detail = qs.filter(pk__gte=first, pk__lte=last).delete()
        total += deleted
        _pause()
    return total


def count_with_children(qs: models.QuerySet, plan: Plan) -> int:
    """How many dependant rows deleting `qs` would take with it (for --dry-run)."""
    return sum(
        model._default_manager.filter(**{f"{lookup}__in": qs.values("pk")}).count()
        for model, lookup in plan.children
    )


# --- One rule ---------------------------------------------------------------------------------


def _redact_values(rule: Rule, pk) -> dict:
    return {name: (value(pk) if callable(value) else value) for name, value in rule.redact.items()}


def erase_rows(rule: Rule, plan: Plan, roots: models.QuerySet, run: PurgeRun) -> None:
    """Erase each root row's dependants, then the row (or pseudonymise it if the law keeps
    records pointing at it).

    `roots` carries the rule's expiry condition, and it is asked again before each model of
    dependants and, with the row locked, right before the row itself: a campaign someone
    touched (or that received a reply) while its old events were going is kept from there on."""
    model = plan.root
    size = batch_size()
    for pk in list(roots.values_list("pk", flat=True)):
        still_expired = True
        for child, lookup in plan.children:
            if not roots.filter(pk=pk).exists():
                still_expired = False
                break
            run.cascaded += delete_in_batches(child._default_manager.filter(**{lookup: pk}), size)
        if not still_expired:
            logger.info("purge %s: %s %s has new activity, kept", rule.key, model.__name__, pk)
            continue
        kept = any(
            protected._default_manager.filter(**{lookup: pk}).exists()
            for protected, lookup in plan.protected
        )
        with transaction.atomic():
            list(model._default_manager.select_for_update().filter(pk=pk).values_list("pk"))
            if not roots.filter(pk=pk).exists():
                logger.info("purge %s: %s %s has new activity, kept", rule.key, model.__name__, pk)
                continue
            if kept:
                values = _redact_values(rule, pk)
                if any(f.name == "erased_at" for f in model._meta.get_fields()):
                    values["erased_at"] = timezone.now()
                model._default_manager.filter(pk=pk).update(**values)
                run.redacted += 1
            else:
                deleted, _detail = model._default_manager.filter(pk=pk).delete()
                run.deleted += 1 if deleted else 0
                run.cascaded += max(0, deleted - 1)


def _checkpoint(run: PurgeRun, last_pk) -> None:
    run.batches += 1
    run.last_pk = last_pk if isinstance(last_pk, int) else run.last_pk
    run.heartbeat_at = timezone.now()
    run.save(
        update_fields=[
            "deleted",
            "cascaded",
            "redacted",
            "batches",
            "last_pk",
            "heartbeat_at",
        ]
    )


def _run(rule: Rule, run: PurgeRun) -> None:
    expired = rule.expired_queryset(run.cutoff)
    size = batch_size()
    model = rule.get_model()
    plan = cascade_plan(model) if rule.action in (DELETE, ERASE) else Plan(root=model)
    if rule.action == REDACT:
        expired = expired.exclude(**_redact_values(rule, None))

    if run.dry_run:
        count = expired.count()
        if rule.action == REDACT:
            run.redacted = count
        else:
            run.deleted = count
            run.cascaded = count_with_children(expired, plan)
        return

    # Keys are only comparable as a checkpoint when they are integers (sessions use a string).
    integer_keys = isinstance(model._meta.pk, models.AutoField | models.BigAutoField)
    after = run.last_pk if integer_keys else None
    # A row with dependants is erased with them; rows without any go a whole batch at a time.
    root_size = size if not plan.children else max(1, size // 100)
    for first, last in pk_batches(expired, root_size, after=after):
        batch = expired.filter(pk__gte=first, pk__lte=last)
        if rule.action == REDACT:
            with transaction.atomic():
                run.redacted += batch.update(**_redact_values(rule, None))
        elif rule.action == ERASE or plan.children:
            erase_rows(rule, plan, batch, run)
        else:
            with transaction.atomic():
                deleted, _detail = batch.delete()
            run.deleted += deleted
        _checkpoint(run, last)
        _pause()


def purge_rule(
    *, key: str, now=None, dry_run: bool = False, resume: bool = True
) -> PurgeRun | None:
    """Apply one retention rule. Returns the run's record, or None when the rule's model is not
    installed or the rule is already being purged by another worker."""
    rule = retention.rule(key)
    if not rule.installed:
        logger.info("purge %s: %s is not installed, skipped", key, rule.model)
        return None
    lock = f"privacy:purge:{key}"
    if not dry_run and not cache.add(lock, "1", timeout=LOCK_SECONDS):
        logger.info("purge %s: already running elsewhere, skipped", key)
        return None
    try:
        run = None
        if resume and not dry_run:
            # A run that died (the lock is ours now, so nobody else is on it) goes on where it
            # stopped, with the cutoff it started with.
            run = (
                PurgeRun.objects.filter(rule=key, dry_run=False, status=PurgeRun.Status.RUNNING)
                .order_by("-started_at")
                .first()
            )
        if run is None:
            run = PurgeRun.objects.create(rule=key, cutoff=rule.cutoff(now), dry_run=dry_run)
        started = time.monotonic()
        try:
            _run(rule, run)
        except Exception as exc:
            run.status = PurgeRun.Status.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
            run.finished_at = timezone.now()
            run.save()
            logger.exception("purge %s failed after %d batches", key, run.batches)
            raise
        run.status = PurgeRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        logger.info(
            "purge %s%s: %d deleted, %d with them, %d redacted (cutoff %s, %d batches, %.1f s)",
            key,
            " (dry run)" if dry_run else "",
            run.deleted,
            run.cascaded,
            run.redacted,
            run.cutoff.date().isoformat(),
            run.batches,
            time.monotonic() - started,
        )
        return run
    finally:
        if not dry_run:
            cache.delete(lock)


def purge_all(*, now=None, dry_run: bool = False) -> list[PurgeRun]:
    return [
        run
        for rule in retention.rules()
        if (run := purge_rule(key=rule.key, now=now, dry_run=dry_run)) is not None
    ]
