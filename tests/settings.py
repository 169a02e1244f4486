"""Test settings: production settings, with a test secret and a fast password hasher."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")

from pivra.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Serve static files from the apps' folders (no collectstatic step before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Many tests send bad keys from 127.0.0.1, and the counts outlive a test: the limit on failed keys
# from one address is tested where it is set (tests/apikeys/test_allowlists_and_rate_limits.py).
API_FAILED_KEYS_PER_MINUTE = 10**9
