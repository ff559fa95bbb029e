import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")
django_application = get_wsgi_application()

from campaigns.tracking.wsgi import TrackingFastPath  # noqa: E402 (needs Django set up)

# The tracking pixel and click redirect are answered before Django's request cycle.
application = TrackingFastPath(django_application)
