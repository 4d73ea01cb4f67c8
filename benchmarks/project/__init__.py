"""A tiny Django project for ``benchmarks/http.py`` and ``benchmarks/websocket.py``: one
hello-world view (served by gunicorn through :mod:`.wsgi`, and by workers through
``http.request``), a WebSocket echo consumer and a broadcast group."""
