"""One small interface for every AI provider, and its one domain error.

A provider does three things: label a reply, judge content, write copy. Remote providers
(gemini, openai) only implement `complete` — one structured call with a JSON schema — and this
base turns it into the three operations, validating every answer against what was asked, so a
malformed answer is a `ProviderError`, never a half-parsed verdict. Retrying, budgets and the
fall back to the local provider live in `ai/services.py`, not here.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# The abuse categories a verdict may name (the list), with a plain explanation each.
CATEGORIES = {
    "phishing": "asks for passwords or logins, or leads to a page that imitates a login",
    "fraud": "a scam: advance fees, fake invoices, promised returns, gift-card requests",
    "malware": "links to or attaches executables or macro documents",
    "extortion": "threats to publish, leak or harm unless paid",
    "illegal_goods": "sells drugs, weapons, counterfeit documents or stolen data",
    "adult": "sexual content",
    "impersonation": "poses as a bank, courier, tax office or well-known brand",
}


class ProviderError(Exception):
    """A provider could not give a usable answer. `kind` says why; never holds a secret."""

    RETRYABLE = frozenset({"timeout", "rate_limited", "server", "malformed", "refused", "network"})

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE


@dataclass(frozen=True)
class Completion:
    """One structured answer of a remote model, parsed from JSON."""

    data: dict
    model: str
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class ReplyVerdict:
    label: str
    confidence: float
    reason: str
    provider: str = ""


@dataclass(frozen=True)
class ContentVerdict:
    blocked: bool
    categories: tuple[str, ...]
    score: float
    reason: str
    provider: str = "local"
    model: str = ""
    signals: tuple[str, ...] = ()  # what the local filter saw (for the operator), never sent


@dataclass(frozen=True)
class Copy:
    subjects: list[str]
    body: str


@dataclass(frozen=True)
class Answer:
    """What an operation returns: the value and what it cost."""

    value: object
    provider: str
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    extra: dict = field(default_factory=dict)


REPLY_SCHEMA_NAME = "reply_label"
CONTENT_SCHEMA_NAME = "content_verdict"
COPY_SCHEMA_NAME = "email_copy"


def reply_schema(labels: dict[str, str]) -> dict:
    return {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": sorted(labels)},
            "confidence": {"type": "number"},
            "reason": {"type": "string"},
        },
        "required": ["label", "confidence", "reason"],
        "additionalProperties": False,
    }


CONTENT_SCHEMA = {
    "type": "object",
    "properties": {
        "blocked": {"type": "boolean"},
        "categories": {"type": "array", "items": {"type": "string", "enum": sorted(CATEGORIES)}},
        "score": {"type": "number"},
        "reason": {"type": "string"},
    },
    "required": ["blocked", "categories", "score", "reason"],
    "additionalProperties": False,
}

COPY_SCHEMA = {
    "type": "object",
    "properties": {
        "subjects": {"type": "array", "items": {"type": "string"}},
        "body": {"type": "string"},
    },
    "required": ["subjects", "body"],
    "additionalProperties": False,
}

REPLY_SYSTEM = (
    "You label replies to cold sales emails. Choose exactly one label from the list and give "
    "your confidence (0 to 1) and a one-line reason in English. Placeholders in square "
    "brackets stand for removed personal data.\nLabels:\n{labels}"
)
CONTENT_SYSTEM = (
    "You review outgoing cold emails for abuse before they are sent. Block only: "
    + "; ".join(f"{name} ({text})" for name, text in CATEGORIES.items())
    + ". Ordinary sales outreach (software, services, free trials, prices, links, deadlines) "
    "is legitimate. Answer with blocked, the categories, a score from 0 (clean) to 1 (certain "
    "abuse) and a one-line reason. Text in {{ }} is a merge field, { | } a spintax choice."
)
COPY_SYSTEM = (
    "You write cold outreach emails. Return several subject lines and one body. Where wordings "
    "may differ, write spintax groups like {Hi|Hello}. Address the reader only with merge "
    "fields, each with a fallback: {{first_name|there}}, {{company|your team}}; never invent "
    "names or personal data. "
    "Plain text, short paragraphs, one clear call to action. No links unless the brief gives "
    "one. Placeholders in square brackets stand for data kept private: keep them as they are."
)


class Provider(ABC):
    name: str = ""
    model: str = ""

    @abstractmethod
    def classify_reply(self, *, text: str, subject: str, labels: dict[str, str]) -> Answer: ...

    @abstractmethod
    def check_content(self, *, subject: str, body: str) -> Answer: ...

    @abstractmethod
    def generate_copy(self, *, brief: str, previous: list[str] | None = None) -> Answer: ...


class RemoteProvider(Provider):
    """A vendor's model behind one structured call; the operations are prompts and schemas."""

    @abstractmethod
    def complete(self, *, system: str, user: str, schema_name: str, schema: dict) -> Completion:
        """One call; raises ProviderError for anything but a parsed JSON object."""

    @abstractmethod
    def verify(self) -> None:
        """One cheap call proving the key works; raises ProviderError."""

    def _answer(self, value, completion: Completion) -> Answer:
        return Answer(
            value=value,
            provider=self.name,
            model=completion.model or self.model,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
        )

    def classify_reply(self, *, text: str, subject: str, labels: dict[str, str]) -> Answer:
        listed = "\n".join(f"- {name}: {text}" for name, text in labels.items())
        completion = self.complete(
            system=REPLY_SYSTEM.format(labels=listed),
            user=f"Subject: {subject}\n\n{text}",
            schema_name=REPLY_SCHEMA_NAME,
            schema=reply_schema(labels),
        )
        data = completion.data
        label, confidence = data.get("label"), data.get("confidence")
        if label not in labels or not isinstance(confidence, int | float):
            raise ProviderError(
                _("The reply label answer does not fit its schema."), kind="malformed"
            )
        verdict = ReplyVerdict(
            label=label,
            confidence=min(max(float(confidence), 0.0), 1.0),
            reason=str(data.get("reason", ""))[:200].strip(),
        )
        return self._answer(verdict, completion)

    def check_content(self, *, subject: str, body: str) -> Answer:
        completion = self.complete(
            system=CONTENT_SYSTEM,
            user=f"Subject: {subject}\n\n{body}",
            schema_name=CONTENT_SCHEMA_NAME,
            schema=CONTENT_SCHEMA,
        )
        data = completion.data
        blocked, score, categories = data.get("blocked"), data.get("score"), data.get("categories")
        if (
            not isinstance(blocked, bool)
            or not isinstance(score, int | float)
            or not isinstance(categories, list)
            or any(c not in CATEGORIES for c in categories)
        ):
            raise ProviderError(_("The content verdict does not fit its schema."), kind="malformed")
        verdict = ContentVerdict(
            blocked=blocked,
            categories=tuple(dict.fromkeys(categories)),
            score=min(max(float(score), 0.0), 1.0),
            reason=str(data.get("reason", ""))[:300].strip(),
            provider=self.name,
            model=completion.model or self.model,
        )
        return self._answer(verdict, completion)

    def generate_copy(self, *, brief: str, previous: list[str] | None = None) -> Answer:
        user = brief
        if previous:
            steps = "\n\n".join(f"--- Step {i} ---\n{text}" for i, text in enumerate(previous, 1))
            user = f"{brief}\n\nWrite the next follow-up after these steps:\n{steps}"
        completion = self.complete(
            system=COPY_SYSTEM, user=user, schema_name=COPY_SCHEMA_NAME, schema=COPY_SCHEMA
        )
        data = completion.data
        subjects, body = data.get("subjects"), data.get("body")
        if (
            not isinstance(subjects, list)
            or not all(isinstance(s, str) and s.strip() for s in subjects)
            or not isinstance(body, str)
            or not body.strip()
        ):
            raise ProviderError(_("The written copy does not fit its schema."), kind="malformed")
        return self._answer(Copy(subjects=[s.strip() for s in subjects], body=body), completion)


def parse_json_object(text: str | None) -> dict:
    """The model's text as a JSON object, or a 'malformed' ProviderError."""
    if not text:
        raise ProviderError(_("The answer was empty."), kind="malformed")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProviderError(_("The answer was not valid JSON."), kind="malformed") from exc
    if not isinstance(data, dict):
        raise ProviderError(_("The answer was not a JSON object."), kind="malformed")
    return data
