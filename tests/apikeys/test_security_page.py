"""Settings → Security: create a key and see it once, list keys, labels, roles, the Free plan."""

import pytest
from django.test import Client

from accounts.models import AuditEvent, Membership, Plan
from apikeys.models import ApiKey
from tests.conftest import confirmed, make_member

from .pages import SECURITY, create, keys_table, revoke_url, shown_keys, the_new_key, use

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def client_for(user):
    client = Client()
    client.force_login(user)
    return confirmed(client)


@pytest.fixture
def dana_client(account):
    """Dana is an admin of `account`: she manages keys like an owner."""
    return client_for(make_member(account, "dana@example.com", Membership.Role.ADMIN))


@pytest.fixture
def free_plan(account):
    account.plan = Plan.objects.get(code="free")
    account.save()


# The page


def test_the_page_has_a_label_field_and_a_create_button(alice_client):
    page = alice_client.get(SECURITY).content.decode()
    assert ">Label</label>" in page
    assert ">Create</button>" in page


def test_the_page_needs_a_login(client, db):
    response = client.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={SECURITY}"


def test_the_page_cannot_be_framed(alice_client):
    assert alice_client.get(SECURITY)["X-Frame-Options"] == "DENY"


def test_a_user_without_an_account_gets_a_404(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(email="loner@example.com", password="x"))
    assert client.get(SECURITY).status_code == 404


# Creating a key: shown once, in the response to Create


def test_create_shows_the_full_key_in_its_own_response(alice_client, account):
    response = create(alice_client)
    assert response.status_code == 200
    raw_key = the_new_key(response)
    assert ApiKey.objects.for_account(account).get().hint == f"pivra_sk_…{raw_key[-4:]}"


def test_create_warns_the_key_is_shown_only_once_with_a_copy_button(alice_client):
    page = create(alice_client).content.decode()
    assert "shown only once" in page
    assert ">Copy</button>" in page


def test_the_response_that_shows_the_key_is_not_stored_by_any_cache(alice_client):
    response = create(alice_client)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_response_that_shows_the_key_cannot_be_framed(alice_client):
    assert create(alice_client)["X-Frame-Options"] == "DENY"


def test_the_key_is_not_in_the_session(alice_client):
    raw_key = the_new_key(create(alice_client))
    session = alice_client.session
    assert not [name for name, value in session.items() if raw_key in str(value)]
    assert raw_key not in session.encode(dict(session.items()))


def test_the_key_is_not_in_a_cookie_or_a_redirect(alice_client):
    response = create(alice_client)
    raw_key = the_new_key(response)
    assert not response.has_header("Location")
    assert not [name for name, morsel in response.cookies.items() if raw_key in morsel.value]


def test_reloading_the_page_never_shows_the_key_again(alice_client):
    create(alice_client)
    response = alice_client.get(SECURITY)
    assert shown_keys(response) == []
    assert "shown only once" not in response.content.decode()


def test_the_key_shown_works_on_the_api(alice_client):
    assert use(the_new_key(create(alice_client))).status_code == 200


def test_create_records_who_created_the_key_and_from_where(alice_client, alice, account):
    create(alice_client, REMOTE_ADDR="198.51.100.23")
    api_key = ApiKey.objects.for_account(account).get()
    assert api_key.created_by == alice
    event = AuditEvent.objects.for_account(account).get()
    assert (event.action, event.actor, event.target_id) == (AuditEvent.Action.API_KEY_CREATED, alice, api_key.pk)
    assert event.ip_address == "198.51.100.23"


def test_an_account_may_have_many_keys(alice_client, account):
    for number in range(12):
        create(alice_client, label=f"Integration {number}")
    assert ApiKey.objects.for_account(account).active().count() == 12


def test_an_admin_can_create_a_key(dana_client, account):
    assert use(the_new_key(create(dana_client))).status_code == 200


# The list


def test_the_list_shows_label_hint_creator_and_never_used(alice_client, key_pair):
    api_key, raw_key = key_pair
    page = alice_client.get(SECURITY).content.decode()
    assert "<td>CRM sync</td>" in page
    assert f"<code>pivra_sk_…{raw_key[-4:]}</code>" in page
    assert "alice@example.com" in page
    assert "Last used" in page and "Never" in page
    assert raw_key not in page


def test_the_list_shows_when_a_key_was_last_used(alice_client, key_pair):
    use(key_pair[1])
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Last used"] == "now"


def test_a_revoked_key_stays_listed_as_revoked_without_a_revoke_button(alice_client, key_pair, alice):
    api_key, _ = key_pair
    api_key.revoke(by=alice)
    page = alice_client.get(SECURITY).content.decode()
    assert "<td>CRM sync</td>" in page
    assert "Revoked" in page
    assert revoke_url(api_key) not in page


def test_an_active_key_has_a_revoke_button(alice_client, key_pair):
    page = alice_client.get(SECURITY).content.decode()
    assert f'href="{revoke_url(key_pair[0])}" aria-label="Revoke CRM sync">Revoke</a>' in page


def test_a_key_whose_creator_was_deleted_is_listed_as_made_by_a_former_member(account, key_pair, alice, dana_client):
    alice.delete()
    page = dana_client.get(SECURITY).content.decode()
    assert "Former member" in page
    assert use(key_pair[1]).status_code == 200


