"""``gunicorn benchmarks.project.wsgi:application``: the plain-Django baseline."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.project.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
