from django.urls import path

from ai import views

urlpatterns = [
    path("", views.ai_settings, name="ai_settings"),
    path("key/delete/", views.ai_key_remove, name="ai_key_remove"),
    path("test/", views.ai_test, name="ai_test"),
    path("labels/", views.ai_label_add, name="ai_label_add"),
    path("labels/<int:pk>/delete/", views.ai_label_delete, name="ai_label_delete"),
]
