"""Shared by the webhook tests: a real receiver on loopback that records every request."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server = self.server
        server.requests.append({
            "path": self.path, "headers": {name.lower(): value for name, value in self.headers.items()}, "body": body,
        })
        status, headers, delay = server.answers.pop(0) if server.answers else (200, {}, 0)
        if delay:
            server.released.wait(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):
        pass


class Receiver(ThreadingHTTPServer):
    """A webhook receiver in a thread on 127.0.0.1: `answer(status, headers, delay)` queues how it
    answers the next requests (200 once they run out); `requests` are what it received."""

    daemon_threads = True

    def __init__(self):
        self.requests, self.answers, self.released = [], [], threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path="/hooks/pivra"):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, status, headers=None, delay=0, times=1):
        self.answers.extend([(status, headers or {}, delay)] * times)

    def wait_for(self, count, seconds=5):
        deadline = time.monotonic() + seconds
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests

    def stop(self):
        self.released.set()
        self.shutdown()
        self.server_close()
