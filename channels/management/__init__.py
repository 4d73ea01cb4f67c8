"""channels' management commands (runserver, runworker, channels).

Each command is a composition root: it runs even where ``channels`` is not in
``INSTALLED_APPS`` (Channels 4 projects list only ``daphne``), so importing the commands
installs the composition of layer, router and bridge that ``AppConfig.ready()`` would.
"""

from .. import composition

composition.install()
