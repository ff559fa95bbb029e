"""Sessions end after a stated lifetime, and sooner after a stretch of inactivity.

SESSION_LIFETIME_HOURS (also the cookie's age) counts from the sign-in; SESSION_IDLE_HOURS
from the last request. Either one past, the session is signed out on its next request, which
then goes to the sign-in page like any anonymous one. Expired sessions are deleted from the
database by the daily `accounts.tasks.purge_expired_sessions` beat job."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

STARTED = "_postigo_session_started"
SEEN = "_postigo_session_seen"
SEEN_RESOLUTION = 60  # seconds: the last-seen time is written at most once a minute


class SessionExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(STARTED, now)
            seen = session.get(SEEN, now)
            lifetime = settings.SESSION_LIFETIME_HOURS * 3600
            idle = settings.SESSION_IDLE_HOURS * 3600
            if now - started > lifetime or now - seen > idle:
                # Before anything reads the user (workspace, second factor): the request goes
                # on signed out, and a page that needs a sign-in sends it to the sign-in page.
                logout(request)
            elif now - seen >= SEEN_RESOLUTION or SEEN not in session:
                session[SEEN] = now
        return self.get_response(request)
