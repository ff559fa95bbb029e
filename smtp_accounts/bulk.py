"""Connect many mailboxes from one CSV file: every row validated on its own, by line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Workspace
from smtp_accounts.forms import MailboxForm
from smtp_accounts.models import Mailbox
from smtp_accounts.oauth.providers import oauth_advice
from smtp_accounts.presets import PRESETS

MAX_ROWS = 500
MAX_BYTES = 1_000_000
MAX_CELL = csv.field_size_limit()  # 131,072 characters: the csv module's own limit
# Every form field can be a column, except the ones a bulk upload has no use for.
COLUMNS = {
    name for name in MailboxForm.Meta.fields if not name.startswith(("signature", "warmup"))
} - {"gap_jitter_seconds"}
REQUIRED = {"email", "smtp_password"}
DEFAULTS = {
    "gap_jitter_seconds": 60,
    "warmup_enabled": "on",
    "warmup_start": 10,
    "warmup_increment": 5,
    "timezone": "UTC",
    "min_gap_seconds": 120,
}


class BulkFileError(Exception):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class RowResult:
    line: int
    email: str
    mailbox: Mailbox | None = None
    errors: list[str] = field(default_factory=list)
    advice: str = ""  # when connecting with Google/Microsoft (OAuth) is the better path

    @property
    def ok(self) -> bool:
        return self.mailbox is not None


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise BulkFileError(_("The file is larger than 1 MB."))
    if b"\x00" in data[:4096]:
        raise BulkFileError(_("This is not a CSV file (it contains binary data)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BulkFileError(_("The file is neither UTF-8 nor Windows-1252 text."))


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; raises BulkFileError for a file that cannot be used."""
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Universal newlines: files saved with CR-only line ends (old Mac Excel) read as rows too.
    reader = csv.DictReader(io.StringIO(text, newline=None), dialect=dialect)
    try:
        return _rows(reader)
    except csv.Error as exc:
        raise BulkFileError(
            _(
                "Line %(line)s cannot be read as CSV (%(error)s). Cells may hold at most "
                "%(limit)s characters; a line break inside a cell needs the cell in quotes."
            )
            % {
                "line": reader.line_num + 1,
                "error": exc,
                "limit": number_format(MAX_CELL, force_grouping=True),
            }
        ) from exc


def _rows(reader: csv.DictReader) -> list[tuple[int, dict[str, str]]]:
    headers = {(h or "").strip().lower() for h in reader.fieldnames or []}
    missing = REQUIRED - headers
    if missing:
        raise BulkFileError(
            _("Missing column(s): %(cols)s. Expected columns: %(all)s.")
            % {"cols": ", ".join(sorted(missing)), "all": ", ".join(sorted(COLUMNS))}
        )
    rows = []
    for row in reader:
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue  # blank line
        rows.append((reader.line_num, {k: v for k, v in values.items() if k in COLUMNS}))
        if len(rows) > MAX_ROWS:
            raise BulkFileError(_("At most %(n)s mailboxes per file.") % {"n": MAX_ROWS})
    if not rows:
        raise BulkFileError(_("The file has a header but no mailboxes."))
    return rows


def _form_data(values: dict[str, str]) -> dict[str, str]:
    preset = PRESETS.get(values.get("provider") or "custom", PRESETS["custom"])
    data = {k: str(v) for k, v in MailboxForm.initial_for_preset(preset.key).items()}
    data.update(DEFAULTS)
    data.update({k: v for k, v in values.items() if v})
    data.setdefault("smtp_username", values.get("email", ""))
    return data


def mailboxes_connect_from_csv(*, workspace: Workspace, data: bytes) -> list[RowResult]:
    """Create a mailbox for every valid row; report every other row with its errors."""
    from smtp_accounts.tasks import check_mailbox_connection

    results = []
    seen: set[str] = set()
    for line, values in read_rows(data):
        email = values.get("email", "").lower()
        result = RowResult(line=line, email=email)
        if email and email in seen:
            result.errors.append(_("The same address appears earlier in the file."))
            results.append(result)
            continue
        seen.add(email)
        result.advice = oauth_advice(values.get("provider") or "")
        form = MailboxForm(_form_data(values), workspace=workspace)
        if not form.is_valid():
            result.errors = [
                f"{form.fields[name].label if name in form.fields else name}: {message}"
                for name, messages in form.errors.items()
                for message in messages
            ]
        else:
            with transaction.atomic():
                result.mailbox = form.save()
                check_mailbox_connection.delay_on_commit(result.mailbox.pk)
        results.append(result)
    return results
