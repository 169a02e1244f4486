"""Django's Redis cache backend, made cheaper for the calls every API request makes.

Django's client builds a new `redis.Redis` object for every cache call; with its table of
response callbacks that costs about as much as the round trip itself (bench/ measured it).
Redis clients are thread-safe and share the connection pool, so one per pool is enough.
"""

import os

import hiredis
from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError, TimeoutError


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

    def __init__(self, cache, connection, count):
        self._cache, self._connection, self._count = cache, connection, count

    def read(self):
        try:
            return [self._connection.read_response() for _ in range(self._count)]
        except BaseException:
            self._connection.disconnect()  # unread replies must not reach the next caller
            raise
        finally:
            self._cache._give_back(self._connection)


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
        # hiredis packs in C: a third of the time redis-py's pack_commands() takes.
        packed = b"".join([hiredis.pack_command(command) for command in commands])
        connection = self._take()
        try:
            connection.send_packed_command([packed], check_health=False)
        except BaseException:
            connection.disconnect()
            self._give_back(connection)
            raise
        return PendingReplies(self, connection, len(commands))

    def loads(self, value):
        """Decode a value read by `round_trip`, as `get()` would."""
        return None if value is None else self._cache._serializer.loads(value)

    # Every API request makes one such round trip. On its own connection, it skips the pool's
    # locking and bookkeeping (redis-py 8), which on a 2-core machine cost about 2% of a list
    # request (bench/). A second connection serves a thread whose first still awaits replies.
    def _take(self):
        connection, self._spare = self._spare, None
        if connection is None or connection.pid != os.getpid():  # none yet, or made before a fork
            pool = self._cache.get_client(write=True).connection_pool
            return pool.connection_class(**pool.connection_kwargs)
        try:
            if connection.can_read():  # a reply nobody read, or Redis closed the connection
                raise ConnectionError("stale connection")
        except (ConnectionError, TimeoutError, OSError):
            connection.disconnect()  # the next send reconnects
        return connection

    def _give_back(self, connection):
        if self._spare is None:
            self._spare = connection
        else:
            connection.disconnect()
