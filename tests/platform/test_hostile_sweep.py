"""Every URL pattern, sent hostile path and query values, answers below 500 — and a refusal
says something. The patterns are read from the URL resolver, so a new page is swept too."""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

HUGE = "9" * 40
INT_VALUES = [HUGE, str(2**63), "0"]
TEXT_VALUES = ["a\x00b", "ü🎉\u202e", "x" * 100_000, "..%2F..%2Fetc", HUGE, " "]
HOSTILE_QUERY = {
    "id": HUGE,
    "pk": str(2**64),
    "page": HUGE,
    "q": "x" * 100_000,
    "next": "//evil.example/ü",
    "campaign": "²",
    "mailbox": "-1",
    "status": "\U0001f389",
}


def patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from patterns(entry, prefix + _text(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _text(entry.pattern)


def _text(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    assert isinstance(pattern, RegexPattern)
    return "\x01" + pattern._regex.lstrip("^").rstrip("$") + "\x02"


_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def concrete_paths(route: str) -> list[str]:
    """`route` with each hostile value put in every parameter (one value at a time)."""
    if "\x01" in route:  # a regex route: fill its groups with the values its regex accepts
        regex = route.replace("\x01", "").replace("\x02", "")
        out = []
        for value in TEXT_VALUES:
            path = _GROUP.sub(lambda m, v=value: v, regex).replace("\\", "")
            path = re.sub(r"[\^$]", "", path)
            if re.fullmatch(regex.replace("\x01", ""), path):
                out.append(path)
        return out or [_GROUP.sub("x", regex).replace("\\", "")]
    kinds = [m.group("kind") or "str" for m in _CONVERTER.finditer(route)]
    if not kinds:
        return [route]
    out = []
    for kind in set(kinds):
        for value in INT_VALUES if kind == "int" else TEXT_VALUES:
            out.append(
                _CONVERTER.sub(
                    lambda m, v=value, k=kind: v if (m.group("kind") or "str") == k else "1",
                    route,
                )
            )
    return out


ROUTES = sorted(set(patterns()))


def check(response, url):
    if response.streaming:
        b"".join(response.streaming_content)
        body = b"streamed"
    else:
        body = response.content
    if url == "/healthz" and response.status_code == 503:
        return  # the health check's own answer when the broker is down: not an error of ours
    assert response.status_code < 500, (url[:200], response.status_code)
    if 400 <= response.status_code < 500:
        assert body.strip(), (url[:200], response.status_code, "a refusal without a message")


@pytest.fixture
def browser(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


@pytest.mark.parametrize("route", ROUTES)
def test_every_url_answers_hostile_values_without_a_server_error(route, alice, workspace_a):
    for path in concrete_paths(route):
        url = "/" + quote(path, safe="/%:@")
        for signed_in in (True, False):
            client = Client(raise_request_exception=False)
            if signed_in:
                client.force_login(alice)
            check(client.get(url, HOSTILE_QUERY), url)
            if signed_in:
                check(client.post(url, HOSTILE_QUERY), url)
