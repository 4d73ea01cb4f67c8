"""The project's ASGI entry point, as in the seeds: ``daphne tests.project.asgi:channel_layer``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.project.settings")

from channels.asgi import get_channel_layer

channel_layer = get_channel_layer()
