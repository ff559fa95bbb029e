from django.urls import path

from accounts import audit_views, notification_views, views

urlpatterns = [
    path("settings/", views.settings_profile, name="settings_profile"),
    path("settings/theme/", views.settings_theme, name="settings_theme"),
    path("settings/security/", views.settings_security, name="settings_security"),
    path(
        "settings/notifications/",
        notification_views.settings_notifications,
        name="settings_notifications",
    ),
    path("settings/security/2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("settings/security/2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path(
        "settings/security/2fa/backup-codes/",
        views.backup_codes_regenerate,
        name="backup_codes_regenerate",
    ),
    path("accounts/2fa/", views.two_factor_login, name="two_factor_login"),
    path("workspace/", views.workspace_members, name="workspace_members"),
    path("workspace/rename/", views.workspace_rename, name="workspace_rename"),
    path("workspace/audit/", audit_views.workspace_audit_log, name="workspace_audit_log"),
    path("workspace/new/", views.workspace_new, name="workspace_new"),
    path("workspace/switch/<int:workspace_id>/", views.workspace_switch, name="workspace_switch"),
    path(
        "workspace/invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("workspace/members/<int:pk>/role/", views.membership_role, name="membership_role"),
    path(
        "workspace/members/<int:pk>/remove/", views.membership_remove_view, name="membership_remove"
    ),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
