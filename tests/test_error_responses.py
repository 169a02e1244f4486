"""Under /api/ and /widget/ every error is JSON: a database that cannot be reached is a 503 with
Retry-After, anything unexpected a 500; pages keep Django's HTML error page."""

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView


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
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Something went wrong on our side.", "code": "server_error"}


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
    assert response.json() == {"request_id": response["X-Request-ID"], "detail": "Not found.", "code": "not_found"}


def test_an_unknown_page_is_djangos_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_view_under_the_json_paths_is_a_drf_view_so_its_errors_are_json():
    # A database outage becomes the JSON 503 in DRF's exception handler: a plain Django view
    # under these paths would answer it with an HTML 500 instead.
    def views(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from views(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    json_views = [(path, view) for path, view in views(get_resolver().url_patterns)
                  if path.lstrip("^").startswith(("api/", "widget/"))]
    assert len(json_views) > 10
    for path, view in json_views:
        assert issubclass(getattr(view, "cls", object), APIView), path
