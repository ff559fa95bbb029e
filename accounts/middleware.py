"""Per-request state: the current workspace, the user's preferences and the second-factor gate."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from accounts.services import membership_current
from accounts.two_factor import user_has_two_factor


class UserPreferencesMiddleware:
    """Activate the signed-in user's language (Settings → Profile), over the language cookie
    LocaleMiddleware read; the cookie follows it, so the pages after signing out stay in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated and user.language:
            language = translation.get_supported_language_variant(user.language)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=request.is_secure(),
                httponly=True,
            )
        return response


class RequireSecondFactorMiddleware:
    """Hold a signed-in user with 2FA at the code page until the session is verified.

    allauth completes the password step; until a code is entered the session can
    reach only the code page, sign-out, static files and machine endpoints.
    """

    EXEMPT_PREFIXES = ("/static/", "/healthz", "/legal/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and request.path not in self._exempt_paths()
            and user_has_two_factor(user)
        ):
            login_verify = reverse("two_factor_login")
            next_url = request.get_full_path()
            if request.htmx:
                response = redirect(login_verify)
                response["HX-Redirect"] = login_verify
                return response
            return redirect(
                f"{login_verify}?{urlencode({'next': next_url})}"
                if request.method == "GET"
                else login_verify
            )
        return self.get_response(request)

    @staticmethod
    def _exempt_paths() -> set[str]:
        return {reverse("two_factor_login"), reverse("account_logout")}


SESSION_KEY = "postigo_workspace_id"


class WorkspaceMiddleware:
    """Set `request.workspace` and `request.membership` for signed-in users."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = membership_current(
                user=user, workspace_id=request.session.get(SESSION_KEY)
            )
            if membership is not None:
                request.membership = membership
                request.workspace = membership.workspace
                if request.session.get(SESSION_KEY) != membership.workspace_id:
                    request.session[SESSION_KEY] = membership.workspace_id
        return self.get_response(request)
