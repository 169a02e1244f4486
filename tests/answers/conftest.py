import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from apikeys.models import ApiKey
from tests.widget.conftest import RETURNS, SHIPPING, knowledge, make_source  # noqa: F401 (fixtures)

MODEL = "fake-model-1"
FAKE_KEY = "sk-fake-llm-key-do-not-log-0123456789"


class FakeModelServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat-completions server on a free local port.

    `reply` is the answer: a string (sent in `chunk_size` pieces), or a callable(request_body)
    returning one. `status` other than 200 answers that error; `delay` waits before answering;
    `fail_after` chunks, the connection is dropped midway. Every request body is kept in
    `requests`.
    """

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), FakeModelHandler)
        self.reply, self.status, self.delay, self.fail_after, self.chunk_size = "Hello", 200, 0, None, 4
        self.usage = {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132}
        self.requests, self.headers = [], []
        self.released = threading.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class FakeModelHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.requests.append(body)
        server.headers.append(dict(self.headers))
        if server.delay:
            server.released.wait(server.delay)
        if self.path != "/v1/chat/completions":
            return self.send_json(404, {"error": {"message": "not found"}})
        if server.status != 200:
            return self.send_json(server.status, {"error": {"message": "the model is overloaded", "type": "server_error"}})
        reply = server.reply(body) if callable(server.reply) else server.reply
        if not body.get("stream"):
            return self.send_json(200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": server.usage,
            })
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = [reply[i:i + server.chunk_size] for i in range(0, len(reply), server.chunk_size)]
        for n, piece in enumerate(pieces):
            if server.fail_after is not None and n == server.fail_after:
                self.wfile.write(b"data: {not json\n\n")
                self.wfile.flush()
                return
            self.send_chunk(body, {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        self.send_chunk(body, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if body.get("stream_options", {}).get("include_usage"):
            self.send_chunk(body, {"choices": [], "usage": server.usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def send_chunk(self, body, fields):
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": body["model"], **fields}
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()

    def send_json(self, status, data):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def model_server(settings):
    """The fake server, configured as the LLM_* settings."""
    server = FakeModelServer()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.LLM_BASE_URL, settings.LLM_API_KEY, settings.LLM_MODEL = server.url, FAKE_KEY, MODEL
    settings.LLM_TIMEOUT_SECONDS = 5
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


def key_client(account, alice, label, **permissions):
    _, raw = ApiKey.objects.create_key(account=account, label=label, created_by=alice, **permissions)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def parse_events(response):
    """The Server-Sent Events of a streamed response, as [(event, data)], one by one."""
    body = b"".join(response.streaming_content).decode()
    assert body.endswith("\n\n"), body
    events = []
    for block in body.split("\n\n")[:-1]:
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        assert set(fields) == {"event", "data"}, block
        events.append((fields["event"], json.loads(fields["data"])))
    return events
