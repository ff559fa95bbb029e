"""System checks guarding the tenancy invariant (DESIGN §5.3)."""

from django.apps import apps
from django.core import checks

OUR_APPS = {"accounts", "campaigns", "smtp_accounts", "ai", "billing", "privacy"}
# Models that are not workspace data: people and workspaces themselves, and the tracking
# buffer (raw hits that only the flush task reads, for seconds, before they become events),
# and operator data: the purge's counters and the published policy versions. A person's own
# settings across workspaces (notification choices, the days their digest went) are theirs, like
# the User row, and go with it.
NOT_TENANT_DATA = {
    "accounts.User",
    "accounts.NotificationPreference",
    "accounts.NotificationDigest",
    "accounts.Workspace",
    "campaigns.TrackingHit",
    "privacy.PurgeRun",
    "privacy.PolicyVersion",
}


@checks.register(checks.Tags.models)
def check_models_reach_a_workspace(app_configs, **kwargs):
    """Every model of ours holding user data must be reachable through for_workspace()."""
    errors = []
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        if model._meta.app_label not in OUR_APPS or label in NOT_TENANT_DATA:
            continue
        if not hasattr(model._default_manager, "for_workspace"):
            errors.append(
                checks.Error(
                    f"{label} has no for_workspace() on its default manager.",
                    hint="Use core.tenancy.WorkspaceManager and set workspace_path.",
                    obj=model,
                    id="postigo.E001",
                )
            )
    return errors
