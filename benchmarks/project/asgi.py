"""``daphne benchmarks.project.asgi:channel_layer``, as the seeds deploy a project."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.project.settings")

from channels.asgi import get_channel_layer

channel_layer = get_channel_layer()

# Under daphne this process is the server: tune its thread switching and garbage collector.
from channels.tuning import tune_process  # noqa: E402

tune_process()
