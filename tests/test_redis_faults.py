"""With Redis stopped, paused or back with its old contents, the API and the widget keep serving,
no request waits on Redis much longer than its 0.5 s timeout, a revocation still holds, and
everything recovers without a restart.

Each test runs its own redis-server on a free port, so it can kill and pause it: the machine's
shared Redis is never touched.
"""

import logging
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis
from django.db import connection, connections
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Plan
from usage import ratelimit
from apikeys.models import ApiKey
from tests.conftest import redis_caches

# Redis's timeout is 0.5 s; a request may wait once for it, plus the request's own work.
BOUND_SECONDS = 1.5
PAUSE_MS = 3000

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server installed")


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test may kill and restart."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self):
        self.process.kill()
        self.process.wait()

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def _answers(self):
        try:
            return self.client().ping()
        except redis.RedisError:
            return False


@pytest.fixture
def own_redis(settings):
    server = RedisServer()
    server.start()
    settings.CACHES = redis_caches(server.url)
    yield server
    if server.process.poll() is None:
        server.kill()


@pytest.fixture
def frozen(own_redis):
    """Freeze the test's Redis (SIGSTOP): connections open, nothing answered, as a hung server."""
    own_redis.process.send_signal(signal.SIGSTOP)
    yield
    own_redis.process.send_signal(signal.SIGCONT)


def timed(request):
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


def bearer(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def widget_get(embed_key):
    return Client().get("/widget/v1/chatbot", HTTP_X_PIVRA_EMBED_KEY=embed_key, REMOTE_ADDR="203.0.113.7")


def test_with_redis_frozen_a_valid_key_is_served_within_the_bound(api_client, fresh_minute, own_redis, frozen):
    response, seconds = timed(lambda: api_client.get("/api/leads"))
    assert response.status_code == 200
    assert seconds < BOUND_SECONDS


def test_with_redis_frozen_the_widget_answers_within_the_bound(chatbot, own_redis, frozen):
    response, seconds = timed(lambda: widget_get(chatbot.embed_key))
    assert response.status_code == 200
    assert response.json()["chatbot"]["name"] == "Support bot"
    assert seconds < BOUND_SECONDS


def test_with_redis_stopped_the_api_and_the_widget_answer_and_the_log_says_so_once(
    api_client, chatbot, own_redis, caplog, monkeypatch
):
    monkeypatch.setattr(ratelimit, "_warned_at", 0.0)  # as in a process that has not warned yet
    own_redis.kill()
    for _ in range(5):
        assert api_client.get("/api/leads").status_code == 200
        assert widget_get(chatbot.embed_key).status_code == 200
    warnings = [r for r in caplog.records if "Rate-limit store unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_readyz_says_503_while_redis_is_down_and_200_when_it_is_back_while_healthz_stays_200(db, own_redis):
    assert Client().get("/readyz").json() == {"status": "ok", "database": "ok", "migrations": "ok", "redis": "ok"}
    own_redis.kill()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "migrations": "ok", "redis": "unavailable"}
    assert Client().get("/healthz").status_code == 200
    own_redis.start()
    assert Client().get("/readyz").status_code == 200


def test_counting_resumes_when_redis_comes_back_without_a_restart(api_client, account, fresh_minute, own_redis):
    assert api_client.get("/api/leads").status_code == 200
    assert ratelimit.requests_this_window(account.pk) == 1
    own_redis.kill()
    assert api_client.get("/api/leads").status_code == 200
    own_redis.start()  # empty: the counts of this minute are lost, the limit is not
    Plan.objects.filter(code="starter").update(api_requests_per_minute=2)
    assert [api_client.get("/api/leads").status_code for _ in range(3)] == [200, 200, 429]


def test_a_key_revoked_on_the_page_while_redis_is_paused_stays_revoked_when_it_returns(
    key_pair, alice_client, own_redis
):
    api_key, raw_key = key_pair
    own_redis.client().set("something-from-before", "old contents")  # Redis comes back with these
    assert bearer(raw_key).get("/api/leads").status_code == 200
    # Redis 7.0 does not answer even CLIENT UNPAUSE during a pause of ALL: let it run out.
    own_redis.client().execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
    paused_until = time.monotonic() + PAUSE_MS / 1000
    confirm = alice_client.get(f"/settings/security/keys/{api_key.pk}/revoke/")
    assert confirm.status_code == 200
    response, seconds = timed(lambda: alice_client.post(f"/settings/security/keys/{api_key.pk}/revoke/"))
    assert response.status_code == 302
    assert seconds < BOUND_SECONDS
    assert bearer(raw_key).get("/api/leads").status_code == 401
    assert time.monotonic() < paused_until, "the pause ran out before the test was done: nothing proved"
    time.sleep(paused_until - time.monotonic() + 0.1)
    assert own_redis.client().get("something-from-before") == b"old contents"
    response = bearer(raw_key).get("/api/leads")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads with their own connections need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_killed_mid_load_costs_no_request_its_answer_nor_more_than_the_bound(
    key_pair, chatbot, own_redis, settings
):
    _, raw_key = key_pair
    Plan.objects.filter(code="starter").update(api_requests_per_minute=100_000)
    settings.WIDGET_RATE_LIMIT_PER_IP = settings.WIDGET_RATE_LIMIT_PER_CHATBOT = 100_000
    stop, results, errors = threading.Event(), [], []

    def load(request):
        try:
            while not stop.is_set():
                response, seconds = timed(request)
                results.append((request.__name__, response.status_code, seconds, time.monotonic()))
        except Exception as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    def api():
        return bearer(raw_key).get("/api/leads")

    def widget():
        return widget_get(chatbot.embed_key)

    threads = [threading.Thread(target=load, args=(request,)) for request in (api, api, widget, widget)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    own_redis.kill()
    killed_at = time.monotonic()
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    after = [(name, status) for name, status, _, finished in results if finished > killed_at]
    assert {"api", "widget"} <= {name for name, _ in after}, "no request ran after the kill: nothing proved"
    assert {status for _, status, _, _ in results} == {200}
    assert max(seconds for _, _, seconds, _ in results) < BOUND_SECONDS


def test_the_api_reads_no_verified_key_from_redis(key_pair, own_redis):
    # Revocation is exact because nothing caches a verified key: Redis holds only counts.
    _, raw_key = key_pair
    assert bearer(raw_key).get("/api/leads").status_code == 200
    names = [name.decode() for name in own_redis.client().keys("*")]
    assert names and all(":api:requests:" in name for name in names)
    assert not any(ApiKey.objects.get().key_hash in name for name in names)
