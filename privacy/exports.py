"""The data export (right of access and portability): a ZIP of JSON and CSV, built by a task.

It holds the user's profile, memberships, notifications and security log, and for every workspace
they own, what each app's shredder exports (mailboxes without secrets, leads and lists, campaigns
with steps and variants, messages, replies, events, the suppression list, and whatever billing
and AI register). The link is unguessable, works for its owner only, and expires after 7 days;
the purge then deletes the file (privacy/retention.py: data_exports).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AuditLog, Membership, Notification, User, Workspace
from accounts.services import audit_log, notify
from privacy.models import DataExport, WorkspacePrivacy
from privacy.registry import ExportFile, shredders

logger = logging.getLogger(__name__)

VALID_FOR = datetime.timedelta(days=7)
FOLDER = "privacy-exports"
PROFILE_COLUMNS = [
    "email",
    "name",
    "timezone",
    "language",
    "theme",
    "date_joined",
    "last_login",
    "age_confirmed_at",
    "terms_version",
    "privacy_version",
    "terms_accepted_at",
]


def export_request(*, user: User, request: HttpRequest | None = None) -> DataExport:
    """Queue an export (one at a time: a pending one is returned as it is)."""
    from privacy.tasks import build_export

    pending = DataExport.objects.filter(
        user=user, status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING]
    ).first()
    if pending is not None:
        return pending
    with transaction.atomic():
        export = DataExport.objects.create(user=user)
        audit_log(
            action=AuditLog.Action.DATA_EXPORT_REQUESTED,
            request=request,
            user=user,
            export=export.pk,
        )
        build_export.delay_on_commit(export.pk)
    return export


def owned_workspaces(user: User):
    return Workspace.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.OWNER, erased_at__isnull=True
    ).order_by("pk")


def _user_files(user: User) -> list[ExportFile]:
    memberships = Membership.objects.filter(user=user).order_by("pk")
    return [
        ExportFile(
            "profile",
            PROFILE_COLUMNS,
            [{c: getattr(user, c) for c in PROFILE_COLUMNS}],
        ),
        ExportFile(
            "memberships",
            ["workspace", "role", "since"],
            (
                {"workspace": m.workspace.name, "role": m.role, "since": m.created_at}
                for m in memberships.select_related("workspace")
            ),
        ),
        ExportFile(
            "notifications",
            ["title", "body", "url", "created_at", "read_at"],
            Notification.objects.filter(user=user)
            .order_by("pk")
            .values("title", "body", "url", "created_at", "read_at")
            .iterator(),
        ),
        ExportFile(
            "security_log",
            ["action", "ip_address", "user_agent", "metadata", "created_at"],
            AuditLog.objects.filter(user=user)
            .order_by("pk")
            .values("action", "ip_address", "user_agent", "metadata", "created_at")
            .iterator(),
        ),
    ]


def _workspace_files(workspace: Workspace) -> list[ExportFile]:
    choices = WorkspacePrivacy.objects.filter(workspace=workspace).first()
    columns = ["name", "created_at", "closed_at", "restricted_at", "objects_to_ai_at",
               "objects_to_analytics_at"]  # fmt: skip
    row = {
        "name": workspace.name,
        "created_at": workspace.created_at,
        "closed_at": workspace.closed_at,
        "restricted_at": choices and choices.restricted_at,
        "objects_to_ai_at": choices and choices.objects_to_ai_at,
        "objects_to_analytics_at": choices and choices.objects_to_analytics_at,
    }
    return [
        ExportFile("workspace", columns, [row]),
        ExportFile(
            "audit_log",
            ["user", "action", "ip_address", "metadata", "created_at"],
            AuditLog.objects.for_workspace(workspace)
            .order_by("pk")
            .values("user__email", "action", "ip_address", "metadata", "created_at")
            .iterator(),
        ),
    ]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
        value = value.isoformat()
    text = str(value)
    # A spreadsheet must not run a cell as a formula (as campaigns' CSV exports do).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write(archive: zipfile.ZipFile, folder: str, export_file: ExportFile) -> int:
    """`<name>.json` streamed into the ZIP while `<name>.csv` is spooled beside it, then added."""
    count = 0
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as spool:
        writer = csv.writer(spool)
        writer.writerow(export_file.columns)
        with archive.open(f"{folder}{export_file.name}.json", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            out.write("[")
            for row in export_file.rows:
                row = dict(row)
                if "user__email" in row:
                    row["user"] = row.pop("user__email")
                out.write("\n  " if count == 0 else ",\n  ")
                out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
                writer.writerow([_csv_value(row.get(c)) for c in export_file.columns])
                count += 1
            out.write("\n]\n" if count else "]\n")
            out.flush()
            out.detach()
        spool.seek(0)
        with archive.open(f"{folder}{export_file.name}.csv", "w", force_zip64=True) as target:
            while chunk := spool.read(1 << 16):
                target.write(chunk.encode("utf-8"))
    return count


README = gettext_noop("""Your Postigo data, exported {when}.

