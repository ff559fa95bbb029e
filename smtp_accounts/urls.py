from django.urls import path

from smtp_accounts import views

urlpatterns = [path("", views.mailbox_list, name="mailbox_list")]
