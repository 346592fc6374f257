"""A local HTTP server that replays real recorded responses, for the sources that talk to arXiv.

Routes map a request (path and query parameters, compared as a set, so parameter order is free) to a
list of responses; each request takes the next one and the last repeats. Unknown requests get 404.
Every request is logged with its arrival time, so tests can check politeness (spacing, retries), and its
headers in `headers` (names lowercased). A `respond(path, headers)` function, where given, answers before
the routes (a reply that depends on the request, like a 304 for a matching If-None-Match); its None passes
to the routes.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlsplit


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)


def request_key(path: str, query: str | dict, ignore: tuple[str, ...] = ()) -> tuple:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query.items())
    return path, frozenset((k, str(v)) for k, v in pairs if k not in ignore and str(v) != "")


class ReplayServer:
    def __init__(
        self, ignore_params: tuple[str, ...] = (), respond: Callable[[str, dict], Reply | None] | None = None
    ):
        self.routes: dict[tuple, list[Reply]] = {}
        self.log: list[tuple[float, str]] = []
        self.headers: list[dict[str, str]] = []  # of each request in `log`, names lowercased
        self.respond = respond
        self.ignore = ignore_params
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                server.log.append((time.monotonic(), self.path))
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                replies = server.routes.get(request_key(parts.path, parts.query, server.ignore))
                answer = server.respond(self.path, server.headers[-1]) if server.respond else None
                if answer:
                    reply = answer
                elif not replies:
                    reply = Reply(404, b"not recorded")
                else:
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def queries(self) -> list[dict[str, str]]:
        """The query parameters of every request received, in order."""
        return [{k: v[0] for k, v in parse_qs(urlsplit(path).query).items()} for _, path in self.log]

    def add(self, path: str, query: str | dict, *replies: Reply) -> None:
        self.routes[request_key(path, query, self.ignore)] = list(replies)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
