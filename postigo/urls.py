from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminSite

from accounts.admin_login import AdminSignInForm
from postigo import home, views

# Operators must pass a second factor before the admin opens (DESIGN §1).
admin.site.__class__ = OTPAdminSite
admin.site.site_header = gettext_lazy("Postigo operations")
admin.site.site_title = gettext_lazy("Postigo admin")
# One step (email, password, code), one answer for every failure, throttled per account and
# address (accounts/admin_login.py).
admin.site.login_form = AdminSignInForm
admin.site.login_template = "admin/postigo_login.html"

urlpatterns = [
    path("", include("campaigns.tracking.public_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # set_language: a CSRF-protected POST that sets the language cookie and returns to a `next`
    # on this site only (Django refuses other hosts).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", home.dashboard, name="dashboard"),
    path("", include("accounts.urls")),
    path("", include("campaigns.urls")),
    path("mailboxes/", include("smtp_accounts.urls")),
    path("billing/", include("billing.urls")),
    path("settings/ai/", include("ai.urls")),
    path("legal/", include("privacy.urls")),
    path("", include("api.urls")),
    path("", include("privacy.app_urls")),
]

# Production error pages (postigo/errors.py); DEBUG shows Django's technical pages instead.
handler400 = "postigo.errors.bad_request"
handler403 = "postigo.errors.permission_denied"
handler404 = "postigo.errors.page_not_found"
handler500 = "postigo.errors.server_error"

# The development mail viewer and its demo replies (postigo/views.py): DEBUG only.
DEV_URLS = [
    path("dev/mail/", views.dev_mail_list, name="dev_mail_list"),
    path("dev/mail/<str:name>/", views.dev_mail_detail, name="dev_mail_detail"),
    path("dev/mail/<str:name>/reply/", views.dev_mail_reply, name="dev_mail_reply"),
]
if settings.DEBUG:
    urlpatterns += DEV_URLS
