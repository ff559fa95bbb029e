from django.urls import path

from campaigns.authoring import ai_writing, template_views
from campaigns.authoring import views as authoring_views
from campaigns.inbox import views as inbox_views
from campaigns.leads import suppression_views
from campaigns.leads import views as lead_views
from campaigns.reports import views as report_views
from campaigns.sending import views as sending_views

urlpatterns = [
    path("campaigns/", authoring_views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", authoring_views.campaign_leads, name="campaign_leads"),
    path(
        "campaigns/<int:pk>/sequence/", authoring_views.campaign_sequence, name="campaign_sequence"
    ),
    path("campaigns/<int:pk>/sequence/write/", ai_writing.sequence_write, name="sequence_write"),
    path("campaigns/<int:pk>/sequence/check/", ai_writing.sequence_check, name="sequence_check"),
    path(
        "campaigns/<int:pk>/sequence/change/",
        authoring_views.sequence_change,
        name="sequence_change",
    ),
    path(
        "campaigns/<int:pk>/steps/<int:step_pk>/",
        authoring_views.step_update,
        name="step_update",
    ),
    path(
        "campaigns/<int:pk>/variants/<int:variant_pk>/",
        authoring_views.variant_update,
        name="variant_update",
    ),
    path(
        "campaigns/<int:pk>/schedule/", authoring_views.campaign_schedule, name="campaign_schedule"
    ),
    path(
        "campaigns/<int:pk>/mailboxes/",
        authoring_views.campaign_mailboxes,
        name="campaign_mailboxes",
    ),
    path("campaigns/<int:pk>/review/", authoring_views.campaign_review, name="campaign_review"),
    path("campaigns/<int:pk>/report/", report_views.campaign_report, name="campaign_report"),
    path("campaigns/<int:pk>/people/", report_views.campaign_people, name="campaign_people"),
    path("campaigns/<int:pk>/log/", report_views.campaign_log, name="campaign_log"),
    path(
        "campaigns/<int:pk>/people/export/",
        report_views.campaign_people_export,
        name="campaign_people_export",
    ),
    path(
        "campaigns/<int:pk>/people/continue/",
        report_views.campaign_people_continue,
        name="campaign_people_continue",
    ),
    path("campaigns/<int:pk>/control/", sending_views.campaign_control, name="campaign_control"),
    path("campaigns/<int:pk>/preview/", authoring_views.campaign_preview, name="campaign_preview"),
    path(
        "campaigns/<int:pk>/duplicate/",
        authoring_views.campaign_duplicate,
        name="campaign_duplicate",
    ),
    path(
        "campaigns/<int:pk>/save-as-template/",
        template_views.campaign_save_as_template,
        name="campaign_save_as_template",
    ),
    path(
        "campaigns/templates/",
        template_views.sequence_template_list,
        name="sequence_template_list",
    ),
    path(
        "campaigns/templates/use/",
        template_views.sequence_template_use,
        name="sequence_template_use",
    ),
    path(
        "campaigns/templates/<int:pk>/rename/",
        template_views.sequence_template_rename_view,
        name="sequence_template_rename",
    ),
    path(
        "campaigns/templates/<int:pk>/delete/",
        template_views.sequence_template_delete_view,
        name="sequence_template_delete",
    ),
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
        "leads/suppressions/imports/<int:pk>/",
        suppression_views.suppression_import_progress,
        name="suppression_import_progress",
    ),
    path(
        "leads/suppressions/export/",
        suppression_views.suppression_export,
        name="suppression_export",
    ),
    path(
        "leads/suppressions/<int:pk>/delete/",
        suppression_views.suppression_delete,
        name="suppression_delete",
    ),
    path("inbox/", inbox_views.inbox_list, name="inbox"),
    path("inbox/read/", inbox_views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", inbox_views.inbox_thread, name="inbox_thread"),
    path("inbox/<int:pk>/label/", inbox_views.inbox_label, name="inbox_label"),
    path("inbox/<int:pk>/unread/", inbox_views.inbox_unread, name="inbox_unread"),
    path("inbox/<int:pk>/answer/", inbox_views.inbox_answer, name="inbox_answer"),
    path("reports/", report_views.reports, name="reports"),
    path("reports/export/", report_views.reports_export, name="reports_export"),
]
