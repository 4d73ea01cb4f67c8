"""A small app with models bound to sockets, for the binding tests."""
