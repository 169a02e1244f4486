"""The app under gunicorn, its database cut (refused, reset) or partitioned (packets dropped).

The app and a TCP proxy in front of PostgreSQL run in a network namespace of their own, so a
`blackhole` qdisc on that namespace's loopback drops every packet between them without touching
the host's network. The test talks to gunicorn over a unix socket, which no qdisc affects, and
the proxy reaches PostgreSQL through its unix socket. Needs root (`ip netns add`); skipped without.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # rows gunicorn can see
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (the libpq timeouts are its own)"),
]

ROOT = Path(__file__).resolve().parents[2]
PROXY_SCRIPT = Path(__file__).with_name("tcp_proxy.py")
PROXY_PORT = 15432  # inside the namespace, where nothing else listens
# The longest a request may take while the database is partitioned: the promise is "about 5 s".
PARTITION_BOUND_SECONDS = 6
# A refused or reset connection fails at once: seconds mean something waited that should not.
CUT_BOUND_SECONDS = 3
ANSWER_TIMEOUT_SECONDS = 15  # the client's own limit, well past either bound
# gunicorn's environment, besides DATABASE_URL and PATH: production settings, no Redis.
APP_ENV = {
    "DJANGO_SETTINGS_MODULE": "pivra.settings",
    "DEBUG": "false",
    "SECRET_KEY": "test-secret-key-not-for-production",  # tests/settings.py's: API key hashes match
    "ALLOWED_HOSTS": "localhost",
    "CACHE_URL": "",
    "REDIS_URL": "",
    "SECURE_SSL_REDIRECT": "false",
}


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=30)


def postgres_socket():
    port = connection.settings_dict["PORT"] or "5432"
    return os.environ.get("PIVRA_FAULTS_POSTGRES_SOCKET", f"/var/run/postgresql/.s.PGSQL.{port}")


def database_url():
    """The test database, through the proxy in the namespace."""
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    return f"postgres://{quote(settings['USER'], safe='')}{password}@127.0.0.1:{PROXY_PORT}/{settings['NAME']}"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path, timeout):
        super().__init__("localhost", timeout=timeout)  # Host: localhost
        self.socket_path = socket_path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)

    def __str__(self):
        return f"{self.status} after {self.seconds:.2f} s: {self.body[:300]!r}"


class App:
    """gunicorn (one worker) and the database proxy, in network namespace `namespace`."""

    def __init__(self, namespace, directory):
        self.namespace, self.directory = namespace, Path(directory)
        self.app_socket = str(self.directory / "app.sock")
        self.control_socket = str(self.directory / "proxy.sock")
        self.log = self.directory / "gunicorn.log"
        self.gunicorn = self.proxy = None

    def in_namespace(self, *command, **popen):
        return subprocess.Popen(["ip", "netns", "exec", self.namespace, *command], **popen)

    def get(self, path, headers=None, timeout=ANSWER_TIMEOUT_SECONDS):
        client = UnixHTTPConnection(self.app_socket, timeout)
        started = time.monotonic()
        try:
            client.request("GET", path, headers=headers or {})
            response = client.getresponse()
            return Answer(response.status, response.headers, response.read(), time.monotonic() - started)
        except TimeoutError:
            pytest.fail(f"GET {path}: no answer within {timeout} s\n{self.log_tail()}")
        finally:
            client.close()

    def log_tail(self):
        return "gunicorn's log ends with:\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def wait_until_ready(self, deadline_seconds=30):
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.gunicorn.returncode}\n{self.log_tail()}")
            try:
                if self.get("/readyz", timeout=5).status == 200:
                    return
            except OSError:  # no socket yet, or not accepting yet
                pass
            time.sleep(0.1)
        pytest.fail(f"/readyz did not answer 200 within {deadline_seconds} s\n{self.log_tail()}")

    def worker_pids(self):
        """The master's children: its workers."""
        master = self.gunicorn.pid
        return Path(f"/proc/{master}/task/{master}/children").read_text().split()

    def the_worker(self):
        pids = self.worker_pids()
        assert len(pids) == 1, f"gunicorn runs one worker, its children are {pids}"
        return pids[0]

    def control_proxy(self, command):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
            control.settimeout(5)
            control.connect(self.control_socket)
            control.sendall(f"{command}\n".encode())
            assert control.recv(100) == b"ok\n", f"the proxy did not {command}"

    def cut(self):
        """The database goes down: connections are refused, and open ones are closed."""
        self.control_proxy("cut")

    def restore(self):
        self.control_proxy("restore")

    def partition(self):
        """The database stops answering: every packet between the app and the proxy is dropped."""
        run("ip", "netns", "exec", self.namespace, "tc", "qdisc", "add", "dev", "lo", "root", "blackhole")

    def heal(self):
        run("ip", "netns", "exec", self.namespace, "tc", "qdisc", "del", "dev", "lo", "root")


def stop(process, first_signal):
    """Ask `process` (which leads its own process group) to stop; kill its group if it lingers."""
    if process.poll() is None:
        process.send_signal(first_signal)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group: a stuck worker outlives its master
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


