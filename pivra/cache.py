"""Django's Redis cache backend, made cheaper for the calls every API request makes.

Django's client builds a new `redis.Redis` object for every cache call; with its table of
response callbacks that costs about as much as the round trip itself (bench/ measured it).
Redis clients are thread-safe and share the connection pool, so one per pool is enough.
"""

from django.core.cache.backends import redis as django_redis


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


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClientRedisCacheClient

    def round_trip(self, *commands):
        """Send raw commands, e.g. `("INCR", key)`, in one round trip and return their replies.

        Keys must go through `make_and_validate_key` first. Straight on a pooled connection:
        redis-py's Pipeline class cost a fifth of such a call on every API request (bench/).
        """
        pool = self._cache.get_client(write=True).connection_pool
        connection = pool.get_connection()  # checks the connection, reconnecting a stale one
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _ in commands]
        except BaseException:
            connection.disconnect()  # unread replies must not reach the next caller
            raise
        finally:
            pool.release(connection)

    def loads(self, value):
        """Decode a value read by `round_trip`, as `get()` would."""
        return None if value is None else self._cache._serializer.loads(value)
