from django.urls import path

from campaigns import lead_views, suppression_views, views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/export/", lead_views.lead_export, name="lead_export"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/delete/", lead_views.lead_delete, name="lead_delete"),
    path("leads/import/", lead_views.lead_import_new, name="lead_import_new"),
    path("leads/imports/<int:pk>/", lead_views.lead_import_detail, name="lead_import_detail"),
    path(
        "leads/imports/<int:pk>/progress/",
        lead_views.lead_import_progress,
        name="lead_import_progress",
    ),
    path("leads/imports/<int:pk>/undo/", lead_views.lead_import_undo, name="lead_import_undo"),
    path(
        "leads/imports/<int:pk>/resume/",
        lead_views.lead_import_continue,
        name="lead_import_continue",
    ),
    path("leads/suppressions/", suppression_views.suppression_list, name="suppression_list"),
    path(
        "leads/suppressions/<int:pk>/delete/",
        suppression_views.suppression_delete,
        name="suppression_delete",
    ),
    path("inbox/", views.inbox, name="inbox"),
    path("reports/", views.reports, name="reports"),
]
