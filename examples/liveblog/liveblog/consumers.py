"""Readers' sockets: join the readers' group on connect, leave it on disconnect.

Nothing is ever received from a reader; the updates are sent to the group by the
``post_save`` receiver in models.py.
"""

from channels import Group
from channels.security.websockets import allowed_hosts_only

from .models import READERS


# Connected to websocket.connect. Pages of other sites (an Origin outside ALLOWED_HOSTS) are
# refused.
@allowed_hosts_only
def ws_connect(message):
    # Add to reader group
    Group(READERS).add(message.reply_channel)
    # Accept the connection request
    message.reply_channel.send({"accept": True})


# Connected to websocket.disconnect
def ws_disconnect(message):
    # Remove from reader group on clean disconnect
    Group(READERS).discard(message.reply_channel)
