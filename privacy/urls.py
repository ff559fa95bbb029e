from django.urls import path

from privacy import views

urlpatterns = [
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy_policy, name="privacy_policy"),
    path("accept/", views.accept, name="privacy_accept"),
]
