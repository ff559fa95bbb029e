"""A fake OAuth 2.0 / OpenID Connect provider for tests, speaking Google's or Microsoft's wire
format: authorize (a consent page), token (authorization code with PKCE, refresh), revoke
(Google only: Microsoft has none), JWKS, userinfo, and RFC 7662 token introspection (what the
test SMTP server and dovecot check bearer tokens against).

Faults are injected through the server itself: `outage` makes the token endpoint answer 503,
`revoke_account()` revokes every grant of an account as a user would at the provider,
`expire_access_tokens()` ages every access token out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "postigo-test-client"
CLIENT_SECRET = "fake-provider-client-secret"
TENANT = "9f3c2a1e-0000-4000-8000-00000000c0de"
MAIL_SCOPES = {
    "google": "https://mail.google.com/",
    "microsoft": "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All",
}


@dataclass
class Grant:
    email: str
    scope: str
    refresh_token: str
    revoked: bool = False


@dataclass
class Code:
    email: str
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scope: str
    nonce: str
    used: bool = False
    grant: Grant | None = None


@dataclass
class Access:
    grant: Grant
    expires: float


@dataclass
class FakeOAuthProvider:
    """`mode` is "google" or "microsoft"; start() then use `base_url` and `settings()`."""

    mode: str = "google"
    access_ttl: int = 3600
    outage: bool = False  # the token endpoint answers 503
    token_delay: float = 0.0  # seconds the token endpoint takes (to overlap two refreshes)
    accounts: dict[str, str] = field(
        default_factory=lambda: {"sender@acme.example": "Alice from Acme"}
    )
    codes: dict[str, Code] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    access: dict[str, Access] = field(default_factory=dict)
    refreshes: int = 0
    revocations: int = 0
    # What the consent page's user grants: None = everything asked for.
    granted_scope: str | None = None

    def __post_init__(self):
        self.lock = threading.Lock()
        self.key = RSAKey.generate_key(2048, parameters={"kid": "fake-1", "use": "sig"})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    # --- lifecycle and test controls -------------------------------------------------------
    def start(self) -> FakeOAuthProvider:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self, mode: str) -> None:
        with self.lock:
            self.mode, self.outage, self.token_delay, self.access_ttl = mode, False, 0.0, 3600
            self.codes.clear(), self.grants.clear(), self.access.clear()
            self.refreshes = self.revocations = 0
            self.granted_scope = None

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{TENANT}/v2.0" if self.mode == "microsoft" else self.base_url

    def settings(self, smtp: tuple, imap: tuple) -> dict:
        """This provider as an entry of settings.OAUTH_MAILBOX_PROVIDERS."""
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorize_url": f"{self.base_url}/authorize",
            "token_url": f"{self.base_url}/token",
            "revoke_url": f"{self.base_url}/revoke" if self.mode == "google" else "",
            "jwks_url": f"{self.base_url}/jwks",
            "issuers": [f"{self.base_url}/{{tid}}/v2.0"]
            if self.mode == "microsoft"
            else [self.base_url],
            "smtp": smtp,
            "imap": imap,
        }

    def revoke_account(self, email: str) -> None:
        """The user removes the app's access in their account settings."""
        with self.lock:
            for grant in self.grants:
                if grant.email == email:
                    grant.revoked = True

    def expire_access_tokens(self) -> None:
        with self.lock:
            for access in self.access.values():
                access.expires = time.time() - 1

    def introspect(self, token: str) -> dict:
        with self.lock:
            access = self.access.get(token)
            if access is None or access.grant.revoked or access.expires <= time.time():
                return {"active": False}
            return {
                "active": True,
                "email": access.grant.email,
                "sub": _sub(access.grant.email),
                "scope": access.grant.scope,
                "exp": int(access.expires),
                "client_id": CLIENT_ID,
            }

    # --- protocol ------------------------------------------------------------------------
    def _issue(self, grant: Grant) -> str:
        token = "ya29." + secrets.token_urlsafe(32)
        self.access[token] = Access(grant, time.time() + self.access_ttl)
        return token

    def id_token(self, email: str, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": _sub(email),
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 3600,
            "nonce": nonce,
            "name": self.accounts.get(email, ""),
        }
        if self.mode == "microsoft":
            claims |= {"tid": TENANT, "preferred_username": email, "email": email}
        else:
            claims |= {"email": email, "email_verified": True}
        return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, self.key)

    def token(self, form: dict, client_id: str, client_secret: str) -> tuple[int, dict]:
        if self.token_delay:
            time.sleep(self.token_delay)
        if self.outage:
            return 503, {}
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                return self._exchange(form)
            if form.get("grant_type") == "refresh_token":
                return self._refresh(form)
        return 400, {"error": "unsupported_grant_type"}

    def _exchange(self, form: dict) -> tuple[int, dict]:
        code = self.codes.get(form.get("code", ""))
        if code is None:
            return 400, {"error": "invalid_grant", "error_description": "Bad code"}
        if code.used:  # RFC 6749 4.1.2: a code used twice revokes what it gave
            if code.grant is not None:
                code.grant.revoked = True
            return 400, {"error": "invalid_grant", "error_description": "Code already used"}
        code.used = True
        if form.get("redirect_uri") != code.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        if code.method != "S256" or digest.decode() != code.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        grant = Grant(code.email, code.scope, "1//" + secrets.token_urlsafe(32))
        code.grant = grant
        self.grants.append(grant)
        return 200, {
            "access_token": self._issue(grant),
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
            "id_token": self.id_token(code.email, code.nonce),
        }

    def _refresh(self, form: dict) -> tuple[int, dict]:
        grant = next((g for g in self.grants if g.refresh_token == form.get("refresh_token")), None)
        if grant is None or grant.revoked:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        self.refreshes += 1
        answer = {
            "access_token": self._issue(grant),
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
            "scope": grant.scope,
        }
        if self.mode == "microsoft":  # Microsoft rotates the refresh token every time
            grant.refresh_token = "M." + secrets.token_urlsafe(32)
            answer["refresh_token"] = grant.refresh_token
        return 200, answer

    def revoke(self, token: str) -> int:
        with self.lock:
            for grant in self.grants:
                if grant.refresh_token == token:
                    grant.revoked = True
                    self.revocations += 1
                    return 200
            access = self.access.get(token)
            if access is not None:
                access.grant.revoked = True
                self.revocations += 1
                return 200
        return 400


