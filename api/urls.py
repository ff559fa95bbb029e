from functools import partial

from django.urls import path
from ninja.openapi.views import openapi_view

from api import views
from api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api_docs"),
    path("settings/api/", views.api_settings, name="api_settings"),
    path("settings/api/keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
