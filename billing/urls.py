from django.urls import path

from billing import views

urlpatterns = [
    path("", views.billing_overview, name="billing_overview"),
    path("ledger.csv", views.billing_ledger_export, name="billing_ledger_export"),
    path("top-up/", views.billing_topup, name="billing_topup"),
    path("top-up/<uuid:public_id>/", views.billing_topup_done, name="billing_topup_done"),
    path("settings/", views.billing_settings, name="billing_settings"),
    path("receipts/<int:number>.pdf", views.billing_receipt_pdf, name="billing_receipt_pdf"),
    path("callbacks/<slug:gateway>/", views.billing_callback, name="billing_callback"),
]