profile, memberships, notifications, security_log: about you.
workspaces/<id>-<name>/: each workspace you own, one JSON and one CSV file per table:
{tables}.
Secrets (passwords, DKIM private keys, API keys) are never exported.
""")


def export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP; progress is saved as it goes so the page can show it."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status not in (DataExport.Status.QUEUED, DataExport.Status.RUNNING):
        return export
    user = export.user
    workspaces = list(owned_workspaces(user))
    steps = 1 + len(workspaces) * (1 + len(shredders()))
    done = 0

    def progress(step: str) -> None:
        nonlocal done
        export.progress = min(99, int(done * 100 / steps))
        export.step = step[:200]
        export.save(update_fields=["status", "progress", "step"])
        done += 1

    relative = f"{FOLDER}/{export.token}.zip"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    export.status = DataExport.Status.RUNNING
    tables: set[str] = set()
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            progress(_("Your profile"))
            for export_file in _user_files(user):
                _write(archive, "", export_file)
            for workspace in workspaces:
                folder = f"workspaces/{workspace.pk}-{slugify(workspace.name) or 'workspace'}/"
                progress(workspace.name)
                for export_file in _workspace_files(workspace):
                    _write(archive, folder, export_file)
                    tables.add(export_file.name)
                for shredder in shredders():
                    progress(f"{workspace.name}: {shredder.verbose_name}")
                    for export_file in shredder.export(workspace=workspace):
                        _write(archive, folder, export_file)
                        tables.add(export_file.name)
            archive.writestr(
                "README.txt",
                _(README).format(
                    when=timezone.now().isoformat(timespec="seconds"),
                    tables=", ".join(sorted(tables)) or "-",
                ),
            )
    except Exception as exc:
        logger.exception("Data export %s failed", export.pk)
        path.unlink(missing_ok=True)
        export.status, export.error = DataExport.Status.FAILED, f"{type(exc).__name__}"
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export
    now = timezone.now()
    export.status, export.progress, export.step = DataExport.Status.READY, 100, ""
    export.file, export.size = relative, path.stat().st_size
    export.finished_at, export.expires_at = now, now + VALID_FOR
    export.save()
    audit_log(
        action=AuditLog.Action.DATA_EXPORT_READY, user=user, export=export.pk, size=export.size
    )
    _tell(export)
    return export


def _tell(export: DataExport) -> None:
    user = export.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title = _("Your data export is ready")
        body = _("Download it from Settings → Privacy until %(date)s.") % {
            "date": date_format(export.expires_at, "DATE_FORMAT")
        }
    url = reverse("privacy_settings")
    membership = Membership.objects.filter(user=user).select_related("workspace").first()
    if membership is not None:
        notify(workspace=membership.workspace, title=title, body=body, url=url, users=[user])
    try:
        send_mail(
            f"[Postigo] {title}",
            f"{body}\n\n{settings.PUBLIC_BASE_URL}{url}\n",
            None,
            [user.email],
        )
    except Exception:
        logger.exception("Could not email export %s is ready", export.pk)


def export_download(*, export: DataExport, request: HttpRequest | None = None) -> Path:
    export.downloaded_at = timezone.now()
    export.save(update_fields=["downloaded_at"])
    audit_log(
        action=AuditLog.Action.DATA_EXPORT_DOWNLOADED,
        request=request,
        user=export.user,
        export=export.pk,
    )
    return Path(settings.MEDIA_ROOT) / export.file
