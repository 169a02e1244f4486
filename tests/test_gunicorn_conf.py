"""The production command, `gunicorn -c gunicorn.conf.py pivra.wsgi`, starts and serves."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path), "DEBUG": "false", "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "GUNICORN_ACCESS_LOG": "-",
    }
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pivra.wsgi"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def get(path, headers=None):
        deadline = time.monotonic() + 30
        while True:
            try:
                client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                client.request("GET", path, headers=headers or {})
                response = client.getresponse()
                return response.status, response.headers, response.read()
            except ConnectionRefusedError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
                time.sleep(0.1)

    yield get, log, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_the_production_command_serves_healthz_with_a_request_id_and_logs_json(gunicorn):
    get, log, process = gunicorn
    status, headers, body = get("/healthz?token=pivra_sk_secret", {"X-Request-ID": "deploy-check-1",
                                                                   "Authorization": "Bearer pivra_sk_secret"})
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert headers["X-Request-ID"] == "deploy-check-1"
    time.sleep(0.5)  # the access lines are written after the answer
    written = log.read_text()
    [access] = [json.loads(line) for line in written.splitlines() if '"pivra.access"' in line]
    assert access["request_id"] == "deploy-check-1" and access["path"] == "/healthz" and access["status"] == 200
    assert '"GET /healthz" 200' in written  # gunicorn's own access line, when asked for
    assert "pivra_sk_secret" not in written and "token=" not in written


def test_the_production_command_runs_the_workers_it_was_told(gunicorn):
    get, log, process = gunicorn
    get("/healthz")
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 2


def printed_config(**environment):
    """gunicorn's settings as `gunicorn --print-config` shows them, under `environment`."""
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 50, **environment}  # it loads the app too
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "pivra.wsgi"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    pairs = (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_by_default_it_runs_a_sync_worker_a_cpu_without_gunicorns_access_log():
    config = printed_config()
    assert int(config["workers"]) == len(os.sched_getaffinity(0))
    assert config["worker_class"] == "sync"
    assert config["accesslog"] == "None"
    assert config["forwarded_allow_ips"] == "['127.0.0.1', '::1']"


def test_it_believes_forwarded_headers_from_the_trusted_proxies_only():
    config = printed_config(TRUSTED_PROXY_IPS="10.0.0.5,10.0.0.6")
    assert config["forwarded_allow_ips"] == "['10.0.0.5', '10.0.0.6']"