def test_a_key_whose_creator_left_the_account_is_listed_as_made_by_a_former_member(key_pair, alice, dana_client):
    Membership.objects.filter(user=alice).delete()
    page = dana_client.get(SECURITY).content.decode()
    assert "Former member" in page
    assert "alice@example.com</td>" not in page.split('class="keys"')[1].split("</table>")[0]


def test_the_list_never_shows_another_accounts_keys(alice_client, other_api_client):
    page = alice_client.get(SECURITY).content.decode()
    assert "Outsider" not in page


def test_the_page_shows_the_recent_security_events(alice_client, key_pair, alice):
    key_pair[0].revoke(by=alice, ip_address="192.0.2.44")
    page = alice_client.get(SECURITY).content.decode()
    assert "API key created" in page
    assert "API key revoked" in page
    assert "192.0.2.44" in page


# Labels


@pytest.mark.parametrize(
    "label, error",
    [
        ("", "Enter a label"),
        ("   ", "Enter a label"),
        ("x" * 101, "at most 100 characters"),
        ("CRM sync", "An active key already has this label"),
        ("crm SYNC", "An active key already has this label"),
        ("  CRM sync  ", "An active key already has this label"),
        ("Zapier\x00", "Null characters are not allowed"),
    ],
    ids=["empty", "blank", "101-characters", "duplicate", "duplicate-other-case", "duplicate-with-spaces", "nul"],
)
def test_a_bad_label_is_shown_on_the_form_and_nothing_is_created(alice_client, key_pair, account, label, error):
    response = create(alice_client, label=label)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert ApiKey.objects.for_account(account).count() == 1
    assert shown_keys(response) == []
    assert AuditEvent.objects.for_account(account).count() == 1


def test_a_missing_label_field_is_a_form_error_not_a_crash(alice_client, account):
    response = alice_client.post(SECURITY, {})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_a_label_of_exactly_100_characters_is_accepted(alice_client, account):
    create(alice_client, label="x" * 100)
    assert ApiKey.objects.for_account(account).get().label == "x" * 100


def test_surrounding_spaces_are_trimmed_from_a_label(alice_client, account):
    create(alice_client, label="  CRM sync  ")
    assert ApiKey.objects.for_account(account).get().label == "CRM sync"


def test_a_revoked_keys_label_can_be_reused(alice_client, key_pair, alice, account):
    key_pair[0].revoke(by=alice)
    response = create(alice_client, label="CRM sync")
    assert response.status_code == 200
    assert use(the_new_key(response)).status_code == 200
    assert ApiKey.objects.for_account(account).filter(label="CRM sync").count() == 2


def test_another_accounts_label_does_not_count_as_a_duplicate(alice_client, other_api_client, account):
    assert create(alice_client, label="Outsider").status_code == 200


# Escaping


def test_a_label_with_markup_is_escaped_in_the_new_key_panel_the_list_and_the_audit_log(alice_client):
    created = create(alice_client, label=SCRIPT).content.decode()
    assert SCRIPT not in created
    assert ESCAPED in created
    page = alice_client.get(SECURITY).content.decode()
    assert SCRIPT not in page
    # shown as text: in the keys table and in the security events
    assert [row["Label"] for row in keys_table(page)] == [SCRIPT]
    assert f"<td>{ESCAPED} (pivra_sk_…" in page


def test_a_label_with_markup_is_escaped_on_the_revoke_pages(alice_client, account, alice):
    api_key, _ = ApiKey.objects.create_key(account=account, label=SCRIPT, created_by=alice)
    confirm = alice_client.get(revoke_url(api_key)).content.decode()
    assert SCRIPT not in confirm and ESCAPED in confirm
    done = alice_client.post(revoke_url(api_key), follow=True).content.decode()
    assert SCRIPT not in done and ESCAPED in done


def test_a_label_with_markup_is_escaped_in_the_form_after_an_error(alice_client):
    page = create(alice_client, label=SCRIPT + "x" * 100).content.decode()
    assert SCRIPT not in page


# Members: read-only


def test_a_member_sees_the_list_but_no_create_form_or_revoke_button(bob_client, key_pair):
    page = bob_client.get(SECURITY).content.decode()
    assert "<td>CRM sync</td>" in page
    assert ">Create</button>" not in page
    assert revoke_url(key_pair[0]) not in page
    assert "Only owners and admins can create or revoke API keys" in page


def test_a_member_cannot_create_a_key(bob_client, account):
    response = create(bob_client)
    assert response.status_code == 403
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.exists()


# The Free plan


def test_on_the_free_plan_the_page_says_keys_need_the_starter_plan(alice_client, free_plan):
    page = alice_client.get(SECURITY).content.decode()
    assert "API keys need the Starter plan" in page
    assert ">Create</button>" not in page


def test_on_the_free_plan_creating_a_key_is_refused_by_the_server(alice_client, free_plan, account):
    response = create(alice_client)
    assert response.status_code == 403
    assert "API keys need the Starter plan" in response.content.decode()
    assert not ApiKey.objects.exists()
    assert shown_keys(response) == []
