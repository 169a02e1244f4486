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
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClientRedisCacheClient

    def pipeline(self):
        """A non-transactional pipeline on the write server, for several commands in one round
        trip. Keys given to it must go through `make_and_validate_key` first."""
        return self._cache.get_client(write=True).pipeline(transaction=False)

    def loads(self, value):
        """Decode a value read through `pipeline()`, as `get()` would."""
        return None if value is None else self._cache._serializer.loads(value)
