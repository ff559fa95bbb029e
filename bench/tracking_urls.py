"""The product's URLs plus a static-GIF view: the tracking benchmark's baseline."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns.tracking.views import GIF
from postigo.urls import urlpatterns as product_urlpatterns


@never_cache
@require_GET
def static_gif(request):
    return HttpResponse(GIF, content_type="image/gif")


urlpatterns = [path("bench/static.gif", static_gif), *product_urlpatterns]
