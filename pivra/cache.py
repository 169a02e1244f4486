"""Django's Redis cache backend, made cheaper for the calls every API request makes.

Django's client builds a new `redis.Redis` object for every cache call; with its table of
response callbacks that costs about as much as the round trip itself (bench/ measured it).
Redis clients are thread-safe and share the connection pool, so one per pool is enough.
"""

import os

import hiredis
from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError


class _ReusedClientRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # Django keeps its pools as long as the cache
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PendingReplies:
    """The replies to commands already sent. `read()` waits for them; call it exactly once."""

    def __init__(self, cache, connection, packed, count, retry):
        self._cache, self._connection, self._packed, self._count = cache, connection, packed, count
        self._retry = retry

    def read(self):
        connection = self._connection
        try:
            try:
                return [connection.read_response() for _ in range(self._count)]
            except ConnectionError:
                if not self._retry:
                    raise
                # Redis dropped this idle connection (a restart, a client timeout) before the
                # commands reached it: send them again, once, on a new one.
                connection.disconnect()
                connection.send_packed_command([self._packed], check_health=False)
                return [connection.read_response() for _ in range(self._count)]
        except BaseException:
            connection.disconnect()  # unread replies must not reach the next caller
            raise
        finally:
            self._cache._give_back(connection)


_forks = 0  # how many forks this process is from the one that imported this module


def _count_fork():
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_count_fork)


class RedisCache(django_redis.RedisCache):
    """Django keeps one cache object per thread, so `_spare` is this thread's own connection."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClientRedisCacheClient
        self._spare = None

    def round_trip(self, *commands):
        """Send raw commands, e.g. `("INCR", key)`, in one round trip and return their replies.

        Keys must go through `make_key` first.
        """
        return self.send(*commands).read()

    def send(self, *commands):
        """Send raw commands without waiting: the caller can work while Redis answers, then
        `read()` the returned PendingReplies."""
        packed = b"".join([hiredis.pack_command(command) for command in commands])
        connection, reused = self._take()
        try:
            try:
                connection.send_packed_command([packed], check_health=False)
            except ConnectionError:
                if not reused:
                    raise
                connection.disconnect()  # dropped by Redis while idle: reconnect, once
                connection.send_packed_command([packed], check_health=False)
        except BaseException:
            connection.disconnect()
            self._give_back(connection)
            raise
        return PendingReplies(self, connection, packed, len(commands), retry=reused)

    def loads(self, value):
        """Decode a value read by `round_trip`, as `get()` would."""
        return None if value is None else self._cache._serializer.loads(value)

    # Every API request makes one such round trip. On its own connection, it skips the pool's
    # locking and bookkeeping (redis-py 8), which on a 2-core machine cost about 2% of a list
    # request (bench/). A second connection serves a thread whose first still awaits replies.
    # Nor does it ask the socket whether Redis closed the connection before each use, as the pool
    # does: a command on a dropped connection is sent again on a new one instead.
    def _take(self):
        """(a connection, whether it has been used before)."""
        spare, self._spare = self._spare, None
        if spare is not None and spare[1] == _forks:
            return spare[0], True
        # None yet, or made before a fork, so shared with the parent: leave it to the parent.
        pool = self._cache.get_client(write=True).connection_pool
        return pool.connection_class(**pool.connection_kwargs), False

    def _give_back(self, connection):
        if self._spare is None:
            self._spare = (connection, _forks)
        else:
            connection.disconnect()
