"""`/healthz`: 200 when the app and its database answer, 503 otherwise."""

from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_answers_200_with_json_when_the_database_is_up(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_healthz_needs_no_login(client, db):
    response = client.get("/healthz", follow=False)
    assert response.status_code == 200


def test_healthz_is_never_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_healthz_answers_503_with_json_when_the_database_does_not(client, db):
    with mock.patch("pivra.views.connection") as connection:
        connection.cursor.side_effect = OperationalError("could not connect to server")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "error"


def test_healthz_does_not_reveal_the_database_error(client, db):
    with mock.patch("pivra.views.connection") as connection:
        connection.cursor.side_effect = OperationalError('password authentication failed for user "pivra"')
        response = client.get("/healthz")
    assert "password" not in response.content.decode()
