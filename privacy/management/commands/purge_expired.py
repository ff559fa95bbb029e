"""Apply the retention rules now, or with --dry-run say what would go."""

from django.core.management.base import BaseCommand, CommandError

from privacy import purge, retention


class Command(BaseCommand):
    help = "Delete or redact what has outlived its retention period (privacy/retention.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )
        parser.add_argument(
            "--rule",
            action="append",
            choices=[rule.key for rule in retention.RULES],
            help="Only this rule (may be repeated).",
        )

    def handle(self, *args, dry_run=False, rule=None, **options):
        keys = rule or [r.key for r in retention.RULES]
        verb = "would go" if dry_run else "went"
        for key in keys:
            r = retention.rule(key)
            run = purge.purge_rule(key=key, dry_run=dry_run)
            if run is None:
                reason = "not installed" if not r.installed else "already running elsewhere"
                self.stdout.write(f"{key}: skipped ({reason})")
                continue
            if run.status != run.Status.DONE:
                raise CommandError(f"{key}: {run.error}")
            self.stdout.write(
                f"{key}: {run.deleted} {r.model} rows {verb}"
                + (f", with {run.cascaded} dependent rows" if run.cascaded else "")
                + (f", {run.redacted} redacted" if run.redacted else "")
                + f" (dated before {run.cutoff:%Y-%m-%d}, kept {r.period})"
            )
