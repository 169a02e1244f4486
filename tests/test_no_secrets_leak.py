"""The plaintext of a secret key exists only in the one response that shows it: never in the
database, the session, a log line or an error report. And production settings pass
`check --deploy`."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection
from django.test import Client
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Plan
from apikeys.models import ApiKey
from leads.models import Lead
from tests.conftest import PASSWORD

FULL_KEY = re.compile(r"pivra_sk_[A-Za-z0-9]{36}")
SECURITY = "/settings/security/"
BASE_DIR = Path(__file__).resolve().parent.parent


def text_of(value):
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def keys_in_database():
    """Every full key found in any text column of any table, as (table, key) pairs.

    Sessions are stored encoded, so they are decoded before they are read.
    """
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            for row in cursor.fetchall():
                for value in row:
                    text = text_of(value)
                    if text:
                        found += [(table, key) for key in FULL_KEY.findall(text)]
    for session in Session.objects.all():
        found += [("django_session (decoded)", key) for key in FULL_KEY.findall(str(session.get_decoded()))]
    return found


def the_new_key(response):
    keys = FULL_KEY.findall(response.content.decode())
    assert len(keys) == 1, keys
    return keys[0]


def bearer(raw_key):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def a_day_with_keys(account, chatbot):
    """Log in, create keys on the page, use them, fail with them, revoke them. Returns the keys."""
    client = Client(raise_request_exception=False)
    assert client.post("/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}).status_code == 302
    # The first key confirms the password, as the page asks (accounts.reauth); the others follow.
    keys = [the_new_key(client.post(SECURITY, {"label": "Zapier", "confirm_password": PASSWORD}))]
    keys += [the_new_key(client.post(SECURITY, {"label": label})) for label in ("CRM sync", "Dashboard")]
    for raw_key in keys:
        assert bearer(raw_key).get("/api/usage").status_code == 200
    # Failures: a typo, a second token, a key in the query string, a bad request, an embed key.
    typo = keys[0][:-1] + ("1" if keys[0].endswith("0") else "0")
    assert bearer(typo).get("/api/usage").status_code == 401
    assert bearer(f"{keys[0]} {keys[1]}").get("/api/usage").status_code == 401
    assert APIClient().get("/api/usage", {"api_key": keys[0]}).status_code == 401
    assert bearer(keys[0]).get("/api/usage", {"chatbot": keys[1]}).status_code == 400
    assert bearer(chatbot.embed_key).get("/api/usage").status_code == 401
    # A key pasted where a label goes is refused as too long... or kept as a label: never stored whole.
    client.post(SECURITY, {"label": keys[2] * 3})
    # Revoke on the page, then use the revoked key.
    api_key = ApiKey.objects.for_account(account).get(label="Zapier")
    assert client.post(f"{SECURITY}keys/{api_key.pk}/revoke/").status_code == 302
    assert bearer(keys[0]).get("/api/usage").status_code == 401
    # The plan is downgraded and the API refuses the remaining keys.
    account.plan = Plan.objects.get(code="free")
    account.save()
    assert bearer(keys[1]).get("/api/usage").status_code == 403
    # Errors while a key is in play: in the view after authentication, and inside authentication.
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("report failed")):
        account.plan = Plan.objects.get(code="starter")
        account.save()
        assert bearer(keys[1]).get("/api/usage").status_code == 500
    with mock.patch.object(ApiKey, "record_use", side_effect=DatabaseError("gone")):
        assert bearer(keys[2]).get("/api/usage").status_code == 500
    return keys


def test_the_scan_finds_a_key_planted_in_a_text_column(account, chatbot):
    planted = ApiKey.objects.create_key(account=account, label="x")[1]
    Lead.objects.create(account=account, chatbot=chatbot, name=f"oops {planted}")
    assert ("leads_lead", planted) in keys_in_database()


def test_the_scan_finds_a_key_planted_in_a_session(alice_client, account):
    planted = ApiKey.objects.create_key(account=account, label="x")[1]
    session = alice_client.session
    session["oops"] = planted
    session.save()
    assert ("django_session (decoded)", planted) in keys_in_database()


def test_no_full_key_is_left_in_any_text_column_of_the_database(alice, account, chatbot):
    keys = a_day_with_keys(account, chatbot)
    assert len(keys) == 3
    assert AuditEvent.objects.for_account(account).count() >= 4
    assert keys_in_database() == []


def test_no_full_key_appears_in_any_log_record(alice, account, chatbot, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own default is INFO
    connection.force_debug_cursor = True  # log every SQL statement with its parameters too
    try:
        keys = a_day_with_keys(account, chatbot)
    finally:
        connection.force_debug_cursor = False
    assert any(record.name == "django.db.backends" for record in caplog.records)
    assert any(record.levelno >= logging.ERROR for record in caplog.records)
    assert FULL_KEY.findall(caplog.text) == []
    for record in caplog.records:
        assert not FULL_KEY.search(record.getMessage()), record.name
        assert not FULL_KEY.search(repr(record.args)), record.name
    assert keys


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_no_full_key_appears_in_what_the_console_log_writes(alice, account, chatbot, console_log, caplog, log_format):
    """The lines an operator reads (and ships to a log store), access lines and tracebacks included."""
    caplog.set_level(logging.DEBUG)
    lines = console_log(log_format)
    keys = a_day_with_keys(account, chatbot)
    written = lines()
    assert any("pivra.access" in line for line in written)
    assert any("Traceback" in line for line in written)  # the 500s' errors are in it
    if log_format == "json":
        entries = [json.loads(line) for line in written]  # one object per line, nothing else
        assert {entry["logger"] for entry in entries} >= {"pivra.access", "django.request"}
    assert FULL_KEY.findall("\n".join(written)) == []
    assert keys


def error_reports(caplog):
    """What the admins' error e-mail (or an error tracker) would receive for each logged 500."""
    reports = []
    for record in caplog.records:
        if record.exc_info and getattr(record, "request", None) is not None:
            reporter = ExceptionReporter(record.request, *record.exc_info, is_email=True)
            reports.append(reporter.get_traceback_text())
            reports.append(reporter.get_traceback_html())
    return reports


