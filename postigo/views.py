"""Platform endpoints: health check and the development mail catcher viewer."""

from __future__ import annotations

import ipaddress
import re
from email import policy
from email.parser import BytesParser

from django.conf import settings
from django.contrib import messages
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from kombu import Connection

from campaigns.models import OutboundMessage
from campaigns.sending.dispatch import TICK
from core import heartbeat
from postigo.demo_replies import DemoReply, DemoReplyError, demo_reply_possible, demo_reply_send


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True
    except Exception:
        return False


def _dispatcher() -> tuple[bool, dict]:
    """Beat publishes a tick every 15 s: its silence stops all sending, so it is unhealthy
    when the last completed tick (or, none yet, this process's start) is too old."""
    seconds, seen = heartbeat.age(TICK)
    ok = seconds <= settings.DISPATCH_STALE_AFTER
    return ok, {
        "dispatcher": ("ok" if seen else "waiting") if ok else "stale",
        "last_tick_seconds_ago": round(seconds, 1) if seen else None,
    }


@never_cache
@require_GET
def healthz(request):
    """Report whether the database and the Celery broker answer and beat's dispatcher ticks
    (200 when all do)."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    dispatcher_ok, dispatcher = _dispatcher()
    healthy = all(checks.values()) and dispatcher_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        **{name: ("ok" if ok else "error") for name, ok in checks.items()},
        **dispatcher,
    }
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; point them at the logo."""
    return redirect(static("img/logo.svg"), permanent=True)


_MAIL_NAME = re.compile(r"^[\w.-]+\.eml$")


def _require_debug(request) -> None:
    """The caught mail holds sign-up links and password resets: development only, and only for
    this machine (a dev server bound to a LAN address) or a signed-in staff user."""
    if not settings.DEBUG:
        raise Http404
    staff = request.user.is_authenticated and request.user.is_staff
    if not staff and not _from_this_machine(request):
        raise Http404


def _from_this_machine(request) -> bool:
    if "HTTP_X_FORWARDED_FOR" in request.META:  # came through a proxy: the client is elsewhere
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _read_message(path):
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


@never_cache
def dev_mail_list(request):
    """List what the local mail catcher caught (DEBUG only)."""
    _require_debug(request)
    folder = settings.MAIL_CATCHER_DIR
    files = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.exists() else []
    messages = []
    for path in files:
        msg = _read_message(path)
        messages.append(
            {"name": path.name, "subject": msg["subject"], "to": msg["to"], "date": msg["date"]}
        )
    return render(
        request,
        "postigo/dev_mail_list.html",
        {
            "mails": messages,
            "smtp_port": settings.MAIL_CATCHER_PORT,
            "imap_port": settings.MAIL_CATCHER_IMAP_PORT,
        },
    )


def _caught(name: str):
    if not _MAIL_NAME.match(name):
        raise Http404
    path = settings.MAIL_CATCHER_DIR / name
    if not path.is_file():
        raise Http404
    return _read_message(path)


def _campaign_message(mail) -> OutboundMessage | None:
    """The campaign message a caught mail is, found by its Message-ID (None for the others)."""
    message_id = (mail["Message-ID"] or "").strip()
    if not message_id:
        return None
    return (
        OutboundMessage.objects.select_related("mailbox", "enrollment__lead")
        .filter(message_id=message_id)
        .first()
    )


@never_cache
def dev_mail_detail(request, name: str):
    """Show one caught message's headers and text (DEBUG only); a campaign message sent from
    a mailbox on the catcher offers to make its lead answer (postigo/demo_replies.py)."""
    _require_debug(request)
    msg = _caught(name)
    body = msg.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    message = _campaign_message(msg)
    return render(
        request,
        "postigo/dev_mail_detail.html",
        {
            "mail": msg,
            "name": name,
            "text": text,
            "headers": list(msg.items()),
            "message": message,
            "can_reply": message is not None and demo_reply_possible(message),
            "reply_kinds": DemoReply.choices,
        },
    )


@require_POST
def dev_mail_reply(request, name: str):
    """Make the lead of a caught campaign message answer it (DEBUG only, this machine)."""
    _require_debug(request)
    message = _campaign_message(_caught(name))
    if message is None:
        raise Http404
    kind = request.POST.get("kind", "")
    try:
        demo_reply_send(message=message, kind=kind)
    except DemoReplyError as exc:
        messages.error(request, str(exc))
    except OSError as exc:
        messages.error(
            request,
            _("The mail catcher did not take the reply (is make run's mail process up?): %s") % exc,
        )
    else:
        messages.success(
            request,
            _("%(kind)s from %(lead)s delivered to %(mailbox)s; the inbox reads it shortly.")
            % {
                "kind": DemoReply(kind).label,
                "lead": message.recipient,
                "mailbox": message.mailbox.email,
            },
        )
    return redirect("dev_mail_detail", name=name)
