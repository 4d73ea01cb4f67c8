"""``from channels.offload import client`` is the client object wherever it is imported: no
submodule of ``channels.offload`` is called ``client``, so importing the package's routing
(which loads the pooled HTTP client module) cannot shadow it."""

from __future__ import annotations

import importlib.util

import channels.offload.routing  # noqa: F401  (loads every submodule the consumers use)
from channels.offload import OffloadClient


def seed_view_client() -> object:
    # The seed's replacement imports inside the view, after the routing has been loaded.
    from channels.offload import client

    return client


def test_client_imported_inside_a_function_is_the_client_object() -> None:
    client = seed_view_client()
    assert isinstance(client, OffloadClient), f"got {client!r}"
    assert callable(client.request)


def test_no_offload_submodule_is_called_client() -> None:
    assert importlib.util.find_spec("channels.offload.client") is None
