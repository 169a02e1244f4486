"""Errors reach Sentry when SENTRY_DSN is set, and never carry a key, a secret, the Authorization
header or a cookie. A fake Sentry on loopback receives what the real SDK sends."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from observability.sentry import scrub

ROOT = Path(__file__).resolve().parents[2]
KEY = "pivra_sk_" + "a1B2c3D4e5" * 3 + "Zz9Yy8"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# Run in its own interpreter: sentry_sdk.init() hooks the process for good.
SCRIPT = f"""
import django, sentry_sdk
django.setup()
try:
    raise RuntimeError("could not use {KEY} for the webhook signed with {SECRET}")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.capture_event({{
    "message": "a request",
    "request": {{
        "url": "https://app.pivra.example/api/leads?api_key={KEY}",
        "headers": {{"Authorization": "Bearer {KEY}", "Cookie": "sessionid=abc", "User-Agent": "curl"}},
        "cookies": {{"sessionid": "abc"}},
        "data": {{"note": "{SECRET}"}},
    }},
}})
sentry_sdk.flush(5)
"""


class FakeSentry(ThreadingHTTPServer):
    def __init__(self):
        self.bodies = []
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # only if sentry-sdk chose it

            body = brotli.decompress(body)
        self.server.bodies.append(body.decode())
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_an_error_reaches_sentry_without_keys_secrets_authorization_or_cookies():
    server = FakeSentry()
    try:
        environment = {
            **os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "pivra.settings",
            "SENTRY_DSN": f"http://public@127.0.0.1:{server.server_address[1]}/1",
        }
        environment.pop("DATABASE_URL", None)
        done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
    sent = "\n".join(server.bodies)
    assert "could not use pivra_sk_[Filtered] for the webhook signed with whsec_[Filtered]" in sent
    assert "api_key=pivra_sk_[Filtered]" in sent
    assert KEY not in sent and SECRET not in sent and SECRET[6:] not in sent
    events = [json.loads(line) for line in sent.splitlines() if line.startswith("{") and '"request"' in line]
    [with_request] = [event for event in events if event.get("message") == "a request"]
    assert set(with_request["request"]["headers"]) == {"User-Agent"}
    assert "cookies" not in with_request["request"]


def test_the_scrubber_leaves_other_text_alone():
    event = {"message": "Lead lead_123 was not found", "extra": {"hint": ["pivra_pk_embedkey is public"]}}
    assert scrub(event) == event
