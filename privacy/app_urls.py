from django.urls import path

from privacy import account_views as views

urlpatterns = [
    path("settings/privacy/", views.privacy_settings, name="privacy_settings"),
    path("settings/privacy/export/", views.export_create, name="privacy_export_create"),
    path(
        "settings/privacy/export/<int:pk>/status/",
        views.export_status,
        name="privacy_export_status",
    ),
    path(
        "settings/privacy/download/<str:token>/",
        views.export_download,
        name="privacy_export_download",
    ),
    path("settings/privacy/restriction/", views.restriction, name="privacy_restriction"),
    path("settings/privacy/objection/", views.objection, name="privacy_objection"),
    path("settings/privacy/forget/", views.forget_recipient, name="privacy_forget"),
    path(
        "settings/privacy/close-workspace/",
        views.workspace_close,
        name="privacy_workspace_close",
    ),
    path(
        "settings/privacy/restore-workspace/<int:pk>/",
        views.workspace_restore,
        name="privacy_workspace_restore",
    ),
    path("settings/privacy/close-account/", views.account_close, name="privacy_account_close"),
    path("restore/", views.restore, name="privacy_restore"),
]
