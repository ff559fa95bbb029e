from django.urls import path

from smtp_accounts import log_views, oauth_views, views
from smtp_accounts.domains import views as domain_views

urlpatterns = [
    path("", views.mailbox_list, name="mailbox_list"),
    path("new/", views.mailbox_create, name="mailbox_create"),
    path("import/", views.mailbox_import, name="mailbox_import"),
    path("import/status/", views.mailbox_import_status, name="mailbox_import_status"),
    path("<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
    path("<int:pk>/log/", log_views.mailbox_log, name="mailbox_log"),
    path("<int:pk>/toggle/", views.mailbox_toggle, name="mailbox_toggle"),
    path("<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("<int:pk>/delete/confirm/", views.mailbox_delete_confirm, name="mailbox_delete_confirm"),
    path("<int:pk>/dkim/", views.mailbox_dkim_create, name="mailbox_dkim_create"),
    path(
        "oauth/<str:provider>/connect/",
        oauth_views.mailbox_oauth_connect,
        name="mailbox_oauth_connect",
    ),
    path("oauth/callback/", oauth_views.mailbox_oauth_callback, name="mailbox_oauth_callback"),
    path(
        "<int:pk>/reconnect/", oauth_views.mailbox_oauth_reconnect, name="mailbox_oauth_reconnect"
    ),
    path(
        "<int:pk>/disconnect/",
        oauth_views.mailbox_oauth_disconnect,
        name="mailbox_oauth_disconnect",
    ),
    path("domains/", domain_views.domain_list, name="domain_list"),
    path("domains/<str:domain>/", domain_views.domain_detail, name="domain_detail"),
    path("domains/<str:domain>/check/", domain_views.domain_check_now, name="domain_check_now"),
    path("domains/<str:domain>/report/", domain_views.domain_report, name="domain_report"),
]
