"""The content filter's public services: judge a message, gate a campaign's variants.

`content_check` is what the rest of the code, the benchmarks and outside checks call: without a
workspace (or without a remote provider) the local rules answer; with one, the workspace's
provider answers on redacted text, and the local rules still see the original — a message is
blocked when either blocks it, so a lenient model never lets through what the rules catch.
`content_check_local` is the send-time check (merge values a CSV filled): no remote call on the
hot path. `content_gate` checks every variant of a campaign at launch, keeps a
`BlockedSnapshot` of what it blocks, and skips content an operator already released.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.utils.translation import gettext as _

from ai.content_rules import URL
from ai.models import BlockedSnapshot, Purpose
from ai.providers.base import ContentVerdict
from ai.providers.local import LocalProvider
from ai.redaction import Redactor
from ai.services import ai_call

_local = LocalProvider()


def content_check_local(*, subject: str, body: str) -> ContentVerdict:
    """The local rules only: for the send path, where no remote call may wait."""
    return _local.check_content(subject=subject, body=body).value


def content_check(
    *, subject: str, body: str, workspace=None, known_values: Iterable[str] = ()
) -> ContentVerdict:
    """A verdict on one message: `.blocked`, `.categories`, `.score`, `.provider`."""
    local_verdict = content_check_local(subject=subject, body=body)
    if workspace is None:
        return local_verdict
    redactor = Redactor(known_values)
    answer = ai_call(
        workspace=workspace,
        purpose=Purpose.CONTENT,
        run=lambda provider: provider.check_content(
            subject=redactor.redact(subject), body=redactor.redact(body)
        ),
        local=lambda: _local.check_content(subject=subject, body=body),
    )
    verdict: ContentVerdict = answer.value
    if verdict.provider == _local.name or verdict.blocked or not local_verdict.blocked:
        return replace(verdict, signals=local_verdict.signals)
    return local_verdict


@dataclass(frozen=True)
class Gate:
    """The outcome of checking a campaign's content: what was blocked, and why."""

    blocked: list[BlockedSnapshot]
    provider: str

    @property
    def passed(self) -> bool:
        return not self.blocked

    def explanation(self) -> str:
        """A plain sentence for the user: what was held and what happens next."""
        if not self.blocked:
            return ""
        first = self.blocked[0]
        names = ", ".join(c.replace("_", " ") for c in first.categories) or _("abuse")
        # The variant as written and its renderings share a subject: count subjects, not rows.
        others = len({snapshot.subject for snapshot in self.blocked}) - 1
        more = _(" (and %(count)d more)") % {"count": others} if others > 0 else ""
        return _(
            "Held for review: the content filter judged “%(subject)s”%(more)s as "
            "possible %(categories)s. %(reason)s An operator will look at it; you will be told "
            "the outcome, and you can edit the step meanwhile."
        ) % {
            "subject": first.subject[:60],
            "more": more,
            "categories": names,
            "reason": first.reason,
        }


def content_gate(
    *,
    workspace,
    variants: Iterable[tuple[str, str]],
    stage: str,
    campaign_id: int | None = None,
    campaign_name: str = "",
) -> Gate:
    """Check each (subject, body); keep a snapshot of each blocked one not already released."""
    blocked: list[BlockedSnapshot] = []
    provider = _local.name
    seen: set[str] = set()
    for subject, body in variants:
        digest = BlockedSnapshot.hash_of(subject, body)
        if digest in seen:
            continue
        seen.add(digest)
        released = BlockedSnapshot.objects.for_workspace(workspace).filter(
            content_hash=digest, status=BlockedSnapshot.Status.RELEASED
        )
        if released.exists():
            continue
        verdict = content_check(subject=subject, body=body, workspace=workspace)
        provider = verdict.provider
        if not verdict.blocked:
            continue
        snapshot = BlockedSnapshot.objects.filter(
            workspace=workspace, content_hash=digest, campaign_id=campaign_id,
            status=BlockedSnapshot.Status.HELD,
        ).first()  # fmt: skip
        if snapshot is None:
            snapshot = BlockedSnapshot.objects.create(
                workspace=workspace,
                campaign_id=campaign_id,
                campaign_name=campaign_name[:200],
                stage=stage,
                subject=subject,
                body=body,
                links=links_of(body),
                categories=list(verdict.categories),
                score=verdict.score,
                reason=verdict.reason,
                provider=verdict.provider,
                model=verdict.model,
                content_hash=digest,
            )
        blocked.append(snapshot)
    return Gate(blocked=blocked, provider=provider)


_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def links_of(body: str) -> list[str]:
    """Every link of a body (href targets and plain URLs), in order, once each."""
    return list(dict.fromkeys([*_HREF.findall(body), *URL.findall(body)]))
