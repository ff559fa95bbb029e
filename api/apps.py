from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = gettext_lazy("API and webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api.privacy import WebhookShredder
        from privacy.registry import register

        register(WebhookShredder)

        from accounts.services import member_left
        from billing.signals import balance_exhausted, balance_low

        member_left.connect(_member_left, dispatch_uid="api.member_left")
        balance_low.connect(_balance_low, dispatch_uid="api.balance_low")
        balance_exhausted.connect(_balance_exhausted, dispatch_uid="api.balance_exhausted")


def _member_left(sender, workspace, user, **kwargs) -> None:
    """A member who leaves or is removed: the keys they made stop working (authentication
    checks the creator's membership on every request) and are marked revoked, so the API page
    says so, with an audit entry for each."""
    from api.models import ApiKey
    from api.services import apikey_revoke

    keys = ApiKey.objects.filter(workspace=workspace, created_by=user, revoked_at__isnull=True)
    for key in keys.select_related("workspace"):
        apikey_revoke(key=key, user=None)


def _balance_low(sender, workspace, balance, **kwargs) -> None:
    _emit_balance(workspace, exhausted=False)


def _balance_exhausted(sender, workspace, **kwargs) -> None:
    _emit_balance(workspace, exhausted=True)


def _emit_balance(workspace, *, exhausted: bool) -> None:
    from api.events import balance_low
    from billing.services import account_for

    account = account_for(workspace)  # locked by the posting transaction that crossed
    balance_low(
        workspace,
        balance=account.balance,
        currency=account.currency,
        threshold=account.low_balance_threshold,
        exhausted=exhausted,
    )
