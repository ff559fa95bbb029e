"""Secret binding: a stored secret is only ever sent to the destination it was entered for.

A user types a password (or pastes an API key, or completes an OAuth flow) *for* a server:
an SMTP host, an IMAP host, a webhook URL, a provider's token endpoint. Whoever can later
edit that destination must not be able to redirect the stored secret to a server of their own.
So every stored secret is kept together with its *binding*: an HMAC (keyed by SECRET_KEY) of
the secret and a canonical description of where it may go. Code that is about to send the
secret calls `require()` with the destination it is about to use; a mismatch raises
`SecretNotBound` before any connection is made.

A binding is only (re)made where the secret is entered (`bind()`): a form field the user
filled in, a CSV row that carries the password, an OAuth callback that just received the
token. Changing the destination without entering the secret again leaves the old binding,
which no longer matches: forms refuse that edit with a field error, and the connecting code
refuses to send as a second line of defence (admin, shell, API, a future bug).

See docs/SECURITY.md ("Secret binding") for how to use it for a new kind of secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

_SALT = "core.secret_binding"


class SecretNotBound(Exception):
    """The secret was entered for another destination; it is not sent."""

    def __init__(self, destination: Destination):
        self.destination = destination
        super().__init__(
            _(
                "The stored secret was entered for another server, not %(where)s: "
                "enter it again to use it there."
            )
            % {"where": destination.display}
        )


@dataclass(frozen=True)
class Destination:
    """Where a secret goes. `kind` names the secret's use ("smtp", "imap", "webhook", …);
    every other part that changes where (or how openly) the secret travels belongs here."""

    kind: str
    host: str
    port: int | None = None
    security: str = ""
    username: str = ""
    path: str = ""  # e.g. a URL's path, for secrets sent to one endpoint of a host

    def canonical(self) -> str:
        return json.dumps(
            [
                self.kind,
                self.host.strip().rstrip(".").lower(),
                int(self.port) if self.port is not None else None,
                self.security,
                self.username.strip(),
                self.path,
            ],
            separators=(",", ":"),
        )

    @property
    def display(self) -> str:
        where = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"{where}{self.path}"


def _mac(secret: str, destination: Destination, key: str) -> str:
    message = destination.canonical() + "\0" + secret
    return salted_hmac(_SALT, message, secret=key, algorithm="sha256").hexdigest()


def bind(secret: str, destination: Destination) -> str:
    """The binding to store next to `secret`, made when the secret is entered for
    `destination`. An empty secret has no binding."""
    if not secret:
        return ""
    return _mac(secret, destination, settings.SECRET_KEY)


def matches(secret: str, destination: Destination, binding: str) -> bool:
    """Was `secret` entered for `destination`? (SECRET_KEY_FALLBACKS are accepted, so
    rotating the key does not strand stored secrets.)"""
    if not secret or not binding:
        return False
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(binding, _mac(secret, destination, key)) for key in keys)


def require(secret: str, destination: Destination, binding: str) -> str:
    """The secret, if it may be sent to `destination`; else `SecretNotBound`."""
    if not matches(secret, destination, binding):
        raise SecretNotBound(destination)
    return secret
