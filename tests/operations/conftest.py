"""Layers for the operations tests: every kind (see tests/layer_kinds.py)."""

from tests.layer_kinds import make_layer

__all__ = ["make_layer"]
