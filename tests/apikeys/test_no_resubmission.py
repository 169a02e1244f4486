"""Create and Roll sent again (Reload without JavaScript, Back → Forward, a double click): nothing
new is made, no error is shown, and the key is not shown again."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from apikeys.models import ApiKey
from tests.conftest import confirmed

from .pages import SECURITY, shown_keys, the_new_key
from .test_roll import roll_url

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(response):
    return TOKEN.search(response.content.decode()).group(1)


def create_form(client, label="Zapier integration"):
    """The Create form's fields as the page gives them, with `label` typed in."""
    return {"label": label, "form_token": form_token(client.get(SECURITY))}


def test_the_create_form_carries_a_one_time_token(alice_client):
    first, second = form_token(alice_client.get(SECURITY)), form_token(alice_client.get(SECURITY))
    assert len(first) >= 16 and first != second


def test_the_create_form_sent_again_makes_no_second_key_and_shows_no_error(alice_client, account):
    form = create_form(alice_client)
    assert alice_client.post(SECURITY, form).status_code == 200
    again = alice_client.post(SECURITY, form)
    assert again.status_code == 303
    assert again["Location"] == SECURITY
    assert ApiKey.objects.for_account(account).count() == 1


def test_the_page_the_resent_form_leads_to_lists_the_key_without_showing_it(alice_client):
    form = create_form(alice_client)
    raw_key = the_new_key(alice_client.post(SECURITY, form))
    page = alice_client.post(SECURITY, form, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert shown_keys(page) == [] and raw_key not in html
    assert "already has this label" not in html
    assert "That form was sent again, so nothing new was made" in html
    assert "<td>Zapier integration</td>" in html


def test_the_form_from_the_page_that_shows_the_key_creates_another_key(alice_client, account):
    created = alice_client.post(SECURITY, create_form(alice_client))
    response = alice_client.post(SECURITY, {"label": "Second", "form_token": form_token(created)})
    assert response.status_code == 200
    assert ApiKey.objects.for_account(account).count() == 2


def test_a_form_sent_again_after_an_error_is_checked_afresh(alice_client, account):
    form = create_form(alice_client, label="")
    assert alice_client.post(SECURITY, form).status_code == 400
    form["label"] = "Fixed"
    assert alice_client.post(SECURITY, form).status_code == 200
    assert ApiKey.objects.for_account(account).get().label == "Fixed"


def test_another_accounts_token_is_not_taken_for_this_accounts(alice_client, account, other_account):
    form = create_form(alice_client)
    ApiKey.objects.create_key(account=other_account, label="Theirs", form_token=form["form_token"])
    assert alice_client.post(SECURITY, form).status_code == 200
    assert ApiKey.objects.for_account(account).count() == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 65, "not/a token!" * 2])
def test_a_missing_or_malformed_token_is_ignored_not_an_error(alice_client, account, token):
    assert alice_client.post(SECURITY, {"label": "Script", "form_token": token}).status_code == 200
    assert ApiKey.objects.for_account(account).count() == 1


def test_the_page_that_shows_a_key_asks_to_become_a_plain_get_of_the_security_page(alice_client):
    html = alice_client.post(SECURITY, create_form(alice_client)).content.decode()
    assert f'data-history-url="{SECURITY}"' in html
    assert re.search(r'<script src="/static/js/no-resubmit[^"]*\.js" defer></script>', html)


def test_the_create_form_posts_to_the_security_page_even_from_the_roll_response(alice_client, key_pair):
    html = alice_client.post(roll_url(key_pair[0]), {"stops_in": "0", "form_token": "r" * 22}).content.decode()
    assert f'action="{SECURITY}" class="create-key"' in html


# Roll


def test_the_roll_form_sent_again_rolls_once_and_shows_no_error(alice_client, key_pair, account):
    old, _ = key_pair
    form = {"stops_in": "3600", "form_token": form_token(alice_client.get(roll_url(old)))}
    first = alice_client.post(roll_url(old), form)
    assert first.status_code == 200
    raw_key = the_new_key(first)
    again = alice_client.post(roll_url(old), form, follow=True)
    assert again.redirect_chain == [(SECURITY, 303)]
    assert shown_keys(again) == [] and raw_key not in again.content.decode()
    assert "already being replaced" not in again.content.decode()
    assert ApiKey.objects.for_account(account).count() == 2


def test_a_second_roll_with_a_fresh_form_still_says_the_key_is_being_replaced(alice_client, key_pair):
    old, _ = key_pair
    alice_client.post(roll_url(old), {"stops_in": "3600", "form_token": "a" * 22})
    response = alice_client.post(roll_url(old), {"stops_in": "3600", "form_token": "b" * 22})
    assert response.status_code == 409
    assert "already being replaced" in response.content.decode()


# Two sends at once (a double click): one key, whichever worker answers first.


# Transactional, so each thread's connection sees committed rows; serialized_rollback puts back
# the plans the flush afterwards empties.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers: the race needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_sends_of_one_create_form_make_one_key(alice, account):
    form = {"label": "Double click", "form_token": "d" * 22}
    statuses, start = [], threading.Barrier(2)

    def send():
        client = Client()
        client.force_login(alice)
        confirmed(client)
        start.wait()
        statuses.append(client.post(SECURITY, form).status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert sorted(statuses) == [200, 303]
    assert ApiKey.objects.for_account(account).count() == 1
