"""The URLs of a development run (DEBUG on), for the mail viewer's tests: the suite itself runs
with DEBUG off, so postigo/urls.py did not register them."""

from django.urls import path

from postigo import views
from postigo.urls import urlpatterns as production

urlpatterns = [
    *production,
    path("dev/mail/", views.dev_mail_list, name="dev_mail_list"),
    path("dev/mail/<str:name>/", views.dev_mail_detail, name="dev_mail_detail"),
]
