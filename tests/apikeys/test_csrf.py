"""CSRF protection on the Security forms, with a client that enforces it as browsers' requests are.

Django's default test client skips CSRF checks, so these tests use `enforce_csrf_checks=True`;
each refusal is paired with the same request carrying the token, to prove the refusal is CSRF's.
"""

import pytest
from django.test import Client

from tests.conftest import confirmed

from accounts.models import AuditEvent
from apikeys.models import ApiKey

from .pages import SECURITY, revoke_url, use


@pytest.fixture
def strict_client(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return confirmed(client)


def csrf_token(client, url=SECURITY):
    client.get(url)
    return client.cookies["csrftoken"].value


def test_creating_a_key_without_a_csrf_token_is_refused_and_creates_nothing(strict_client, account):
    response = strict_client.post(SECURITY, {"label": "Forged"})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.exists()


def test_creating_a_key_with_a_wrong_csrf_token_is_refused(strict_client, account):
    csrf_token(strict_client)
    response = strict_client.post(SECURITY, {"label": "Forged", "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_creating_a_key_with_the_csrf_token_works(strict_client, account):
    token = csrf_token(strict_client)
    response = strict_client.post(SECURITY, {"label": "Genuine", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert ApiKey.objects.for_account(account).filter(label="Genuine").exists()


def test_revoking_a_key_without_a_csrf_token_is_refused_and_the_key_keeps_working(strict_client, key_pair):
    api_key, raw_key = key_pair
    response = strict_client.post(revoke_url(api_key))
    assert response.status_code == 403
    assert ApiKey.objects.get(pk=api_key.pk).is_active
    assert use(raw_key).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).exists()


def test_revoking_a_key_with_the_csrf_token_works(strict_client, key_pair):
    api_key, raw_key = key_pair
    token = csrf_token(strict_client, revoke_url(api_key))
    response = strict_client.post(revoke_url(api_key), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert use(raw_key).status_code == 401


def test_a_cross_site_post_with_a_stolen_looking_origin_is_refused(strict_client, account):
    token = csrf_token(strict_client)
    response = strict_client.post(
        SECURITY, {"label": "Forged", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example", secure=True, HTTP_REFERER="https://evil.example/",
    )
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_the_forms_carry_a_csrf_token(strict_client, key_pair):
    assert 'name="csrfmiddlewaretoken"' in strict_client.get(SECURITY).content.decode()
    assert 'name="csrfmiddlewaretoken"' in strict_client.get(revoke_url(key_pair[0])).content.decode()
