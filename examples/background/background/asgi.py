"""The ASGI entry point, as in the seeds: ``daphne background.asgi:channel_layer``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "background.settings")

from channels.asgi import get_channel_layer

channel_layer = get_channel_layer()
