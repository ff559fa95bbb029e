"""The workspace's own OpenAI key, through the official `openai` SDK (chat completions).

Every call asks for a strict JSON schema (`response_format: json_schema`), so the answer is
parsed, not scraped. The SDK's own retries are off (`max_retries=0`): retrying within a budget
and falling back belong to `ai/services.py`, which sees every failure as a `ProviderError`.
"""

from __future__ import annotations

import openai
from django.conf import settings
from django.utils.translation import gettext as _

from ai.providers.base import Completion, ProviderError, RemoteProvider, parse_json_object

# The short list offered in Settings → AI (cheap, structured-output capable models).
MODELS = ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o"]
DEFAULT_MODEL = MODELS[0]


def _retry_after(response) -> float | None:
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class OpenAIProvider(RemoteProvider):
    name = "openai"

    def __init__(self, *, api_key: str, model: str = DEFAULT_MODEL, timeout: float | None = None):
        self.model = model
        self.client = openai.OpenAI(
            api_key=api_key,
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=timeout or settings.AI_TIMEOUT_SECONDS,
            max_retries=0,
        )

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except openai.APITimeoutError as exc:
            raise ProviderError(_("OpenAI did not answer in time."), kind="timeout") from exc
        except openai.APIConnectionError as exc:
            raise ProviderError(_("OpenAI could not be reached."), kind="network") from exc
        except openai.RateLimitError as exc:
            raise ProviderError(
                _("OpenAI is rate limiting this key."),
                kind="rate_limited",
                retry_after=_retry_after(exc.response),
            ) from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ProviderError(_("OpenAI refused the API key."), kind="auth") from exc
        except openai.NotFoundError as exc:
            raise ProviderError(_("OpenAI does not know this model."), kind="bad_request") from exc
        except openai.InternalServerError as exc:
            raise ProviderError(
                _("OpenAI failed (%(code)s).") % {"code": exc.status_code},
                kind="server",
                retry_after=_retry_after(exc.response),
            ) from exc
        except openai.APIStatusError as exc:
            message = _("OpenAI refused the request (%(code)s).") % {"code": exc.status_code}
            raise ProviderError(message, kind="bad_request") from exc
        except openai.APIResponseValidationError as exc:
            raise ProviderError(_("OpenAI's answer was malformed."), kind="malformed") from exc

    def complete(self, *, system: str, user: str, schema_name: str, schema: dict) -> Completion:
        response = self._call(
            self.client.chat.completions.create,
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            },
            temperature=0.2,
        )
        if not getattr(response, "choices", None):
            raise ProviderError(_("OpenAI's answer had no choices."), kind="malformed")
        choice = response.choices[0]
        if getattr(choice.message, "refusal", None):
            raise ProviderError(_("The model refused to answer."), kind="refused")
        if choice.finish_reason == "content_filter":
            raise ProviderError(_("OpenAI's own filter stopped the answer."), kind="refused")
        if choice.finish_reason == "length":
            raise ProviderError(_("The answer was cut off."), kind="malformed")
        usage = response.usage
        return Completion(
            data=parse_json_object(choice.message.content),
            model=response.model or self.model,
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
        )

    def verify(self) -> None:
        self._call(self.client.models.retrieve, self.model)
