"""Two web hosts and a job worker on one PostgreSQL and one Redis, as production runs.

Two gunicorn servers (each with `gunicorn.conf.py`, on loopback ports of their own) and one
`procrastinate worker` share the test database, reached through a small TCP proxy the test can
cut, and a redis-server of the test's own. What one host does, the other sees at once.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from apikeys.models import ApiKey
from sources.models import Source
from tests.conftest import make_account, make_member
from tests.test_redis_faults import RedisServer

from .test_database_faults import PROXY_SCRIPT, ROOT, postgres_socket, stop

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # rows the hosts can see
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the job queue and the hosts need PostgreSQL"),
]

METRICS_TOKEN = "scrape-token-2h"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Host:
    """A gunicorn server on 127.0.0.1:port, its output in `log`."""

    def __init__(self, port, log):
        self.port, self.log, self.process = port, log, None

    def request(self, method, path, headers=None, body=None):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            client.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
            response = client.getresponse()
            return response.status, response.headers, response.read()
        finally:
            client.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers)

    def wait_until_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail("a host did not become ready:\n" + self.log.read_text(errors="replace")[-3000:])


class Page(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html><head><title>Opening hours</title></head><body><p>Open 9 to 5, Monday to Friday.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def deployment():
    if not os.path.exists(postgres_socket()):
        pytest.skip(f"needs PostgreSQL's unix socket at {postgres_socket()}")
    with ExitStack() as cleanup:
        directory = Path(tempfile.mkdtemp(prefix="pivra-2h-"))
        redis_server = RedisServer()
        redis_server.start()
        cleanup.callback(redis_server.kill)
        site = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        cleanup.callback(site.shutdown)
        import threading

        threading.Thread(target=site.serve_forever, daemon=True).start()

        proxy_port, control = free_port(), str(directory / "proxy.sock")
        proxy = subprocess.Popen(
            [sys.executable, str(PROXY_SCRIPT), "127.0.0.1", str(proxy_port), postgres_socket(), control],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )
        cleanup.callback(stop, proxy, signal.SIGTERM)
        settings = connection.settings_dict
        password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
        environment = {
            "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "pivra.settings", "DEBUG": "false",
            "SECRET_KEY": "test-secret-key-not-for-production",  # tests/settings.py's: key hashes match
            "ALLOWED_HOSTS": "localhost", "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"postgres://{quote(settings['USER'], safe='')}{password}@127.0.0.1:{proxy_port}/{settings['NAME']}",
            "REDIS_URL": redis_server.url, "METRICS_TOKEN": METRICS_TOKEN,
            "OUTBOUND_PRIVATE_ALLOWLIST": f"127.0.0.1:{site.server_address[1]}",
            "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json",
            "JOBS_STALLED_AFTER_SECONDS": "3", "JOBS_STALLED_CHECK_CRON": "* * * * * */1",
        }
        hosts = []
        for name in ("a", "b"):
            host = Host(free_port(), directory / f"{name}.log")
            with open(host.log, "wb") as log:
                host.process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pivra.wsgi"],
                    cwd=ROOT, env={**environment, "GUNICORN_BIND": f"127.0.0.1:{host.port}"},
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            cleanup.callback(stop, host.process, signal.SIGQUIT)
            hosts.append(host)
        with open(directory / "worker.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "procrastinate", "worker"], cwd=ROOT, env=environment,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        cleanup.callback(stop, worker, signal.SIGTERM)
        for host in hosts:
            host.wait_until_ready()

        def control_proxy(command):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
                channel.settimeout(5)
                channel.connect(control)
                channel.sendall(f"{command}\n".encode())
                assert channel.recv(100) == b"ok\n"

        yield hosts, control_proxy, f"http://127.0.0.1:{site.server_address[1]}/hours"


def bearer(raw_key, **headers):
    return {"Authorization": f"Bearer {raw_key}", **headers}


def test_two_hosts_and_a_worker_act_as_one_deployment(deployment):
    (a, b), control_proxy, page_url = deployment
    account = make_account("Two Hosts Co", plan="starter")
    owner = make_member(account, "owner@twohosts.test", "owner")
    api_key, raw_key = ApiKey.objects.create_key(account=account, label="Sync", created_by=owner)

    # A key revoked (here, as the Security page would on host a) is refused by both at once.
    assert [a.get("/api/usage", bearer(raw_key))[0], b.get("/api/usage", bearer(raw_key))[0]] == [200, 200]
    api_key.revoke(by=owner)
    assert [a.get("/api/usage", bearer(raw_key))[0], b.get("/api/usage", bearer(raw_key))[0]] == [401, 401]

    # A rate limit holds across both hosts (counted in the shared Redis): a key of its own limit.
    _, limited = ApiKey.objects.create_key(account=account, label="Limited", created_by=owner, requests_per_minute=4)
    seconds_left = 60 - time.time() % 60
    if seconds_left < 5:  # stay inside one counting window
        time.sleep(seconds_left + 0.2)
    statuses = [host.get("/api/leads", bearer(limited))[0] for host in (a, b, a, b, a)]
    assert statuses == [200, 200, 200, 200, 429]
    _, raw_key = ApiKey.objects.create_key(account=account, label="Second", created_by=owner)

    # A job deferred by one host (a URL source) is run by the worker.
    chatbot_id = json.loads(b.request("POST", "/api/chatbots", bearer(raw_key, **{"Content-Type": "application/json"}),
                                      json.dumps({"name": "Hours bot"}))[2])["id"]
    status, _, body = a.request("POST", "/api/sources", bearer(raw_key, **{"Content-Type": "application/json"}),
                                json.dumps({"chatbot": chatbot_id, "type": "url", "url": page_url}))
    assert status == 201, body
    source_id = json.loads(body)["id"]
    deadline = time.monotonic() + 20
    while Source.objects.get(pk=source_id).status != Source.Status.READY:
        assert time.monotonic() < deadline, Source.objects.get(pk=source_id).error
        time.sleep(0.2)

    # A request id sent to a host comes back and is in that host's log.
    status, headers, _ = a.get("/api/leads", bearer(raw_key, **{"X-Request-ID": "trace-two-hosts-42"}))
    assert (status, headers["X-Request-ID"]) == (200, "trace-two-hosts-42")
    deadline = time.monotonic() + 5
    while "trace-two-hosts-42" not in a.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the request id is not in host a's log"
        time.sleep(0.1)

    # /readyz says 503 on both while the database is cut, and 200 once it is back.
    control_proxy("cut")
    assert [a.get("/readyz")[0], b.get("/readyz")[0]] == [503, 503]
    control_proxy("restore")
    deadline = time.monotonic() + 15
    while [a.get("/readyz")[0], b.get("/readyz")[0]] != [200, 200]:
        assert time.monotonic() < deadline, "the hosts did not recover"
        time.sleep(0.2)

    # /metrics only with the token.
    assert a.get("/metrics")[0] == 403
    status, _, body = b.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200 and b"pivra_http_requests_total" in body
