"""The operator's built-in Gemini key, through the official `google-genai` SDK.

`generateContent` with `responseMimeType: application/json` and a `responseJsonSchema`, so the
answer is parsed, not scraped. The SDK's retries are limited to one attempt: retrying within a
budget and falling back belong to `ai/services.py`.
"""

from __future__ import annotations

import httpx
import httpx2
from django.conf import settings
from django.utils.translation import gettext as _
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ai.providers.base import Completion, ProviderError, RemoteProvider, parse_json_object

MODELS = ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"]
DEFAULT_MODEL = MODELS[0]


def _retry_after(exc: genai_errors.APIError) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        value = headers.get("retry-after")
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


class GeminiProvider(RemoteProvider):
    name = "gemini"

    def __init__(self, *, api_key: str, model: str = "", timeout: float | None = None):
        self.model = model or settings.GEMINI_MODEL or DEFAULT_MODEL
        seconds = timeout or settings.AI_TIMEOUT_SECONDS
        self.client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=settings.GEMINI_BASE_URL or None,
                timeout=int(seconds * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )

    def _call(self, fn, **kwargs):
        try:
            return fn(**kwargs)
        except (httpx.TimeoutException, httpx2.TimeoutException) as exc:
            raise ProviderError(_("Gemini did not answer in time."), kind="timeout") from exc
        except (httpx.TransportError, httpx2.TransportError) as exc:
            raise ProviderError(_("Gemini could not be reached."), kind="network") from exc
        except genai_errors.ServerError as exc:
            raise ProviderError(
                _("Gemini failed (%(code)s).") % {"code": exc.code},
                kind="server",
                retry_after=_retry_after(exc),
            ) from exc
        except genai_errors.ClientError as exc:
            if exc.code == 429:
                raise ProviderError(
                    _("Gemini is rate limiting the platform key."),
                    kind="rate_limited",
                    retry_after=_retry_after(exc),
                ) from exc
            if exc.code in (401, 403):
                raise ProviderError(_("Gemini refused the API key."), kind="auth") from exc
            raise ProviderError(_("Gemini refused the request (%(code)s).") % {"code": exc.code},
                                kind="bad_request") from exc  # fmt: skip
        except (ValueError, genai_errors.APIError) as exc:
            raise ProviderError(_("Gemini's answer was malformed."), kind="malformed") from exc

    def complete(self, *, system: str, user: str, schema_name: str, schema: dict) -> Completion:
        response = self._call(
            self.client.models.generate_content,
            model=self.model,
            contents=user,
            config=types.GenerateContentConfig(
                system_instruction=system,
                response_mime_type="application/json",
                response_json_schema=schema,
                temperature=0.2,
            ),
        )
        feedback = getattr(response, "prompt_feedback", None)
        if feedback is not None and feedback.block_reason:
            raise ProviderError(_("Gemini refused the prompt."), kind="refused")
        candidates = response.candidates or []
        if not candidates:
            raise ProviderError(_("Gemini's answer had no candidates."), kind="malformed")
        reason = candidates[0].finish_reason
        reason = getattr(reason, "value", reason) or "STOP"
        if reason in ("SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"):
            raise ProviderError(_("Gemini refused to answer."), kind="refused")
        if reason == "MAX_TOKENS":
            raise ProviderError(_("The answer was cut off."), kind="malformed")
        parts = (candidates[0].content.parts if candidates[0].content else None) or []
        text = "".join(part.text or "" for part in parts)
        usage = response.usage_metadata
        return Completion(
            data=parse_json_object(text),
            model=response.model_version or self.model,
            input_tokens=getattr(usage, "prompt_token_count", 0) or 0,
            output_tokens=getattr(usage, "candidates_token_count", 0) or 0,
        )

    def verify(self) -> None:
        self._call(self.client.models.get, model=self.model)
