"""The outbound guard's allowlist: private servers Pivra may reach anyway, by host and port."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from outbound import guard


def check(url):
    return guard.check(url, deadline=time.monotonic() + 5)


@pytest.mark.parametrize("entries, url", [
    (["127.0.0.1:8080"], "http://127.0.0.1:8080/hook"),
    (["[::1]:8080"], "http://[::1]:8080/"),
    (["127.0.0.1:443"], "https://127.0.0.1/"),
    (["127.0.0.1:80"], "http://127.0.0.1/"),
    ([" 10.0.0.5:9000 ", "127.0.0.1:8080"], "http://127.0.0.1:8080/"),
])
def test_an_allowlisted_private_host_and_port_is_reached_at_its_checked_address(settings, entries, url):
    settings.OUTBOUND_PRIVATE_ALLOWLIST = entries
    target = check(url)
    assert target.ip in ("127.0.0.1", "::1")


@pytest.mark.parametrize("entries, url", [
    ([], "http://127.0.0.1:8080/"),
    (["127.0.0.1:8080"], "http://127.0.0.1:8081/"),
    (["127.0.0.1:8080"], "http://127.0.0.2:8080/"),
    (["127.0.0.1"], "http://127.0.0.1/"),  # no port: matches nothing
    (["127.0.0.1:8080"], "https://127.0.0.1/"),
])
def test_anything_else_private_stays_refused(settings, entries, url):
    settings.OUTBOUND_PRIVATE_ALLOWLIST = entries
    with pytest.raises(guard.Refused) as refused:
        check(url)
    assert refused.value.reason == guard.PRIVATE


def test_the_target_names_the_host_and_keeps_the_query(settings):
    settings.OUTBOUND_PRIVATE_ALLOWLIST = ["127.0.0.1:8080"]
    target = check("http://127.0.0.1:8080/hooks/pivra?token=a b")
    assert (target.scheme, target.host, target.port, target.path) == ("http", "127.0.0.1", 8080, "/hooks/pivra?token=a%20b")


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.com/", guard.SCHEME),
    ("https://user:pw@example.com/", guard.CREDENTIALS),
    ("https:///path", guard.INVALID),
    ("https://example.com:99999/", guard.INVALID),
    ("https://[::1/hook", guard.INVALID),
])
def test_malformed_addresses_are_refused_before_any_lookup(url, reason, monkeypatch):
    monkeypatch.setattr(guard, "resolve", lambda *args: pytest.fail("looked up"))
    with pytest.raises(guard.Refused) as refused:
        check(url)
    assert refused.value.reason == reason


@pytest.mark.parametrize("value, accepted", [
    ("127.0.0.1:8080,[::1]:9000, hooks.internal:443", True),
    ("127.0.0.1", False),  # a port is required
    ("::1:8080", False),  # an IPv6 address needs brackets
    ("http://127.0.0.1:8080", False),
])
def test_the_allowlist_setting_must_name_a_host_and_port_or_the_app_refuses_to_start(tmp_path, value, accepted):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DEBUG": "false", "SECRET_KEY": "x" * 50,
           "OUTBOUND_PRIVATE_ALLOWLIST": value}
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='pivra.settings'; django.setup()"],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=120,
    )
    assert (result.returncode == 0) == accepted, result.stderr
    if not accepted:
        assert "OUTBOUND_PRIVATE_ALLOWLIST" in result.stderr
