"""gunicorn's settings for a Pivra web host, read from the environment (the README's production
command: `gunicorn -c gunicorn.conf.py pivra.wsgi`). Pivra's own settings stay in pivra/settings.py.

- GUNICORN_BIND (default 0.0.0.0:8000): where the load balancer reaches this host.
- WEB_CONCURRENCY (default: the CPUs this process may use): sync workers, one a core, measured
  best for Pivra's short database-bound requests (README, Benchmarks).
- GUNICORN_WORKER_CLASS, GUNICORN_THREADS (sync, 1), GUNICORN_TIMEOUT (30 s: a worker silent
  that long is killed; requests are bounded far below by the database timeouts),
  GUNICORN_GRACEFUL_TIMEOUT (30 s for requests in flight at a restart), GUNICORN_KEEPALIVE (5 s,
  for the load balancer's reused connections).
- TRUSTED_PROXY_IPS (default 127.0.0.1,::1): the addresses of the proxies TRUSTED_PROXY_COUNT
  counts, whose X-Forwarded-Proto gunicorn believes.
- GUNICORN_ACCESS_LOG (default off): Pivra writes its own access line a request (with the request
  id, in the log format of LOG_FORMAT); set to `-` for gunicorn's too, in a format with the path
  but neither the query string nor any header (a key must never reach a log).
"""

import os
from pathlib import Path

import environ

# The same .env beside manage.py that pivra/settings.py loads; the environment wins over it.
environ.Env.read_env(Path(__file__).resolve().parent / ".env")


def setting(name, default):
    return os.environ.get(name) or default  # set but empty (as in .env.example) is the default


bind = setting("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(setting("WEB_CONCURRENCY", len(os.sched_getaffinity(0))))
worker_class = setting("GUNICORN_WORKER_CLASS", "sync")
threads = int(setting("GUNICORN_THREADS", 1))
timeout = int(setting("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(setting("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(setting("GUNICORN_KEEPALIVE", 5))
forwarded_allow_ips = setting("TRUSTED_PROXY_IPS", "127.0.0.1,::1")

accesslog = setting("GUNICORN_ACCESS_LOG", None)
# %(U)s is the path without its query string; no %(r)s (the request line has it), no %({…}i)s.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = setting("LOG_LEVEL", "info").lower()
# No control socket: several servers on one host would share ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR, a dead worker's gauges leave /metrics with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
