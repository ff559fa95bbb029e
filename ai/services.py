"""Which provider answers, within what budget, and what happens when it fails.

`ai_call` is the one road to a remote provider: it checks the workspace's per-minute limit and
monthly budget, retries timeouts, 429s (honouring `Retry-After`), 5xx, malformed and refused
answers within `AI_MAX_ATTEMPTS` and `AI_RETRY_BUDGET_SECONDS`, and then lets the local
provider answer — recording every call, and every fallback, as a `Usage` row. It never raises
for a provider's failure when a local answer exists, so no worker crashes and no launch sticks.
Redaction is the caller's job (`ai.redaction`), done before the text reaches `run`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ai.models import AISettings, ProviderKey, Purpose, Usage
from ai.providers.base import Answer, Provider, ProviderError
from ai.providers.local import LocalProvider
from billing.services import usage_charge

log = logging.getLogger(__name__)


def ai_settings_of(workspace) -> AISettings:
    """The workspace's AI settings (defaults, unsaved, when it never changed them)."""
    found = AISettings.objects.filter(workspace=workspace).first()
    return found or AISettings(workspace=workspace)


def remote_provider_for(workspace) -> Provider | None:
    """The remote provider the workspace uses, or None when only the local one answers."""
    if workspace is None:
        return None
    chosen = ai_settings_of(workspace)
    if chosen.provider == AISettings.Provider.LOCAL:
        return None
    if chosen.provider == AISettings.Provider.OPENAI:
        key = ProviderKey.objects.filter(workspace=workspace, provider="openai").first()
        if key is None:
            return None
        from ai.providers.openai import OpenAIProvider

        return OpenAIProvider(api_key=key.secret, model=chosen.openai_model)
    if settings.GEMINI_API_KEY:
        from ai.providers.gemini import GeminiProvider

        return GeminiProvider(api_key=settings.GEMINI_API_KEY)
    return None


def has_remote_provider(workspace) -> bool:
    """Whether a remote provider would answer for the workspace (no client is built)."""
    if workspace is None:
        return False
    chosen = ai_settings_of(workspace)
    if chosen.provider == AISettings.Provider.LOCAL:
        return False
    if chosen.provider == AISettings.Provider.OPENAI:
        return ProviderKey.objects.filter(workspace=workspace, provider="openai").exists()
    return bool(settings.GEMINI_API_KEY)


def provider_name_for(workspace) -> str:
    """Which provider answers for the workspace, as the pages say it."""
    remote = remote_provider_for(workspace)
    return remote.name if remote else LocalProvider.name


def _month_start():
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def remote_calls_this_month(workspace) -> int:
    return (
        Usage.objects.for_workspace(workspace)
        .filter(created_at__gte=_month_start(), fell_back_from="")
        .exclude(provider=LocalProvider.name)
        .count()
    )


def usage_this_month(*, workspace) -> list[dict]:
    """Calls and tokens this month by purpose and provider, for Settings → AI and billing."""
    rows = (
        Usage.objects.for_workspace(workspace)
        .filter(created_at__gte=_month_start())
        .values("purpose", "provider")
        .annotate(calls=Count("id"), tokens_in=Sum("input_tokens"), tokens_out=Sum("output_tokens"))
        .order_by("purpose", "provider")
    )
    labels = dict(Purpose.choices)
    return [{**row, "purpose_label": labels.get(row["purpose"], row["purpose"])} for row in rows]


def _within_rate(workspace, limit: int) -> bool:
    """Count one call in this minute's window; False when the window is full."""
    key = f"ai:rate:{workspace.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        return True


def ai_call(
    *,
    workspace,
    purpose: str,
    run: Callable[[Provider], Answer],
    local: Callable[[], Answer] | None,
    remote: Provider | None = None,
) -> Answer:
    """Answer with the workspace's remote provider if it can, else locally; record the call.

    `local` is None for what only a remote model can do (writing): then a failure raises the
    last ProviderError for the caller to show.
    """
    remote = remote or remote_provider_for(workspace)
    if remote is None:
        if local is None:
            raise ProviderError(_("No AI provider is configured for writing."), kind="unavailable")
        return local()
    chosen = ai_settings_of(workspace)
    failure: ProviderError | None = None
    attempts = 0
    if remote_calls_this_month(workspace) >= chosen.monthly_call_budget:
        failure = ProviderError(_("This month's AI budget is used up."), kind="budget")
    elif not _within_rate(workspace, chosen.per_minute_limit):
        failure = ProviderError(_("Too many AI calls this minute."), kind="rate_limit")
    else:
        deadline = time.monotonic() + settings.AI_RETRY_BUDGET_SECONDS
        while attempts < settings.AI_MAX_ATTEMPTS:
            attempts += 1
            try:
                answer = run(remote)
            except ProviderError as exc:
                failure = exc
                log.warning("AI %s call to %s failed (%s), attempt %d", purpose, remote.name,
                            exc.kind, attempts)  # fmt: skip
                if not exc.retryable or attempts >= settings.AI_MAX_ATTEMPTS:
                    break
                wait = exc.retry_after if exc.retry_after is not None else 0.5 * 2 ** (attempts - 1)
                if time.monotonic() + wait + 1 > deadline:
                    break
                time.sleep(wait)
                continue
            with transaction.atomic():  # recorded and charged together
                usage = Usage.objects.create(
                    workspace=workspace,
                    purpose=purpose,
                    provider=answer.provider,
                    model=answer.model[:60],
                    input_tokens=answer.input_tokens,
                    output_tokens=answer.output_tokens,
                    attempts=attempts,
                )
                if remote.name != "openai":  # the operator's provider; a workspace's own key is not
                    usage_charge(workspace=workspace, purpose=purpose, reference=f"ai:{usage.pk}")
            return answer
    assert failure is not None
    if local is None:
        Usage.objects.create(workspace=workspace, purpose=purpose, provider=remote.name,
                             model=remote.model[:60], attempts=attempts, error=failure.kind,
                             fell_back_from=remote.name)  # fmt: skip
        raise failure
    answer = local()
    Usage.objects.create(
        workspace=workspace,
        purpose=purpose,
        provider=answer.provider,
        model=answer.model,
        attempts=attempts,
        fell_back_from=remote.name,
        error=failure.kind,
    )
    return answer


def provider_key_save(*, workspace, secret: str, model: str) -> ProviderKey:
    """Check the key with one cheap call, then store it encrypted; ProviderError if it fails."""
    from ai.providers.openai import OpenAIProvider

    OpenAIProvider(api_key=secret, model=model, timeout=10).verify()
    key, _ = ProviderKey.objects.update_or_create(
        workspace=workspace,
        provider="openai",
        defaults={"secret": secret, "checked_at": timezone.now()},
    )
    Usage.objects.create(workspace=workspace, purpose=Purpose.TEST, provider="openai", model=model)
    return key
