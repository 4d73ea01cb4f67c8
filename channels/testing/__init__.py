"""Channels 4's test tools: drive an ASGI application in-process, or serve it for real.

* :class:`ApplicationCommunicator` (asgiref's): send events in, read events out.
* :class:`HttpCommunicator`: one HTTP request, ``await get_response()``.
* :class:`WebsocketCommunicator`: ``connect``, ``send_to``/``receive_from`` (and the JSON
  twins), ``receive_nothing``, ``disconnect``; a handshake refused with an HTTP response
  leaves a :class:`DenialResponse` in ``communicator.denial``.
* :class:`ChannelsLiveServerTestCase`: the site served on a real port, for browsers.

The 1.x test tools (``ChannelTestCase``, ``WSClient``...) stay in :mod:`channels.test`.
"""

from asgiref.testing import ApplicationCommunicator

from .http import HttpCommunicator
from .live import ChannelsLiveServerTestCase
from .websocket import DenialResponse, WebsocketCommunicator

__all__ = [
    "ApplicationCommunicator",
    "ChannelsLiveServerTestCase",
    "DenialResponse",
    "HttpCommunicator",
    "WebsocketCommunicator",
]
