"""WSGI entry point (served by waitress: `ipwh portal`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.config.settings.embedded")
application = get_wsgi_application()