@pytest.fixture
def app():
    if not (shutil.which("ip") and shutil.which("tc")):
        pytest.skip("needs iproute2's ip and tc")
    if not os.path.exists(postgres_socket()):
        pytest.skip(f"needs PostgreSQL's unix socket at {postgres_socket()} (PIVRA_FAULTS_POSTGRES_SOCKET)")
    namespace = f"pivra-faults-{os.getpid()}"
    with ExitStack() as cleanup:
        try:
            run("ip", "netns", "add", namespace)
        except subprocess.CalledProcessError as error:
            pytest.skip(f"cannot create a network namespace (needs root): {error.stderr.strip()}")
        cleanup.callback(run, "ip", "netns", "del", namespace)
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up")
        directory = tempfile.mkdtemp(prefix="pivra-faults-")  # short: a unix socket path is < 108 bytes
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        app = App(namespace, directory)

        app.proxy = app.in_namespace(
            sys.executable, str(PROXY_SCRIPT), "127.0.0.1", str(PROXY_PORT), postgres_socket(), app.control_socket,
            stdout=subprocess.DEVNULL, start_new_session=True,
        )
        cleanup.callback(stop, app.proxy, signal.SIGTERM)
        with open(app.log, "wb") as log:
            app.gunicorn = app.in_namespace(
                sys.executable, "-m", "gunicorn", "pivra.wsgi", "--workers", "1", "--bind", f"unix:{app.app_socket}",
                "--timeout", "60",  # gunicorn's own worker timeout must not mask what the tests measure
                "--no-control-socket",  # else gunicorn takes ~/.gunicorn/gunicorn.ctl from any other one
                "--access-logfile", "-",
                cwd=ROOT, env={**APP_ENV, "DATABASE_URL": database_url(), "PATH": os.environ["PATH"]},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        cleanup.callback(stop, app.gunicorn, signal.SIGQUIT)  # SIGQUIT: gunicorn's quick shutdown
        # Before the processes stop (callbacks run last first): a partition left by a failed test.
        cleanup.callback(subprocess.run, ["ip", "netns", "exec", namespace, "tc", "qdisc", "del", "dev", "lo", "root"],
                         capture_output=True)
        app.wait_until_ready()
        yield app


@pytest.fixture
def api_headers(raw_key):
    return {"Authorization": f"Bearer {raw_key}"}


@pytest.fixture
def widget_headers(chatbot):
    return {"X-Pivra-Embed-Key": chatbot.embed_key}


def assert_json_503(answer, within_seconds):
    assert answer.status == 503, answer
    assert answer.headers["Content-Type"] == "application/json", answer.headers
    assert answer.headers["Retry-After"] == "5", answer.headers
    body = answer.json()
    assert body["code"] == "service_unavailable" and body["detail"], body
    assert answer.seconds < within_seconds, f"answered after {answer.seconds:.2f} s, over {within_seconds} s"


def assert_readyz_503(answer, within_seconds):
    assert answer.status == 503, answer
    assert answer.headers["Content-Type"] == "application/json", answer.headers
    assert answer.json() == {"status": "error", "database": "unavailable", "migrations": "unknown"}
    assert answer.seconds < within_seconds, f"answered after {answer.seconds:.2f} s, over {within_seconds} s"


def assert_serving(app, api_headers, widget_headers):
    paths = [("/api/leads", api_headers), ("/widget/v1/chatbot", widget_headers), ("/healthz", {}), ("/readyz", {})]
    for path, headers in paths:
        answer = app.get(path, headers)
        assert answer.status == 200, f"GET {path}: {answer}"


def test_with_the_database_cut_the_api_and_widget_answer_json_503_and_recover_without_a_restart(
    app, api_headers, widget_headers
):
    assert_serving(app, api_headers, widget_headers)  # the worker now holds a database connection
    worker = app.the_worker()

    app.cut()
    assert_json_503(app.get("/api/leads", api_headers), CUT_BOUND_SECONDS)  # its connection was closed
    assert_json_503(app.get("/api/leads", api_headers), CUT_BOUND_SECONDS)  # a new one is refused
    assert_json_503(app.get("/widget/v1/chatbot", widget_headers), CUT_BOUND_SECONDS)
    assert_readyz_503(app.get("/readyz"), CUT_BOUND_SECONDS)

    app.restore()
    assert_serving(app, api_headers, widget_headers)
    assert app.the_worker() == worker, "the worker was replaced: the app recovered by restarting"


def test_a_partitioned_database_holds_no_request_longer_than_about_5_seconds(app, api_headers, widget_headers):
    assert_serving(app, api_headers, widget_headers)  # the worker now holds a database connection
    worker = app.the_worker()

    app.partition()
    # Its connection goes unanswered (tcp_user_timeout), then so does a new one (connect_timeout).
    assert_json_503(app.get("/api/leads", api_headers), PARTITION_BOUND_SECONDS)
    assert_json_503(app.get("/api/leads", api_headers), PARTITION_BOUND_SECONDS)  # no connection: connects
    assert_json_503(app.get("/widget/v1/chatbot", widget_headers), PARTITION_BOUND_SECONDS)
    assert_readyz_503(app.get("/readyz"), PARTITION_BOUND_SECONDS)

    app.heal()
    assert_serving(app, api_headers, widget_headers)
    assert app.the_worker() == worker, "the worker was replaced: the app recovered by restarting"
