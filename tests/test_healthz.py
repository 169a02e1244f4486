"""`/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers,
every migration is applied, Redis answers when configured)."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.migrations.executor import MigrationExecutor
from redis.exceptions import ConnectionError as RedisConnectionError


@pytest.fixture
def without_database():
    with mock.patch("pivra.views.connection") as connection:
        connection.cursor.side_effect = OperationalError('password authentication failed for user "pivra"')
        yield


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_answers_200_with_json(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_healthz_answers_200_while_the_database_does_not(client, db, without_database):
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_need_no_login_and_are_never_cached(client, db, path):
    response = client.get(path, follow=False)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/readyz", "/readyz/"])
def test_readyz_answers_200_with_each_check_when_all_pass(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "ok"}  # no Redis in tests


def test_readyz_answers_503_when_the_database_does_not_without_revealing_its_error(client, db, without_database):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable", "migrations": "unknown"}
    assert "password" not in response.content.decode()


def test_readyz_answers_503_while_a_migration_is_not_applied(client, db):
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=[("a migration", False)]):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "migrations": "pending"}


def test_readyz_checks_redis_when_it_is_configured(client, db):
    with mock.patch("pivra.views.redis_configured", return_value=True), \
            mock.patch("pivra.views.get_redis_connection") as redis:
        assert client.get("/readyz").json()["redis"] == "ok"
        redis.return_value.ping.side_effect = RedisConnectionError("refused")
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "migrations": "ok", "redis": "unavailable"}
