"""A tour of the channel layer: channels, reply channels, groups, and a worker thread.

    python examples/layers/tour.py                 # in-memory layer, nothing else needed
    python examples/layers/tour.py --redis redis://127.0.0.1:6379   # the same over Redis

Everything here is what the interface server and the workers do for you under the hood.
"""

from __future__ import annotations

import argparse
import threading

from channels.layers import BaseChannelLayer, InMemoryChannelLayer


def worker(layer: BaseChannelLayer, stop: threading.Event) -> None:
    """A tiny worker: uppercases every message on "shout" and answers on its reply channel."""
    while not stop.is_set():
        channel, message = layer.receive(["shout"], block=True, timeout=0.5)
        if channel is None:
            continue
        layer.send(message["reply_channel"], {"text": message["text"].upper()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", metavar="URL", help="use the Redis layer at this URL")
    args = parser.parse_args()
    if args.redis:
        from channels.layers.redis import RedisChannelLayer

        layer: BaseChannelLayer = RedisChannelLayer(hosts=[args.redis], prefix="tour:")
    else:
        layer = InMemoryChannelLayer()
    print(f"Using {layer!r}\n")

    # 1. A process-specific reply channel, as an interface server makes one per connection.
    prefix = "tour.response.1234!"
    reply = layer.new_channel(prefix)

    stop = threading.Event()
    thread = threading.Thread(target=worker, args=(layer, stop))
    thread.start()
    try:
        # 2. Work goes to a named channel; any worker may take it; the answer comes back.
        layer.send("shout", {"text": "hello, channels", "reply_channel": reply})
        channel, message = layer.receive([prefix], block=True, timeout=5)
        print(f"worker answered on {channel}: {message['text']}")

        # 3. Groups broadcast: three "sockets" join, one message reaches each of them.
        sockets = [layer.new_channel(prefix) for _ in range(3)]
        for socket in sockets:
            layer.group_add("chat", socket)
        layer.send_group("chat", {"text": "[user] hi everyone"})
        for _ in sockets:
            channel, message = layer.receive([prefix], block=True, timeout=5)
            print(f"{channel} got {message['text']!r}")

        # 4. Statistics, as `manage.py` inspection shows them.
        print(f"\nshout queue: {layer.channel_statistics('shout')}")
        print(f"layer counters: {layer.global_statistics()}")
    finally:
        stop.set()
        thread.join()
        layer.flush()
        layer.close()


if __name__ == "__main__":
    main()
