"""Fake OpenAI and Gemini APIs on 127.0.0.1, speaking their real wire formats.

- OpenAI: `POST /v1/chat/completions` answers a `chat.completion` object (choices[0].message
  .content holding the JSON the request's `response_format.json_schema` asked for, `refusal`,
  `finish_reason`, `usage`); `GET /v1/models/<id>` answers a `model` object; errors are
  `{"error": {"message", "type", "param", "code"}}` with the HTTP status, 429 with `Retry-After`.
- Gemini: `POST /v1*/models/<model>:generateContent` answers `candidates[0].content.parts[0]
  .text`, `finishReason`, `usageMetadata`, `modelVersion`; `GET /v1*/models/<model>` a model;
  errors are `{"error": {"code", "message", "status"}}`.

Every request body is recorded (`server.bodies`), so tests can prove what left the machine.
Switches: `fail(status, times=1, retry_after=None)`, `slow(seconds, times=1)`,
`malformed(times=1)`, `refuse(times=1)`; `answers` queues JSON objects to answer with, and
without one the server answers like a cautious model would (see `default_answer`).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ABUSE_WORDS = ("password", "wallet", "gift card", "verify your account", "bitcoin")


def default_answer(schema_name: str, text: str) -> dict:
    """A plausible structured answer for what was asked, from the request text alone."""
    lowered = text.lower()
    if schema_name == "reply_label":
        if (
            any(w in lowered for w in ("call", "talk", "interested"))
            and "not interested" not in lowered
        ):
            return {"label": "interested", "confidence": 0.91, "reason": "Asks for a call."}
        return {"label": "neutral", "confidence": 0.55, "reason": "No clear intent."}
    if schema_name == "content_verdict":
        hit = [w for w in ABUSE_WORDS if w in lowered]
        return {
            "blocked": bool(hit),
            "categories": ["phishing"] if hit else [],
            "score": 0.95 if hit else 0.02,
            "reason": "Asks for credentials." if hit else "Ordinary outreach.",
        }
    # email_copy: keeps any private placeholder the brief carried, as a model is told to
    kept = " ".join(dict.fromkeys(re.findall(r"\[[A-Z]+_\d+\]", text)))
    return {
        "subjects": [
            "{Quick|Short} question, {{first_name|there}}",
            "Idea for {{company|your team}}",
        ],
        "body": "{Hi|Hello} {{first_name|there}},\n\nWe help teams like {{company|your team}} send "
        "invoices in minutes.\n\n{Open to|Up for} a short call next week?"
        + (f"\n\nReach me at {kept}." if kept else ""),
    }


class _FakeAPI:
    kind = ""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: deque[dict | str] = deque()
        self._faults: deque[tuple[str, dict]] = deque()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                # Headers and body go out as two writes: without this, Nagle and delayed ACKs
                # add ~40 ms to every answer on loopback.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                owner._handle(self, "GET", b"")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner._handle(self, "POST", self.rfile.read(length))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- switches ----------------------------------------------------------------------------
    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        for _ in range(times):
            self._faults.append(("fail", {"status": status, "retry_after": retry_after}))

    def slow(self, seconds: float, *, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(("slow", {"seconds": seconds}))

    def malformed(self, *, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(("malformed", {}))

    def refuse(self, *, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(("refuse", {}))

    # --- life --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def bodies(self) -> list[str]:
        """Every request body as received (raw text), for redaction checks."""
        return [r["raw"] for r in self.requests]

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- handling ----------------------------------------------------------------------------
    def _handle(self, handler, method: str, raw: bytes) -> None:
        with self._lock:
            self.requests.append(
                {
                    "method": method,
                    "path": handler.path,
                    "headers": {k.lower(): v for k, v in handler.headers.items()},
                    "raw": raw.decode("utf-8", "replace"),
                }
            )
            fault = self._faults.popleft() if self._faults else None
            queued = self.answers.popleft() if self.answers and method == "POST" else None
        if fault and fault[0] == "slow":
            time.sleep(fault[1]["seconds"])
            fault = None
        if fault and fault[0] == "fail":
            status, body = self.error(fault[1]["status"])
            headers = {"Retry-After": fault[1]["retry_after"]} if fault[1]["retry_after"] else {}
            return self._send(handler, status, body, headers)
        status, body = self.route(handler.path, method, raw, fault and fault[0], queued)
        self._send(handler, status, body)

    def _send(self, handler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    @staticmethod
    def _content(fault: str | None, queued, schema_name: str, text: str) -> str:
        if fault == "malformed":
            return '{"label": "interested", "confidence": '  # cut off mid-object
        if queued is not None:
            return queued if isinstance(queued, str) else json.dumps(queued)
        return json.dumps(default_answer(schema_name, text))


class FakeOpenAI(_FakeAPI):
    kind = "openai"
    ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error",
                   404: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error",
                   503: "server_error"}  # fmt: skip

    def error(self, status: int) -> tuple[int, dict]:
        messages = {401: "Incorrect API key provided.", 429: "Rate limit reached for requests."}
        return status, {
            "error": {
                "message": messages.get(status, "The server had an error while processing."),
                "type": self.ERROR_TYPES.get(status, "server_error"),
                "param": None,
                "code": "invalid_api_key" if status == 401 else None,
            }
        }

    def route(self, path, method, raw, fault, queued) -> tuple[int, dict]:
        match = re.fullmatch(r"/v1/models/([\w.\-]+)", path)
        if method == "GET" and match:
            return 200, {"id": match[1], "object": "model", "created": 1715367049,
                         "owned_by": "system"}  # fmt: skip
        if method != "POST" or path != "/v1/chat/completions":
            return self.error(404)
        request = json.loads(raw)
        schema = request["response_format"]["json_schema"]
        text = "\n".join(m["content"] for m in request["messages"] if m["role"] == "user")
        message = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
        if fault == "refuse":
            message["refusal"] = "I'm sorry, I can't help with that."
        else:
            message["content"] = self._content(fault, queued, schema["name"], text)
        return 200, {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request["model"] + "-2024-07-18",
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": len(raw) // 4,
                "completion_tokens": 42,
                "total_tokens": len(raw) // 4 + 42,
            },  # fmt: skip
            "system_fingerprint": "fp_fake",
        }


class FakeGemini(_FakeAPI):
    kind = "gemini"
    STATUSES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                503: "UNAVAILABLE"}  # fmt: skip

    def error(self, status: int) -> tuple[int, dict]:
        return status, {
            "error": {
                "code": status,
                "message": "Resource has been exhausted (e.g. check quota)."
                if status == 429
                else "An internal error has occurred.",
                "status": self.STATUSES.get(status, "INTERNAL"),
            }
        }

    def route(self, path, method, raw, fault, queued) -> tuple[int, dict]:
        match = re.fullmatch(r"/v1(?:beta)?/models/([\w.\-]+)(:generateContent)?", path)
        if not match:
            return self.error(404)
        if method == "GET" and not match[2]:
            return 200, {"name": f"models/{match[1]}", "displayName": match[1],
                         "supportedGenerationMethods": ["generateContent"]}  # fmt: skip
        if method != "POST" or not match[2]:
            return self.error(404)
        request = json.loads(raw)
        text = "\n".join(
            part.get("text", "") for c in request["contents"] for part in c.get("parts", [])
        )
        schema = request["generationConfig"].get("responseJsonSchema", {})
        names = set(schema.get("properties", {}))
        schema_name = (
            "reply_label" if "label" in names
            else "content_verdict" if "blocked" in names else "email_copy"
        )  # fmt: skip
        usage = {"promptTokenCount": len(raw) // 4, "candidatesTokenCount": 40,
                 "totalTokenCount": len(raw) // 4 + 40}  # fmt: skip
        if fault == "refuse":
            return 200, {
                "promptFeedback": {"blockReason": "SAFETY"},
                "usageMetadata": usage,
                "modelVersion": match[1],
            }
        return 200, {
            "candidates": [
                {
                    "content": {
                        "parts": [{"text": self._content(fault, queued, schema_name, text)}],
                        "role": "model",
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": usage,
            "modelVersion": match[1],
            "responseId": "fake-response-1",
        }
