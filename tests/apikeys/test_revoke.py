"""Revoking a key from Settings → Security: a confirmation step, then it stops working at once."""

import pytest

from accounts.models import AuditEvent
from apikeys.models import ApiKey

from .pages import SECURITY, create, revoke_url, shown_keys, the_new_key, use


@pytest.fixture
def charlies_key(other_account, charlie):
    return ApiKey.objects.create_key(account=other_account, label="Outsider", created_by=charlie)[0]


def test_the_documented_flow_create_use_revoke_refused(alice_client, account):
    created = create(alice_client, label="Zapier integration")
    raw_key = the_new_key(created)
    assert use(raw_key).status_code == 200

    api_key = ApiKey.objects.for_account(account).get(label="Zapier integration")
    confirm = alice_client.get(revoke_url(api_key))
    assert ">Confirm</button>" in confirm.content.decode()
    assert use(raw_key).status_code == 200  # looking at the confirmation revokes nothing

    revoked = alice_client.post(revoke_url(api_key), follow=True)
    assert revoked.redirect_chain == [(SECURITY, 302)]
    assert "Revoked Zapier integration" in revoked.content.decode()
    assert shown_keys(revoked) == []

    refused = use(raw_key)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_api_key"


def test_the_revoke_button_asks_for_confirmation_first(alice_client, key_pair):
    api_key, raw_key = key_pair
    response = alice_client.get(revoke_url(api_key))
    assert response.status_code == 200
    page = response.content.decode()
    assert ">Confirm</button>" in page
    assert api_key.hint in page
    assert 'method="post"' in page
    assert ApiKey.objects.get(pk=api_key.pk).is_active


def test_confirming_revokes_the_key_and_the_next_request_is_refused(alice_client, key_pair):
    api_key, raw_key = key_pair
    response = alice_client.post(revoke_url(api_key))
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert use(raw_key).status_code == 401


def test_revoking_records_who_and_from_where(alice_client, key_pair, alice):
    api_key, _ = key_pair
    alice_client.post(revoke_url(api_key), REMOTE_ADDR="198.51.100.77")
    event = AuditEvent.objects.get(action=AuditEvent.Action.API_KEY_REVOKED)
    assert (event.actor, event.target_id, event.ip_address) == (alice, api_key.pk, "198.51.100.77")
    assert ApiKey.objects.get(pk=api_key.pk).revoked_by == alice


def test_revoking_one_key_leaves_the_others_working(alice_client, key_pair, account, alice):
    _, other_raw = ApiKey.objects.create_key(account=account, label="Internal dashboard", created_by=alice)
    alice_client.post(revoke_url(key_pair[0]))
    assert use(other_raw).status_code == 200


def test_confirming_twice_revokes_once(alice_client, key_pair):
    api_key, _ = key_pair
    alice_client.post(revoke_url(api_key))
    first = ApiKey.objects.get(pk=api_key.pk).revoked_at
    assert alice_client.post(revoke_url(api_key)).status_code == 302
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at == first
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).count() == 1


def test_the_confirmation_page_of_a_revoked_key_says_so(alice_client, key_pair, alice):
    key_pair[0].revoke(by=alice)
    page = alice_client.get(revoke_url(key_pair[0])).content.decode()
    assert "already revoked" in page
    assert ">Confirm</button>" not in page


def test_rotating_create_a_new_key_switch_then_revoke_the_old(alice_client, key_pair, account):
    old_raw = key_pair[1]
    new_raw = the_new_key(create(alice_client, label="CRM sync (2026)"))
    alice_client.post(revoke_url(key_pair[0]))
    assert use(new_raw).status_code == 200
    assert use(old_raw).status_code == 401


# Who may revoke what


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_accounts_key_is_a_404_and_stays_active(alice_client, charlies_key, method):
    response = getattr(alice_client, method)(revoke_url(charlies_key))
    assert response.status_code == 404
    assert ApiKey.objects.get(pk=charlies_key.pk).is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_key_id_is_a_404(alice_client, account, method):
    assert getattr(alice_client, method)(f"{SECURITY}keys/key_doesnotexist/revoke/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_cannot_revoke_a_key(bob_client, key_pair, method):
    api_key, raw_key = key_pair
    response = getattr(bob_client, method)(revoke_url(api_key))
    assert response.status_code == 403
    assert ApiKey.objects.get(pk=api_key.pk).is_active
    assert use(raw_key).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).exists()


def test_revoking_needs_a_login(client, key_pair):
    api_key, raw_key = key_pair
    response = client.post(revoke_url(api_key))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert ApiKey.objects.get(pk=api_key.pk).is_active


def test_creating_needs_a_login(client, account):
    response = client.post(SECURITY, {"label": "Sneaky"})
    assert response.status_code == 302
    assert not ApiKey.objects.exists()


def test_the_confirmation_page_cannot_be_framed(alice_client, key_pair):
    assert alice_client.get(revoke_url(key_pair[0]))["X-Frame-Options"] == "DENY"


def test_revoke_only_answers_get_and_post(alice_client, key_pair):
    assert alice_client.delete(revoke_url(key_pair[0])).status_code == 405
    assert ApiKey.objects.get(pk=key_pair[0].pk).is_active
