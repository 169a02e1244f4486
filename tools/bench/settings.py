"""Benchmark-only settings: Pivra's production settings plus the comparison views.

Nothing in the app imports this module. It differs from production only where a benchmark must:
its own PostgreSQL database, DRF's authtoken app (for the TokenAuthentication baseline), the
bench URLs, a plain static storage (no collectstatic step) and quiet request logging.
"""

import os
import warnings

# Measure production behaviour whatever a developer's .env says (it may turn DEBUG on, which makes
# Django keep every query in memory).
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pivra_bench")
# With or without Redis is chosen per bench phase. With it, Pivra's settings configure django-redis
# from REDIS_URL, exactly as in production; without it, the embedded default (per-process memory).
os.environ["CACHE_URL"] = ""
os.environ["REDIS_URL"] = os.environ.get("BENCH_CACHE_URL", "")

from pivra.settings import *  # noqa: E402,F401,F403
from pivra.settings import DATABASES, INSTALLED_APPS, STORAGES, env  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
ROOT_URLCONF = "tools.bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding users only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"  # __Host- only for a Secure cookie

# Knobs the throughput phase turns, to show what the production settings are worth.
if "BENCH_CONN_MAX_AGE" in os.environ:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("BENCH_CONN_MAX_AGE")
if "BENCH_CONN_HEALTH_CHECKS" in os.environ:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("BENCH_CONN_HEALTH_CHECKS")

# The scale phase serves two databases from one process (1,000,000 leads and 1,000 leads),
# switching between them per request so that the A/B pairs interleave.
if os.environ.get("BENCH_SMALL_DATABASE_URL"):
    DATABASES["small"] = {
        **env.db_url_config(os.environ["BENCH_SMALL_DATABASE_URL"]),
        **{k: DATABASES["default"][k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")},
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    }
    DATABASE_ROUTERS = ["tools.bench.routers.SwitchableRouter"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Only errors matter here.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": "ERROR"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
    "loggers": {"django": {"level": "ERROR"}},
}
# No collectstatic before a bench run: WhiteNoise would warn that STATIC_ROOT is missing.
warnings.filterwarnings("ignore", message="No directory at")
