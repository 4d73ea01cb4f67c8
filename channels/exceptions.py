"""Exceptions raised by channels.

The tree, in one place::

    ChannelLayerError                 anything a channel layer raises on purpose
     ├── ChannelFull                  send() to a channel at capacity; try later
     ├── MessageTooLarge              the encoded message exceeds the layer's size limit
     └── ChannelLayerUnavailable      the backing store (e.g. Redis) cannot be reached;
          │                           also a ConnectionError
          └── ChannelLayerAuthenticationError  the store refused the layer's credentials
    InvalidChannelLayerError          CHANNEL_LAYERS is misconfigured (also a ValueError)

    ConsumeLater                      a consumer asks the worker to retry its message later
    ResponseLater                     a view says another consumer will answer the request
    RequestTimeout                    the request body did not arrive in time (-> 408)
    RequestAborted                    the client went away while sending the body
    DenyConnection                    a websocket.connect consumer refuses the socket
    AcceptConnection                  a Channels 4-style connect() accepts the socket
    StopConsumer                      a Channels 4-style consumer ends its instance
    ChannelSocketException            base for exceptions that act on the socket themselves
     └── WebsocketCloseException      closes the socket with a code
    SendNotAvailableOnDemultiplexer   send() called on a demultiplexer instead of its streams

Defined beside the code that raises them (some extend Django's ``ImproperlyConfigured``,
which this Django-free module cannot import), and part of the same tree::

    ImproperlyConfigured (Django)
     ├── channels.routing.ConsumerImportError     a routed consumer's dotted path is wrong
     ├── channels.routing.RoutingImportError      ROUTING's dotted path is wrong
     └── channels.binding.base.BindingError       a Binding is misdefined (also a ValueError)
    ValueError
     ├── channels.binding.base.InboundError       a binding frame from a client is refused
     ├── channels.generic.multiplexing.FrameError a multiplexed frame is not
     │                                            {"stream": ..., "payload": {...}}
     ├── channels.delay.models.InvalidDelayMessage  an asgi.delay message is malformed
     └── channels.interface.http.MalformedReply   a worker's HTTP reply breaks the format

Bad channel names and message values raise the built-in ``TypeError`` and ``ValueError``
with a message naming the offending value.

This module imports nothing from Django, so a channel layer can use it on its own.
"""

from __future__ import annotations

from typing import Any

from .closecodes import is_application_code


class ChannelLayerError(Exception):
    """Base class of the errors a channel layer raises on purpose."""


class ChannelFull(ChannelLayerError):
    """The channel is at capacity: the message was not sent.

    Senders decide what to do: an HTTP server answers 503, a worker sending a reply waits and
    retries, ``send_group`` skips the member (and counts the skip).
    """


class MessageTooLarge(ChannelLayerError):
    """The encoded message is larger than the layer's ``max_message_size``.

    Split the data into chunks (as HTTP bodies do with ``body_channel``) or raise the limit.
    """


class ChannelLayerUnavailable(ChannelLayerError, ConnectionError):
    """The layer's backing store could not be reached; nothing was sent or received."""


class ChannelLayerAuthenticationError(ChannelLayerUnavailable):
    """The layer's backing store refused its credentials (a wrong password or user): waiting
    will not help, the layer's configuration must change."""


class InvalidChannelLayerError(ValueError):
    """``CHANNEL_LAYERS`` names a layer that cannot be built."""


class ConsumeLater(Exception):
    """Raised by a consumer to have the worker put its message back on the channel.

    The worker counts retries in the message and drops it, with a warning, after too many.
    """


class ResponseLater(Exception):
    """Raised in a view to say that another consumer will answer on the reply channel."""


class RequestTimeout(Exception):
    """The request body did not arrive within the handler's body timeout."""


class RequestAborted(Exception):
    """The client closed the connection while its request body was being received."""


class DenyConnection(Exception):
    """Raised in a ``websocket.connect`` consumer to refuse the socket (HTTP 403)."""


class AcceptConnection(Exception):
    """Raised in a Channels 4-style websocket consumer's ``connect()`` to accept the socket."""


class StopConsumer(Exception):
    """Raised by a Channels 4-style consumer handler to end the consumer instance (its
    application call returns); the websocket consumers raise it on ``websocket.disconnect``."""


class ChannelSocketException(Exception):
    """Base for exceptions that, when raised from a consumer, act on the socket.

    The worker calls :meth:`run` with the message the consumer was handling.
    """

    def run(self, message: Any) -> None:
        """Do what this exception stands for, using ``message.reply_channel``."""
        raise NotImplementedError("subclasses of ChannelSocketException must implement run()")


class WebsocketCloseException(ChannelSocketException):
    """Closes the WebSocket, optionally with a close code (1000 or 3000-4999)."""

    def __init__(self, code: int | None = None) -> None:
        if code is not None and not is_application_code(code):
            raise ValueError(
                f"invalid WebSocket close code {code!r}: use 1000, or 3000-4999 for your own codes"
            )
        super().__init__(code)
        self.code = code

    def run(self, message: Any) -> None:
        message.reply_channel.send({"close": self.code or True}, immediately=True)


class SendNotAvailableOnDemultiplexer(Exception):
    """``send`` was called on a demultiplexer; send through the stream's multiplexer instead."""


__all__ = [
    "AcceptConnection",
    "ChannelFull",
    "ChannelLayerAuthenticationError",
    "ChannelLayerError",
    "ChannelLayerUnavailable",
    "ChannelSocketException",
    "ConsumeLater",
    "DenyConnection",
    "InvalidChannelLayerError",
    "MessageTooLarge",
    "RequestAborted",
    "RequestTimeout",
    "ResponseLater",
    "SendNotAvailableOnDemultiplexer",
    "StopConsumer",
    "WebsocketCloseException",
]
