from functools import partial

from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja.openapi.views import openapi_view

from api import views
from api.api import api


@csrf_exempt  # it only ever answers 404
def not_found(request, rest: str = ""):
    """Any other path under /api/ answers in the API's error shape, not an HTML page."""
    return JsonResponse(
        {"code": "not_found", "message": "No such API path or object.", "field": None},
        status=404,
    )


urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api_docs"),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("settings/api/", views.api_settings, name="api_settings"),
    path("settings/api/keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
