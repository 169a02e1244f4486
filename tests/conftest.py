import io
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account, Membership, Plan, User
from apikeys.models import ApiKey
from chatbots.models import Chatbot
from observability.logging import JsonFormatter, RequestContextFilter

PASSWORD = "correct horse battery staple"
REDIS_URL = "redis://127.0.0.1:6379/3"


def redis_is_up():
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


# Redis runs on every developer machine set up as the README says, and in CI; not on a bare one.
requires_redis = pytest.mark.skipif(not redis_is_up(), reason=f"needs a Redis server at {REDIS_URL}")


def redis_caches(url):
    """The CACHES setting production derives from REDIS_URL=url."""
    from django.conf import settings

    return {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url,
                        "OPTIONS": settings.REDIS_CACHE_OPTIONS}}


def make_account(name, plan="starter"):
    return Account.objects.create(name=name, plan=Plan.objects.get(code=plan))


def make_member(account, email, role):
    user = User.objects.create_user(email=email, password=PASSWORD)
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def account(db):
    return make_account("Alice Co")


@pytest.fixture
def alice(account):
    """Owns `account`."""
    return make_member(account, "alice@example.com", Membership.Role.OWNER)


@pytest.fixture
def bob(account):
    """A member of `account`: sees keys, cannot manage them."""
    return make_member(account, "bob@example.com", Membership.Role.MEMBER)


@pytest.fixture
def other_account(db):
    return make_account("Charlie Ltd")


@pytest.fixture
def charlie(other_account):
    """Owns `other_account`: an outsider to `account`, who must get 404s."""
    return make_member(other_account, "charlie@example.com", Membership.Role.OWNER)


@pytest.fixture
def key_pair(account, alice):
    """(api_key, raw_key) for `account`."""
    return ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice)


@pytest.fixture
def raw_key(key_pair):
    return key_pair[1]


@pytest.fixture
def api_client(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def other_api_client(other_account, charlie):
    _, raw = ApiKey.objects.create_key(account=other_account, label="Outsider", created_by=charlie)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def anonymous_api_client():
    return APIClient()


def confirmed(client):
    """A browser session that confirmed its password just now (accounts.reauth), as an owner
    managing keys or webhooks will have; tests of the confirmation itself start without it."""
    from django.utils import timezone

    from accounts import reauth

    session = client.session
    session[reauth.SESSION_KEY] = timezone.now().timestamp()
    session.save()
    return client


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return confirmed(client)


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def chatbot(account):
    return Chatbot.objects.create(account=account, name="Support bot")


@pytest.fixture
def other_chatbot(other_account):
    return Chatbot.objects.create(account=other_account, name="Charlie's bot")


@pytest.fixture
def fresh_minute():
    """Counts are per clock minute: start a test that counts well inside one, not at its edge."""
    seconds_left = 60 - time.time() % 60
    if seconds_left < 10:
        time.sleep(seconds_left + 0.1)


@pytest.fixture
def shared_redis_cache(settings):
    """Production's shared cache: Redis, holding every worker's counts."""
    settings.CACHES = redis_caches(REDIS_URL)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def no_full_secret_key_in_any_log_record():
    """Across the whole test session, no log record (message, arguments or traceback) carries a
    full secret key. Fails the session's last test teardown, naming the loggers that leaked."""
    import logging
    import re

    # A secret API key, or a webhook signing secret (32 random bytes in base64).
    full_key = re.compile(r"pivra_sk_[A-Za-z0-9]{36}|whsec_[A-Za-z0-9+/]{43}=")
    formatter = logging.Formatter()

    class LeakCatcher(logging.Handler):
        def __init__(self):
            super().__init__(level=logging.NOTSET)
            self.leaks = []

        def emit(self, record):
            try:
                text = f"{formatter.format(record)} {record.args!r}"
            except Exception:  # a badly formed record is not this check's business
                text = f"{record.msg!r} {record.args!r}"
            if full_key.search(text):
                self.leaks.append(f"{record.name}: {full_key.sub('<redacted secret>', text)[:300]}")

    catcher = LeakCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    yield
    root.removeHandler(catcher)
    assert not catcher.leaks, "A full secret key was logged:\n" + "\n".join(catcher.leaks)


@pytest.fixture
def run_jobs(transactional_db, django_db_serialized_rollback, settings, monkeypatch):
    """`run_jobs()` runs every queued job as a worker would (procrastinate's, on PostgreSQL) and
    returns once none is left.

    It makes the test transactional, with the migration-seeded rows restored: a worker sees only
    committed rows. On SQLite jobs run inline as their transaction commits, so `run_jobs()` finds
    nothing left to run there. Afterwards the queue is emptied: procrastinate's tables are not
    Django's, so the test database's flush leaves them alone.
    """
    from django.db import connection

    from jobs.queue import uses_worker

    # The worker runs each task in a thread of its own, with a connection of its own: closed after
    # the task (procrastinate's Django middleware) only when it is not kept for reuse, and a
    # connection left open stops the test database from being dropped at the end.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)

    def run():
        if uses_worker():
            from procrastinate.contrib.django import app

            def work():
                with app.replace_connector(app.connector.get_worker_connector()):
                    # One job at a time: a job deferred by a job is then run before the queue looks empty.
                    app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False, concurrency=1)

            # In a thread of its own: the worker runs its own event loop, and the browser tests
            # leave one running in this thread.
            with ThreadPoolExecutor(max_workers=1) as thread:
                thread.submit(work).result()

    yield run
    if uses_worker():
        from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker

        settings.PROCRASTINATE_READONLY_MODELS = False  # procrastinate's documented switch, for tests
        ProcrastinateJob.objects.all().delete()
        ProcrastinateWorker.objects.all().delete()


# Outbound connections (URL sources, webhooks) without the network

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def connections(monkeypatch):
    """Records every outgoing connection instead of making it."""
    calls = []

    def create_connection(address, *args, **kwargs):
        calls.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return calls


@pytest.fixture
def dns(monkeypatch):
    """Maps host names to addresses; other names resolve for real. Records every lookup."""
    names, lookups = {}, []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host not in names:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        answers = names[host] if isinstance(names[host], list) else names[host](len(lookups))
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names, lookups


@pytest.fixture
def console_log():
    """console_log("json" or "plain"): start capturing what settings.LOGGING's console handler
    writes in that format (its request filter, its formatter); returns a function giving the lines."""
    handlers = []

    def start(format_name):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestContextFilter())
        plain = settings.LOGGING["formatters"]["plain"]["format"]
        handler.setFormatter(JsonFormatter() if format_name == "json" else logging.Formatter(plain))
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
        return lambda: stream.getvalue().splitlines()

    yield start
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
