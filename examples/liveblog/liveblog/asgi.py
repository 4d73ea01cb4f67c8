"""The ASGI entry point, as in the seeds: ``daphne liveblog.asgi:channel_layer``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liveblog.settings")

from channels.asgi import get_channel_layer

channel_layer = get_channel_layer()
