"""The settings the test suite runs with (pyproject: pytest's DJANGO_SETTINGS_MODULE, passed on
to the worker processes tests start). They are postigo.settings with TESTING on: development
secrets, a test cache prefix. Tests are recognised by this module being chosen, never by an
environment variable a production host could happen to carry (such as PYTEST_VERSION)."""

import postigo

postigo.TEST_SETTINGS = True

from postigo.settings import *  # noqa: E402,F403
