"""Check that every cached balance equals the sum of its ledger (exit status 1 if not)."""

from django.core.management.base import BaseCommand, CommandError

from billing.services import balance_audit


class Command(BaseCommand):
    help = "Check that every workspace's cached balance equals the sum of its ledger entries."

    def handle(self, *args, **options):
        wrong = balance_audit()
        for workspace_id, cached, total in wrong:
            self.stderr.write(f"workspace {workspace_id}: cached {cached}, ledger sum {total}")
        if wrong:
            raise CommandError(f"{len(wrong)} balance(s) differ from their ledger")
        self.stdout.write("Every balance equals the sum of its ledger.")
