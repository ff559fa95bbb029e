from django.urls import path

from billing import views

urlpatterns = [path("", views.billing_overview, name="billing_overview")]
