"""Create the demo user and workspace for a development install (idempotent), with a mailbox
delivering to the local mail catcher, demo leads and a draft campaign (postigo/demo.py)."""

import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Notification, User
from accounts.services import notify, workspace_create
from postigo.demo import demo_campaign_create, demo_drafts_pace, demo_mailbox_follow_catcher
from privacy.policies import PRIVACY_VERSION, TERMS_VERSION

DEMO_EMAIL = "demo@postigo.localhost"


class Command(BaseCommand):
    help = "Create a verified demo user (DEBUG only); prints the password the first time."

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=true.")
        credentials = settings.VAR_DIR / "demo-credentials.txt"
        if User.objects.filter(email=DEMO_EMAIL).exists():
            if demo_mailbox_follow_catcher():
                self.stdout.write(
                    f"Demo mailbox moved to the mail catcher's port {settings.MAIL_CATCHER_PORT}."
                )
            demo_drafts_pace()
            self.stdout.write(f"Demo user {DEMO_EMAIL} exists (password in {credentials}).")
            return
        password = secrets.token_urlsafe(12)
        from django.utils import timezone

        now = timezone.now()
        user = User.objects.create_user(
            DEMO_EMAIL,
            password,
            name="Demo User",
            age_confirmed_at=now,
            terms_version=TERMS_VERSION,
            privacy_version=PRIVACY_VERSION,
            terms_accepted_at=now,
        )
        EmailAddress.objects.create(user=user, email=DEMO_EMAIL, primary=True, verified=True)
        workspace = workspace_create(owner=user, name="Demo workspace")
        campaign = demo_campaign_create(workspace)
        notify(
            workspace=workspace,
            title="Welcome to Postigo",
            body=(
                f"This is a demo workspace. “{campaign.name}” is a draft ready to review and"
                " launch; its first emails arrive within a minute at the local mail catcher"
                " (/dev/mail/), where you can make each lead answer, be away or bounce, and"
                " watch the inbox read it."
            ),
            level=Notification.Level.SUCCESS,
        )
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.write_text(f"{DEMO_EMAIL}\n{password}\n")
        credentials.chmod(0o600)
        bar = "=" * 64
        self.stdout.write(
            f"\n{bar}\n  Demo login:  {DEMO_EMAIL}\n  Password:    {password}\n"
            f"  (also saved in {credentials})\n{bar}\n"
        )
