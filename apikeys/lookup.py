"""The one query every API request runs without the key cache: an active key by its hash, with its
account and plan.

It is `ApiKey.objects.select_related("account__plan").get(key_hash=…, revoked_at=None)`, except
that Django compiles it once per thread and database instead of on every request. On a 2-core
machine Django spent about twice as long compiling that three-table join as PostgreSQL spent
answering it (bench/, `python -m bench.profile`): compiled once, key authentication costs less
than DRF's TokenAuthentication, which compiles its two-table join on every request.
"""

import threading

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models.query import get_related_populators

from .models import ApiKey

_compiled = threading.local()  # the compiler's connection belongs to one thread


class _CompiledLookup:
    def __init__(self, using):
        queryset = ApiKey.objects.using(using).select_related("account__plan").order_by()
        compiler = queryset.filter(key_hash="placeholder", revoked_at__isnull=True).query.get_compiler(using)
        self.sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        if params != ("placeholder",):
            raise ImproperlyConfigured(f"the key lookup must take the key hash as its only parameter, not {params}")
        self.using = using
        klass_info, select = compiler.klass_info, compiler.select
        self.fields = slice(klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1)
        self.field_names = [column[0].target.attname for column in select[self.fields]]
        self.related_populators = get_related_populators(klass_info, select, using)
        self.converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        self.compiler = compiler

    def __call__(self, key_hash):
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, (key_hash,))
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:  # SQLite returns datetimes as text, for one
            row = next(self.compiler.apply_converters([row], self.converters))
        api_key = ApiKey.from_db(self.using, self.field_names, row[self.fields])
        for populator in self.related_populators:
            populator.populate(row, api_key)
        return api_key


def find_active(key_hash):
    """The active key with this hash, its account and plan loaded, or None."""
    using = router.db_for_read(ApiKey)
    if not hasattr(_compiled, "lookups"):
        _compiled.lookups = {}
    lookups = _compiled.lookups
    if using not in lookups:
        lookups[using] = _CompiledLookup(using)
    return lookups[using](key_hash)
