#!/usr/bin/env python
"""A slow upstream service to proxy: every answer takes ``--delay`` seconds (default 2).

    python upstream.py                  # http://127.0.0.1:8001/
    python upstream.py --port 0 --delay 1

``GET /weather?city=Oslo`` answers JSON like ``{"city": "Oslo", "celsius": 7, ...}``. It
stands in for any slow API; it is plain Python (no Django, no channels).
"""

import argparse
import json
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class SlowHandler(BaseHTTPRequestHandler):
    delay = 2.0

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/weather":
            self.send_error(404, "try /weather?city=Oslo")
            return
        city = parse_qs(url.query).get("city", ["nowhere"])[0][:50]
        time.sleep(self.delay)  # the slowness this example is about
        # The same made-up weather for the same city, every time.
        celsius = zlib.crc32(city.lower().encode()) % 40 - 10
        body = json.dumps({"city": city, "celsius": celsius, "waited": self.delay}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per answer")
    options = parser.parse_args()
    SlowHandler.delay = options.delay
    server = ThreadingHTTPServer(("127.0.0.1", options.port), SlowHandler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"Slow upstream at http://{host}:{port}/ ({options.delay} s per answer)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
