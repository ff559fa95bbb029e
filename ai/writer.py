"""AI writing: subject lines and a body, as spintax with merge fields, from a brief.

The brief (what is offered, to whom, tone, length, language, call to action) is redacted like
any text (an email address or phone number in it becomes a placeholder and is restored in the
copy). The model is told to address the reader only through merge fields, so no lead data is
ever asked for or produced. The caller (the sequence editor) validates the copy with the
template parser and passes it through the content filter before inserting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai.models import Purpose
from ai.providers.base import Copy
from ai.redaction import Redactor
from ai.services import ai_call

TONES = ["friendly", "formal", "direct", "playful"]
LENGTHS = {"short": "under 80 words", "medium": "80 to 130 words", "long": "130 to 200 words"}
LANGUAGES = ["English", "German", "French", "Spanish", "Italian", "Dutch", "Polish", "Portuguese"]


@dataclass(frozen=True)
class Brief:
    offer: str
    audience: str
    tone: str = "friendly"
    length: str = "short"
    language: str = "English"
    call_to_action: str = "a 15-minute call"

    def as_prompt(self) -> str:
        return (
            f"Offer: {self.offer}\nAudience: {self.audience}\nTone: {self.tone}\n"
            f"Length: {LENGTHS.get(self.length, self.length)}\nLanguage: {self.language}\n"
            f"Call to action: {self.call_to_action}\n"
            "Return 3 to 5 subject lines and one body."
        )


def copy_write(*, workspace, brief: Brief, previous: list[str] | None = None) -> tuple[Copy, str]:
    """Subject lines and a body from the workspace's provider, and who wrote them.

    Raises ProviderError when no remote provider is configured or it fails within its budget.
    """
    redactor = Redactor()
    prompt = redactor.redact(brief.as_prompt())
    earlier = [redactor.redact(text) for text in previous or []]
    answer = ai_call(
        workspace=workspace,
        purpose=Purpose.WRITE,
        run=lambda provider: provider.generate_copy(brief=prompt, previous=earlier or None),
        local=None,
    )
    copy: Copy = answer.value
    restored = Copy(
        subjects=[redactor.restore(s) for s in copy.subjects][:5],
        body=redactor.restore(copy.body),
    )
    return restored, answer.provider
