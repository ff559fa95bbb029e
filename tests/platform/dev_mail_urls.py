"""The URLs of a development run (DEBUG on), for the mail viewer's tests: the suite itself runs
with DEBUG off, so postigo/urls.py did not register them."""

from postigo.urls import DEV_URLS
from postigo.urls import urlpatterns as production

urlpatterns = [*production, *DEV_URLS]