def _sub(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:21]


CONSENT = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in - {provider}</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}</style></head><body>
<h1>{provider}</h1><p>Postigo wants to access your account:</p><ul>{scopes}</ul>
<form method="post" action="/authorize">{hidden}
<label>Account <input name="login" value="{login}"></label>
<button name="decision" value="allow" id="allow">Allow</button>
<button name="decision" value="deny" id="deny">Cancel</button></form></body></html>"""


def _handler(provider: FakeOAuthProvider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body, content_type="application/json", headers=()):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _form(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

        def _client(self, form: dict) -> tuple[str, str]:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _sep, password = base64.b64decode(auth[6:]).decode().partition(":")
                from urllib.parse import unquote_plus

                return unquote_plus(user), unquote_plus(password)
            return form.get("client_id", ""), form.get("client_secret", "")

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/authorize":
                return self._consent(query)
            if url.path == "/jwks":
                return self._send(200, KeySet([provider.key]).as_dict(private=False))
            if url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                info = provider.introspect(token)
                if not info["active"]:
                    return self._send(401, {"error": "invalid_token"})
                return self._send(
                    200, {"sub": info["sub"], "email": info["email"], "email_verified": True}
                )
            return self._send(404, {"error": "not_found"})

        def _consent(self, query: dict):
            if query.get("client_id") != CLIENT_ID:
                return self._send(400, b"unknown client", "text/plain")
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return self._send(400, b"PKCE required", "text/plain")
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            scopes = "".join(f"<li>{html.escape(s)}</li>" for s in query.get("scope", "").split())
            login = query.get("login_hint") or next(iter(provider.accounts))
            page = CONSENT.format(
                provider=provider.mode.title(),
                scopes=scopes,
                hidden=hidden,
                login=html.escape(login),
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")

        def do_POST(self):
            path = urlparse(self.path).path
            form = self._form()
            if path == "/authorize":
                return self._decide(form)
            if path == "/token":
                status, body = provider.token(form, *self._client(form))
                if status == 503:
                    return self._send(503, b"<html>Service Unavailable</html>", "text/html")
                return self._send(status, body)
            if path == "/revoke" and provider.mode == "google":
                status = provider.revoke(form.get("token", ""))
                return self._send(status, {} if status == 200 else {"error": "invalid_token"})
            if path == "/introspect":
                return self._send(200, provider.introspect(form.get("token", "")))
            return self._send(404, {"error": "not_found"})

        def _decide(self, form: dict):
            redirect = form.get("redirect_uri", "")
            state = form.get("state", "")
            if form.get("decision") != "allow":
                target = f"{redirect}?{urlencode({'error': 'access_denied', 'state': state})}"
                return self._send(302, b"", headers=[("Location", target)])
            scope = provider.granted_scope
            if scope is None:
                scope = form.get("scope", "")
            code = "4/" + secrets.token_urlsafe(24)
            with provider.lock:
                provider.codes[code] = Code(
                    email=form.get("login", "").strip().lower(),
                    client_id=form.get("client_id", ""),
                    redirect_uri=redirect,
                    challenge=form.get("code_challenge", ""),
                    method=form.get("code_challenge_method", ""),
                    scope=scope,
                    nonce=form.get("nonce", ""),
                )
            target = f"{redirect}?{urlencode({'code': code, 'state': state})}"
            self._send(302, b"", headers=[("Location", target)])

    return Handler
