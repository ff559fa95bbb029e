"""The banner announcing a policy change that takes effect soon."""

from privacy.policies import upcoming_policies


def policy_notice(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"policy_notices": upcoming_policies()}
