"""Under /api/ and /widget/ every error is JSON: a database that cannot be reached is a 503 with
Retry-After, anything unexpected a 500; pages keep Django's HTML error page."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from rest_framework.test import APIClient


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def failing_api(raw_key):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def widget_get(client, chatbot):
    return client.get("/widget/v1/chatbot", HTTP_X_PIVRA_EMBED_KEY=chatbot.embed_key)


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_an_api_request_without_its_database_is_a_json_503_with_retry_after(raw_key, production, error):
    with mock.patch("usage.api.usage_report", side_effect=error):
        response = failing_api(raw_key).get("/api/usage")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_a_widget_request_without_its_database_is_a_json_503(chatbot, client, production):
    client.raise_request_exception = False
    with mock.patch("widget.views.chatbot_json", side_effect=OperationalError("timeout expired")):
        response = widget_get(client, chatbot)
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert "Retry-After" in response


def test_an_unexpected_error_in_the_api_is_a_json_500(raw_key, production):
    with mock.patch("usage.api.usage_report", side_effect=RuntimeError("a bug")):
        response = failing_api(raw_key).get("/api/usage")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Something went wrong on our side.", "code": "server_error"}


def test_an_unexpected_error_in_the_widget_is_a_json_500(chatbot, client, production):
    client.raise_request_exception = False
    with mock.patch("widget.views.chatbot_json", side_effect=RuntimeError("a bug")):
        response = widget_get(client, chatbot)
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_a_page_keeps_djangos_html_error_page(alice_client, production):
    alice_client.raise_request_exception = False
    with mock.patch("apikeys.views._render_security", side_effect=OperationalError("gone")):
        response = alice_client.get("/settings/security/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/no-such-thing", "/widget/v1/no-such-thing"])
def test_an_unknown_url_under_the_json_paths_is_a_json_404(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_page_is_djangos_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
