"""What recipients reach from an email: the pixel, the click redirect and the unsubscribe page.

Included first in the root URLconf: the pixel and the click are the busiest URLs by far, and
Django tries patterns in order.
"""

from django.urls import path

from campaigns.leads import unsubscribe_views
from campaigns.tracking import views as tracking_views

urlpatterns = [
    path("t/o/<str:signed>.gif", tracking_views.track_open, name="track_open"),
    path("t/c/<str:signed>/<int:position>/", tracking_views.track_click, name="track_click"),
    path("u/<str:signed>/", unsubscribe_views.unsubscribe_page, name="unsubscribe"),
]
