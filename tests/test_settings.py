"""Settings that were renamed refuse to start rather than be silently ignored."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def start_with(**env):
    """Load the production settings in a fresh interpreter; return (exit code, stderr)."""
    environment = {**os.environ, "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "pivra.settings", **env}
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=60,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize("name, replacement", [
    ("USE_X_FORWARDED_FOR", "TRUSTED_PROXY_COUNT"),
    ("SOURCE_FETCH_ALLOW_PRIVATE_HOSTS", "OUTBOUND_PRIVATE_ALLOWLIST"),
])
def test_a_replaced_setting_stops_the_app_naming_its_replacement(name, replacement):
    code, errors = start_with(**{name: "127.0.0.1"})
    assert code != 0
    assert f"{name} is replaced by {replacement}" in errors


def test_without_them_the_settings_load():
    assert start_with() == (0, "")
