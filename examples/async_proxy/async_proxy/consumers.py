"""An async consumer of your own: it answers requests that views hand over with
``offload(request, "async_proxy.compare", {...})``.

It runs on the worker's event loop, so while it waits on the upstream the worker goes on
with other messages, and hundreds of these can wait at once.
"""

import asyncio
import json

import httpx
from django.conf import settings

from channels.offload import arespond


# Connected to async_proxy.compare: {"cities": [...], "reply_channel": ...}
async def compare_cities(message):
    cities = message.content["cities"]
    try:
        async with httpx.AsyncClient(base_url=settings.ASYNC_PROXY_UPSTREAM, timeout=10) as client:
            # All the cities at once: the whole answer takes as long as the slowest one.
            answers = await asyncio.gather(
                *(client.get("/weather", params={"city": city}) for city in cities)
            )
            for answer in answers:
                answer.raise_for_status()
    except httpx.HTTPError as exc:
        await arespond(message, 502, f"the weather service failed: {exc!r}\n")
        return
    readings = sorted((answer.json() for answer in answers), key=lambda r: r["celsius"])
    body = {"warmest": readings[-1]["city"], "coldest": readings[0]["city"], "readings": readings}
    await arespond(message, 200, json.dumps(body), content_type="application/json")
