"""A web server that is not a hub at HUB_URL: one short sentence, at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from AgentComLibrary import AgentComLibrary
from AgentComLibrary.hubapi.notahub import describe
from fakehub import QuietHandler

PAGE = (
    "<!DOCTYPE HTML>\n<html lang='en'>\n  <head>\n    <title>Error response</title>\n"
    "  </head>\n  <body>\n    <h1>Error response</h1>\n    <p>Error code: 404</p>\n"
    "  </body>\n</html>\n"
)


class _WebServer(QuietHandler):
    def do_GET(self) -> None:
        self.reply(404 if self.path == "/health" else 200, PAGE.encode(), "text/html")


@pytest.fixture
def web_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_web_server_is_named_in_one_sentence(web_server: str) -> None:
    lib = AgentComLibrary(hub_url=web_server, bootstrap_token="not-used")
    started = time.monotonic()
    with pytest.raises(AssertionError) as info:
        lib.open_hub_session()
    assert time.monotonic() - started < 2
    assert str(info.value) == (
        f"The server at {web_server} is not an AgentCom hub: GET /health answered 404 with an "
        'HTML page titled \'Error response\', where a hub answers {"status": "ok"} in JSON. '
        "Point HUB_URL at the hub's base URL (e.g. http://localhost:4000), or leave it empty "
        "to test the embedded hub."
    )
    lib.close()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("<html><body><h1>It &amp; works</h1></body></html>", "an HTML page titled 'It & works'"),
        ("<!doctype html><p>hi</p>", "an HTML page"),
        ("Not Found\n", "a text answer 'Not Found'"),
        ("", "an empty answer"),
        ("x" * 100, f"a text answer '{'x' * 57}...'"),
    ],
)
def test_answers_are_described_briefly(body: str, said: str) -> None:
    assert describe(body) == said