def test_no_full_key_appears_in_the_error_report_of_a_failing_api_request(alice, account, chatbot, caplog, settings):
    settings.DEBUG = False
    raw_key = ApiKey.objects.create_key(account=account, label="CRM sync")[1]
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("report failed")):
        assert bearer(raw_key).get("/api/usage").status_code == 500
    with mock.patch.object(ApiKey, "record_use", side_effect=DatabaseError("gone")):
        assert bearer(raw_key).get("/api/usage").status_code == 500
    reports = error_reports(caplog)
    assert len(reports) == 4
    assert not [report for report in reports if raw_key in report]


def test_no_full_key_appears_in_the_error_report_of_a_failing_security_page(alice_client, caplog, settings):
    settings.DEBUG = False
    alice_client.raise_request_exception = False
    created = []
    real_create_key = ApiKey.objects.create_key

    def recording_create_key(**kwargs):
        api_key, raw_key = real_create_key(**kwargs)
        created.append(raw_key)
        return api_key, raw_key

    def failing(self):
        raise RuntimeError("template failed")

    # The key is created, then rendering the page that shows it fails.
    with mock.patch.object(ApiKey.objects, "create_key", side_effect=recording_create_key):
        with mock.patch.object(AuditEvent, "get_action_display", failing):
            response = alice_client.post(SECURITY, {"label": "CRM sync"})
    assert response.status_code == 500
    assert len(created) == 1
    assert created[0] not in response.content.decode()
    reports = error_reports(caplog)
    assert reports
    assert not [report for report in reports if created[0] in report]


def test_check_deploy_is_clean_with_production_settings_from_the_environment(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pivra.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "pivra.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://pivra.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_PROXY_SSL_HEADER": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DEBUG": "false", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='pivra.settings'; django.setup()"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
