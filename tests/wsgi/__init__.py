"""WsgiConsumer: a raw WSGI app through daphne and runworker, and its environ."""
