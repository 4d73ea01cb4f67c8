"""HTTP through a real socket, on both deployments: runserver (in-memory layer, worker
threads) and daphne + two runworker processes (Redis). The client is httpx."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.project.e2e_views import BIG_FILE_SIZE, big_file_bytes, stream_parts

from .conftest import Site

FIVE_MB = 5 * 1024 * 1024


@pytest.fixture
def client(site: Site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.http, timeout=30) as client:
        yield client


def test_a_rendered_page_comes_back_with_its_template_filled_in(client: httpx.Client) -> None:
    response = client.get("/page/", params={"name": "Ada"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Hello, Ada!</h1>" in response.text
    assert "Rendered for /page/" in response.text


def test_a_form_post_reaches_the_view_with_its_fields(client: httpx.Client) -> None:
    response = client.post("/form/", data={"name": "Zoë", "tags": ["a", "b"]})
    assert response.status_code == 200
    assert response.json() == {"method": "POST", "fields": {"name": ["Zoë"], "tags": ["a", "b"]}}


def test_a_5_mb_multipart_upload_arrives_with_the_same_checksum(client: httpx.Client) -> None:
    payload = random.Random(7).randbytes(FIVE_MB)
    response = client.post(
        "/upload/",
        files={"file": ("upload.bin", payload, "application/octet-stream")},
        data={"note": "five megabytes"},
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json() == {
        "files": {
            "file": {
                "name": "upload.bin",
                "size": FIVE_MB,
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        },
        "fields": {"note": ["five megabytes"]},
    }


def test_a_streaming_response_arrives_whole_in_order_and_chunked(client: httpx.Client) -> None:
    with client.stream("GET", "/stream/", params={"parts": 600}) as response:
        assert response.status_code == 200
        # No length known up front: the body goes out with chunked transfer encoding.
        assert "content-length" not in response.headers
        assert response.headers.get("transfer-encoding") == "chunked"
        body = b"".join(response.iter_bytes())
    assert body == b"".join(stream_parts(600))


def test_a_streaming_response_reaches_the_client_while_the_view_still_produces_it(
    site: Site, client: httpx.Client
) -> None:
    key = uuid.uuid4().hex
    with client.stream("GET", "/held-stream/", params={"key": key}) as response:
        assert response.status_code == 200
        parts = response.iter_raw()
        # The view is now waiting for /release/: only a streamed first part can be here.
        assert next(parts) == b"first\n"
        with httpx.Client(base_url=site.http, timeout=30) as other:
            assert other.get("/release/", params={"key": key}).text == "released"
        assert b"".join(parts) == b"second\n"


def test_a_5_mb_file_response_downloads_byte_for_byte(client: httpx.Client) -> None:
    response = client.get("/big-file/")
    assert response.status_code == 200
    assert response.headers["content-length"] == str(BIG_FILE_SIZE)
    assert response.headers["content-disposition"] == 'attachment; filename="big.bin"'
    assert len(response.content) == BIG_FILE_SIZE
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(big_file_bytes()).digest()


def test_cookies_set_by_a_view_reach_the_client_as_set_cookie_headers(
    client: httpx.Client,
) -> None:
    response = client.get("/cookies/")
    assert response.status_code == 200
    set_cookies = sorted(response.headers.get_list("set-cookie"))
    assert len(set_cookies) == 2, set_cookies
    flavour, visits = set_cookies
    assert flavour.startswith("flavour=oatmeal;")
    assert "HttpOnly" in flavour
    assert "SameSite=Lax" in flavour
    assert visits.startswith("visits=1;")
    assert "Max-Age=3600" in visits
    assert "Path=/cookies/" in visits
    # The client keeps them and sends them back: the view sees them on the next request.
    again = client.get("/cookies/")
    assert again.text == "cookies: [('flavour', 'oatmeal'), ('visits', '1')]"


def test_an_unknown_url_is_a_404(client: httpx.Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404


def test_a_view_that_raises_answers_500_at_once(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.get("/boom/")
    elapsed = time.monotonic() - started
    assert response.status_code == 500
    # From the worker's handler, not from the interface server giving up on a reply
    # (its HTTP timeout is 60 s).
    assert "no worker answered" not in response.text
    assert elapsed < 10, f"the 500 took {elapsed:.1f} s"


async def test_twenty_concurrent_requests_each_get_their_own_answer(site: Site) -> None:
    async with httpx.AsyncClient(base_url=site.http, timeout=30) as client:
        names = [f"client{n}" for n in range(20)]
        responses = await asyncio.gather(
            *(client.get("/page/", params={"name": name}) for name in names)
        )
    for number, response in enumerate(responses):
        assert response.status_code == 200
        assert f"<h1>Hello, client{number}!</h1>" in response.text
