"""pivra.cache.RedisCache: Django's Redis cache plus one-round-trip commands for the API's hot path."""

import os

import pytest
import redis
from django.core.cache import cache
from redis.exceptions import ResponseError

from tests.conftest import REDIS_URL, requires_redis

pytestmark = [requires_redis, pytest.mark.usefixtures("shared_redis_cache")]


def key(name):
    return cache.make_and_validate_key(name)


def test_a_round_trip_returns_each_commands_reply_in_order():
    cache.set("greeting", {"hello": "world"})
    value, created, counted = cache.round_trip(
        ("GET", key("greeting")), ("SET", key("hits"), 0, "EX", 60, "NX"), ("INCR", key("hits"))
    )
    assert cache.loads(value) == {"hello": "world"}
    assert counted == 1 and cache.get("hits") == 1
    assert cache.round_trip(("INCR", key("hits"))) == [2]


def test_a_failed_command_leaves_no_reply_behind_for_the_next_caller():
    cache.set_many({"greeting": "hello", "other": "not for you"})
    redis.Redis.from_url(REDIS_URL).rpush(key("a-list"), "x")
    with pytest.raises(ResponseError):
        cache.round_trip(("INCR", key("a-list")), ("GET", key("other")))
    assert [cache.loads(v) for v in cache.round_trip(("GET", key("greeting")))] == ["hello"]


def test_it_reconnects_after_redis_dropped_its_connection():
    cache.set("greeting", "hello")
    [own_connection] = cache.round_trip(("CLIENT", "ID"))
    redis.Redis.from_url(REDIS_URL).client_kill_filter(_id=own_connection)
    assert cache.loads(cache.round_trip(("GET", key("greeting")))[0]) == "hello"
    assert cache.get("greeting") == "hello"


def test_commands_sent_while_earlier_replies_are_pending_get_their_own_replies():
    cache.set_many({"first": "one", "second": "two"})
    pending = cache.send(("GET", key("first")))
    assert [cache.loads(v) for v in cache.round_trip(("GET", key("second")))] == ["two"]
    assert [cache.loads(v) for v in pending.read()] == ["one"]
    assert [cache.loads(v) for v in cache.round_trip(("GET", key("first")))] == ["one"]


def test_a_connection_made_before_a_fork_is_not_shared_with_the_child():
    [parents] = cache.round_trip(("CLIENT", "ID"))
    assert cache.round_trip(("CLIENT", "ID")) == [parents]  # the same connection, reused
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.write(write_end, str(cache.round_trip(("CLIENT", "ID"))[0]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end) as answer:
        childs = int(answer.read())
    assert childs != parents
    assert cache.round_trip(("CLIENT", "ID")) == [parents]  # the parent's connection still works
