"""Shared by the source tests: real local HTTP servers that record every request they receive."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sources.models import Source
from sources.tasks import fetch_source


def page(body, status=200, content_type="text/html; charset=utf-8", headers=(), send_length=True):
    """A route answering with `body` (str or bytes)."""
    data = body.encode() if isinstance(body, str) else body

    def respond(handler):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        if send_length:
            handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return respond


def redirect(location, status=302):
    return page("", status=status, headers=[("Location", location)])


def hang(handler):
    """A route that never answers, until the test ends."""
    handler.server.released.wait(30)


def dribble_headers(handler):
    """A route that sends its headers a byte every 0.1 s for 10 s: each read is quick, the answer is not."""
    handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
    for _ in range(100):
        if handler.server.released.wait(0.1):
            return
        handler.wfile.write(b"a")
        handler.wfile.flush()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append({"path": self.path, "host": self.headers["Host"]})
        self.server.routes.get(self.path, page("Not found", status=404, content_type="text/plain"))(self)

    def log_message(self, format, *args):
        pass


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host, routes):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.routes, self.requests, self.released = routes, [], threading.Event()
        super().__init__((host, 0), _Handler)
        self.host, self.port = host, self.server_address[1]

    def url(self, path="/", host=None, scheme="http"):
        host = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{scheme}://{host}:{self.port}{path}"


class ServerPool:
    """Starts servers in threads; stops them all (and releases hanging routes) on exit."""

    def __init__(self):
        self.servers = []

    def start(self, routes, host="127.0.0.1", wrap_socket=None):
        server = RecordingServer(host, routes)
        if wrap_socket:
            server.socket = wrap_socket(server.socket)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.servers.append(server)
        return server

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for server in self.servers:
            server.released.set()
            server.shutdown()
            server.server_close()


def fetched(chatbot, url):
    """Create a pending url source, run its job's function, and return the source as stored."""
    source = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=url, status="pending")
    fetch_source(source_id=source.pk)
    source.refresh_from_db()
    return source


def elapsed(function, *args):
    start = time.monotonic()
    result = function(*args)
    return result, time.monotonic() - start
