"""Every response carries X-Request-ID (the caller's when well formed, else a new one); every log
line of the request and every JSON error body (`request_id`) names it."""

import logging
import re
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines(console_log):
    return console_log("plain")


@pytest.mark.parametrize("path", ["/healthz", "/api/leads", "/accounts/login/", "/widget.js", "/nowhere"])
def test_every_response_gets_a_new_request_id(client, db, path):
    assert GENERATED.fullmatch(client.get(path)["X-Request-ID"])


def test_two_requests_get_two_ids(client, db):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.parametrize("request_id", ["lb-7f3a.42_x", "a", "A" * 200, "0af7651916cd43dd8448eb211c80319c"])
def test_a_well_formed_incoming_request_id_is_answered_back(client, db, request_id):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=request_id)["X-Request-ID"] == request_id


@pytest.mark.parametrize("request_id", ["", "A" * 201, "has space", 'quote"d', "new\nline", "semi;colon", "é"])
def test_a_malformed_incoming_request_id_is_replaced(client, db, request_id):
    assert GENERATED.fullmatch(client.get("/healthz", HTTP_X_REQUEST_ID=request_id)["X-Request-ID"])


def test_the_log_lines_of_a_request_name_its_id(raw_key, log_lines, settings):
    settings.DEBUG = False
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("a bug")):
        response = client.get("/api/usage", HTTP_X_REQUEST_ID="support-ticket-123")
    errors = [line for line in log_lines() if "Internal Server Error: /api/usage" in line]
    assert errors and all("[support-ticket-123]" in line for line in errors)
    assert response.json()["request_id"] == "support-ticket-123"


def test_a_log_line_outside_any_request_says_so(log_lines):
    logging.getLogger("jobs").warning("a job's line")
    assert log_lines()[-1].endswith("jobs [-] a job's line")


def error_answers(raw_key, chatbot):
    """One of each JSON error: the API's (401, 404, 413, 500), the widget's, and the 404 of an
    API URL that matches no route."""
    api = APIClient(raise_request_exception=False)
    yield api.get("/api/leads")
    yield api.get("/api/no-such-thing")
    yield Client().generic("POST", "/api/chatbots", "x" * 10, CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1))
    yield Client().get("/widget/v1/chatbot")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("a bug")):
        yield api.get("/api/usage")


def test_every_json_error_body_carries_the_request_id_of_its_header(raw_key, chatbot, settings):
    settings.DEBUG = False
    answers = list(error_answers(raw_key, chatbot))
    assert [answer.status_code for answer in answers] == [401, 404, 413, 401, 500]
    for answer in answers:
        assert answer.json()["request_id"] == answer["X-Request-ID"], answer.content
