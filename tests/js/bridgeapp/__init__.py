"""A small site for the browser tests of the JavaScript client, and the example of
docs/javascript.rst: one demultiplexed socket at ``/bridge/`` with an ``echo`` stream and a
``notes`` data binding, and the page that uses them through ``WebSocketBridge``."""
