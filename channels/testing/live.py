"""``ChannelsLiveServerTestCase``: Channels 4's name for a live-server test case.

The site runs in a subprocess as under ``manage.py runserver``, which serves
``ASGI_APPLICATION`` when it is set (and the 1.x routes through its workers), on the test
database; see :class:`channels.test.liveserver.ChannelLiveServerTestCase`.
"""

from __future__ import annotations

from ..test.liveserver import ChannelLiveServerTestCase


class ChannelsLiveServerTestCase(ChannelLiveServerTestCase):
    """A ``TransactionTestCase`` with the site on ``live_server_url`` and
    ``live_server_ws_url``, for Selenium and other real clients."""


__all__ = ["ChannelsLiveServerTestCase"]
