"""Production logs are one JSON object per line (time, level, logger, message, and the request's
id, method, path, account, status and duration); with DEBUG, plain text. One access line a request."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from rest_framework.test import APIClient

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_lines(console_log):
    lines = console_log("json")
    return lambda: [json.loads(line) for line in lines()]


def access_lines(entries):
    return [entry for entry in entries if entry["logger"] == "pivra.access"]


def test_an_api_request_writes_one_json_access_line_with_its_account(api_client, account, json_lines):
    response = api_client.get("/api/leads?email=someone@example.com", HTTP_X_REQUEST_ID="req-1")
    assert response.status_code == 200
    [line] = access_lines(json_lines())
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z")
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/leads", 200)
    assert line["account_id"] == account.pk
    assert line["duration_ms"] >= 0
    assert "someone@example.com" not in json.dumps(line)  # the query string is never logged
    assert line["message"].startswith("GET /api/leads 200 ")


def test_a_widget_request_names_the_chatbots_account(client, chatbot, json_lines):
    client.get("/widget/v1/chatbot", HTTP_X_PIVRA_EMBED_KEY=chatbot.embed_key)
    assert access_lines(json_lines())[0]["account_id"] == chatbot.account_id


def test_a_logged_in_page_names_the_persons_account(alice_client, account, json_lines):
    alice_client.get("/settings/security/")
    assert access_lines(json_lines())[0]["account_id"] == account.pk


def test_a_request_without_an_account_has_no_account_field(client, db, json_lines):
    client.get("/healthz")
    [line] = access_lines(json_lines())
    assert "account_id" not in line and line["status"] == 200


def test_a_failing_request_logs_its_error_as_one_json_line_with_the_traceback(raw_key, json_lines, settings):
    settings.DEBUG = False
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("a bug")):
        response = client.get("/api/usage")
    [error] = [entry for entry in json_lines() if entry["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: a bug" in error["exception"]
    assert access_lines(json_lines())[0]["status"] == 500


def test_a_line_outside_any_request_has_no_request_fields(json_lines):
    import logging

    logging.getLogger("jobs").warning("a job's line")
    assert set(json_lines()[-1]) == {"time", "level", "logger", "message"}


@pytest.mark.parametrize(("debug", "log_format", "expected"), [
    ("false", "", "json"), ("true", "", "plain"), ("false", "plain", "plain"), ("true", "json", "json"),
])
def test_production_logs_json_and_debug_logs_plain_text_unless_log_format_says(tmp_path, debug, log_format, expected):
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DEBUG": debug, "LOG_FORMAT": log_format,
        "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "pivra.settings",
    }
    code = "import django; django.setup(); import logging; logging.getLogger('pivra').warning('hello')"
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=60)
    [line] = result.stderr.splitlines()
    if expected == "json":
        assert json.loads(line)["message"] == "hello"
    else:
        assert line.endswith("WARNING pivra [-] hello")
