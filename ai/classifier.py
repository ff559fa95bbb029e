"""Reply classification's public services.

`reply_classify` gives the label at receive time from the local rules — the IMAP sync never
waits on HTTP. `reply_refine` is what the refinement task calls when the workspace has a remote
provider: the redacted new text and subject go to the model with the built-in and the
workspace's custom labels, and the answer comes back as label, confidence and a one-line reason
(or None when only the local rules are available, or the provider fell back to them).
"""

from __future__ import annotations

from collections.abc import Iterable

from ai.labels import DESCRIPTIONS, ReplyLabel
from ai.models import CustomLabel, Purpose
from ai.providers.base import ReplyVerdict
from ai.providers.local import LocalProvider
from ai.redaction import Redactor
from ai.services import ai_call, remote_provider_for

_local = LocalProvider()


def reply_classify(*, text: str, subject: str = "", auto: bool = False, workspace=None) -> str:
    """One of the reply labels for the new text of a reply (quoted history already removed)."""
    return _local.classify_reply(text=text, subject=subject, auto=auto).value.label


def labels_for(workspace) -> dict[str, str]:
    """The labels a model may choose from: the built-in ones and the workspace's own."""
    labels = {str(k): v for k, v in DESCRIPTIONS.items()}
    if workspace is not None:
        for custom in CustomLabel.objects.for_workspace(workspace):
            labels.setdefault(custom.name, custom.description)
    return labels


def reply_refine(
    *, workspace, text: str, subject: str = "", known_values: Iterable[str] = ()
) -> ReplyVerdict | None:
    """The remote provider's label for a reply, or None when none answered."""
    remote = remote_provider_for(workspace)
    if remote is None:
        return None
    redactor = Redactor(known_values)
    answer = ai_call(
        workspace=workspace,
        purpose=Purpose.CLASSIFY,
        remote=remote,
        run=lambda provider: provider.classify_reply(
            text=redactor.redact(text),
            subject=redactor.redact(subject),
            labels=labels_for(workspace),
        ),
        local=lambda: _local.classify_reply(text=text, subject=subject),
    )
    if answer.provider == _local.name:
        return None
    verdict: ReplyVerdict = answer.value
    return ReplyVerdict(verdict.label, verdict.confidence, redactor.restore(verdict.reason),
                        provider=answer.provider)  # fmt: skip


def label_choices(workspace) -> list[tuple[str, str]]:
    """(value, name) of every label a person may give a reply: the built-in ones, then the
    workspace's own (shown by their name)."""
    custom = CustomLabel.objects.for_workspace(workspace).exclude(name__in=ReplyLabel.values)
    return [*ReplyLabel.choices, *((label.name, label.name) for label in custom)]


__all__ = ["ReplyLabel", "label_choices", "labels_for", "reply_classify", "reply_refine"]
