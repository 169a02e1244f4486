"""The WSGI application gunicorn serves in the benchmarks.

With BENCH_WRITE_LOG set, every INSERT/UPDATE/DELETE statement a request runs is appended to that
file (one line: pid, statement kind, table, rows affected), so the write phase can count the
statements themselves, not just rows.
"""

import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.bench.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402

application = get_wsgi_application()

WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def write_logger(path):
    def log_writes(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        match = WRITE.match(sql)
        if match:
            kind = match.group(1).split()[0].upper()
            with open(path, "a") as log:
                log.write(f"{os.getpid()} {kind} {match.group(2)} {context['cursor'].rowcount}\n")
        return result

    return log_writes


if os.environ.get("BENCH_WRITE_LOG"):
    _django_application = application
    _log_writes = write_logger(os.environ["BENCH_WRITE_LOG"])

    def application(environ, start_response):  # noqa: F811
        with connection.execute_wrapper(_log_writes):
            return _django_application(environ, start_response)
