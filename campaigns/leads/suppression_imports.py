"""Suppression files, read and applied off the request path.

The request only stores the bytes (up to csv_reader.MAX_BYTES) and queues the task; the task
checks every row first (each bad one reported by number, nothing added if the file as a whole
cannot be read or is too long), then adds the good entries CHUNK at a time, each chunk its own
short transaction, so the database's write lock is never held for long (a 50 MB file once held
SQLite's for 88 s and made a Celery task fail "database is locked"). Re-running an interrupted
import adds what is missing: entries already suppressed are counted, never duplicated."""

from __future__ import annotations

import logging
from itertools import islice

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.leads import csv_reader
from campaigns.leads.suppression import SuppressionError, parse_entry, suppressions_add
from campaigns.models import Suppression, SuppressionImport
from core.csv_export import restore_cell

logger = logging.getLogger(__name__)

MAX_FILE_ROWS = 1_000_000
SHOWN_PROBLEMS = 100
CHUNK = 5_000


def suppression_import_create(*, workspace, user, filename: str, data: bytes) -> SuppressionImport:
    """Store the file and queue its import; refuses at once only what needs no reading."""
    if len(data) > csv_reader.MAX_BYTES:
        raise csv_reader.CsvFileError(
            _("The file is larger than %(mb)s MB; split it into smaller files.")
            % {"mb": csv_reader.MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise csv_reader.CsvFileError(_("The file is empty."))
    from campaigns.tasks import run_suppression_import

    imp = SuppressionImport.objects.create(
        workspace=workspace, created_by=user, filename=filename[:255], data=data
    )
    run_suppression_import.delay_on_commit(imp.pk)
    return imp


def _entries(data: bytes) -> tuple[list[str], list[dict]]:
    """The file's entries and its bad rows; raises CsvFileError for a file that cannot be used."""
    parsed = csv_reader.read(data)
    first = next((c for c in parsed.header if c.strip()), "")
    rows = [(1, [first])] if "@" in first or "." in first else []  # no header row
    rows += islice(csv_reader.rows(parsed.text, parsed.delimiter), MAX_FILE_ROWS + 1)
    if len(rows) > MAX_FILE_ROWS:
        raise csv_reader.CsvFileError(
            _("The file has more than %(n)s rows; split it and import the parts.")
            % {"n": number_format(MAX_FILE_ROWS, force_grouping=True)}
        )
    entries, problems, seen = [], [], set()
    for number, cells in rows:
        value = restore_cell(next((c.strip() for c in cells if c.strip()), ""))
        if not value:
            continue
        try:
            _kind, parsed_value = parse_entry(value)
        except SuppressionError as exc:
            problems.append({"row": number, "reason": str(exc)})
            continue
        if parsed_value not in seen:  # each entry counted once, whichever chunk it falls in
            seen.add(parsed_value)
            entries.append(value)
    return entries, problems


def suppression_import_run(import_id: int) -> None:
    imp = SuppressionImport.objects.filter(pk=import_id).first()
    if imp is None or imp.status == SuppressionImport.Status.DONE:
        return
    SuppressionImport.objects.filter(pk=imp.pk).update(status=SuppressionImport.Status.RUNNING)
    try:
        entries, problems = _entries(bytes(imp.data))
    except csv_reader.CsvFileError as exc:
        SuppressionImport.objects.filter(pk=imp.pk).update(
            status=SuppressionImport.Status.FAILED,
            error=str(exc),
            data=b"",
            finished_at=timezone.now(),
        )
        return
    SuppressionImport.objects.filter(pk=imp.pk).update(
        total_rows=len(entries),
        problems=problems[:SHOWN_PROBLEMS],
        more_problems=max(0, len(problems) - SHOWN_PROBLEMS),
    )
    added, existing = imp.added, imp.existing
    for start in range(imp.processed_rows, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        with transaction.atomic():
            new, old = suppressions_add(
                workspace=imp.workspace,
                entries=chunk,
                reason=Suppression.Reason.MANUAL,
                note=_("imported"),
            )
            added, existing = added + new, existing + old
            SuppressionImport.objects.filter(pk=imp.pk).update(
                processed_rows=start + len(chunk), added=added, existing=existing
            )
    SuppressionImport.objects.filter(pk=imp.pk).update(
        status=SuppressionImport.Status.DONE,
        processed_rows=len(entries),
        data=b"",
        finished_at=timezone.now(),
    )
