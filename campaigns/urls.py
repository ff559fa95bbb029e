from django.urls import path

from campaigns import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("leads/", views.lead_list, name="lead_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("reports/", views.reports, name="reports"),
]
