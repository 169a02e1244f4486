"""Settings → Webhooks: owners and admins add endpoints and see the secret once, send test
events, roll secrets, disable, enable, delete and resend; members and outsiders cannot."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import reauth
from accounts.models import Membership
from tests.conftest import make_member
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint

from .conftest import confirmed

PAGE = "/settings/webhooks/"
URL = "https://hooks.customer.example/pivra"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


@pytest.fixture(autouse=True)
def public_host(dns):
    names, _ = dns
    names["hooks.customer.example"] = ["93.184.215.34"]


def add(client, url=URL, events=("lead.created",), **extra):
    return client.post(PAGE, {"url": url, "events": list(events)}, **extra)


def shown_secrets(response):
    return SECRET.findall(response.content.decode())


def action(endpoint, name):
    return f"{PAGE}{endpoint.pk}/{name}/"


@pytest.fixture
def saved(account):
    return WebhookEndpoint.objects.create(account=account, url=URL, events=["lead.created"])


# The page


def test_the_page_has_the_url_field_a_checkbox_per_event_and_add_endpoint(owner_client):
    page = owner_client.get(PAGE).content.decode()
    assert ">Endpoint URL</label>" in page
    assert page.count('type="checkbox" name="events"') == 7
    assert 'value="lead.created" checked' in page
    assert 'value="message.created">' in page  # opt-in: not ticked
    assert ">Add endpoint</button>" in page


def test_the_page_needs_a_login(client, db):
    response = client.get(PAGE)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={PAGE}")


def test_the_settings_navigation_links_to_webhooks_beside_security(owner_client):
    page = owner_client.get("/settings/security/").content.decode()
    settings_nav = page.split('<nav class="subnav" aria-label="Settings">')[1].split("</nav>")[0]
    assert 'href="/settings/security/" aria-current="page">Security</a>' in settings_nav
    assert f'href="{PAGE}">Webhooks</a>' in settings_nav


def test_a_member_is_not_offered_the_link(bob_client):
    assert PAGE not in bob_client.get("/settings/security/").content.decode()


def test_a_member_gets_403_on_the_page_and_every_action(bob, saved):
    client = confirmed(Client())
    client.force_login(bob)
    assert client.get(PAGE).status_code == 403
    assert add(client).status_code == 403
    for name in ("test", "roll", "disable", "enable", "delete"):
        assert client.post(action(saved, name)).status_code == 403, name
    assert WebhookEndpoint.objects.get().secret == saved.secret


def test_an_admin_manages_webhooks_like_an_owner(account):
    client = Client()
    client.force_login(make_member(account, "dana@example.com", Membership.Role.ADMIN))
    assert add(confirmed(client)).status_code == 200
    assert WebhookEndpoint.objects.for_account(account).count() == 1


def test_another_accounts_endpoint_is_a_404(charlie, saved):
    client = Client()
    client.force_login(charlie)
    confirmed(client)
    for name in ("test", "roll", "disable", "delete"):
        assert client.post(action(saved, name)).status_code == 404, name
    assert saved.url not in client.get(PAGE).content.decode()


# Adding an endpoint: the secret once, in the response to Add endpoint


def test_adding_shows_the_secret_once_with_a_copy_button(owner_client, account):
    response = add(owner_client, events=["lead.created", "source.failed"])
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.for_account(account).get()
    assert shown_secrets(response) == [endpoint.secret]
    page = response.content.decode()
    assert "shown only once" in page
    assert ">Copy</button>" in page
    assert (endpoint.url, endpoint.events) == (URL, ["lead.created", "source.failed"])


def test_the_secret_is_never_shown_again_nor_kept_in_the_session_or_a_redirect(owner_client):
    response = add(owner_client)
    [secret] = shown_secrets(response)
    assert "no-store" in response["Cache-Control"]
    assert not response.has_header("Location")
    assert secret not in str(dict(owner_client.session.items()))
    reloaded = owner_client.get(PAGE)
    assert shown_secrets(reloaded) == []
    assert "shown only once" not in reloaded.content.decode()


@pytest.mark.parametrize("url, error", [
    ("https://10.0.0.7/hook", "resolves to a private network address"),
    ("http://169.254.169.254/latest/meta-data/", "resolves to a private network address"),
    ("http://hooks.customer.example/pivra", "must start with https://"),
    ("", "Enter the URL Pivra should send events to."),
])
def test_a_url_pivra_would_not_send_to_is_refused_on_the_form(owner_client, url, error):
    response = add(owner_client, url=url)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    assert shown_secrets(response) == []


def test_no_event_ticked_is_a_form_error(owner_client):
    response = add(owner_client, events=[])
    assert response.status_code == 400
    assert "Choose at least one event." in response.content.decode()


def test_a_url_with_markup_is_escaped(owner_client, account):
    WebhookEndpoint.objects.create(account=account, url=URL + "?<script>alert(1)</script>", events=["lead.created"])
    page = owner_client.get(PAGE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# The actions


def test_send_test_event_queues_a_delivery_to_that_endpoint(owner_client, saved):
    response = owner_client.post(action(saved, "test"))
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#{saved.pk}"
    queued = Delivery.objects.get()
    assert (queued.endpoint_id, queued.event_type) == (saved.pk, "webhook.test")


def test_roll_secret_shows_the_new_secret_once_and_the_old_one_keeps_signing(owner_client, saved):
    old = saved.secret
    response = owner_client.post(action(saved, "roll"))
    saved.refresh_from_db()
    assert shown_secrets(response) == [saved.secret]
    assert saved.secret != old
    assert "24 hours" in response.content.decode()
    assert saved.signing_secrets(timezone.now()) == [saved.secret, old]
    assert shown_secrets(owner_client.get(PAGE)) == []


def test_disable_then_enable(owner_client, saved):
    owner_client.post(action(saved, "disable"))
    saved.refresh_from_db()
    assert saved.status == "disabled"
    page = owner_client.get(PAGE).content.decode()
    assert ">Enable</button>" in page and ">Disable</button>" not in page
    owner_client.post(action(saved, "enable"))
    saved.refresh_from_db()
    assert saved.status == "enabled"


def test_delete_asks_for_confirmation_first(owner_client, saved):
    confirm = owner_client.get(action(saved, "delete"))
    assert ">Confirm</button>" in confirm.content.decode()
    assert WebhookEndpoint.objects.exists()
    assert owner_client.post(action(saved, "delete")).status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_the_deliveries_table_shows_each_attempt_with_its_next_retry(owner_client, account, saved):
    now = timezone.now()
    queued = Delivery.objects.create(
        account=account, endpoint=saved, event_id="evt_1", event_type="lead.created", payload="{}",
        status="pending", attempt_count=1, next_attempt_at=now + timedelta(seconds=5),
    )
    DeliveryAttempt.objects.create(
        delivery=queued, number=1, started_at=now, status_code=503, duration_ms=120,
        error="The endpoint answered 503; only a 2xx answer counts as delivered.", next_retry_at=now + timedelta(seconds=5),
    )
    page = owner_client.get(PAGE).content.decode()
    table = page[page.index('<table class="deliveries">'):]
    for text in ("Event", "Attempt", "Status code", "Duration", "Time", "Next retry", "lead.created", "evt_1",
                 ">503", "120 ms", f"{(now + timedelta(seconds=5)):%Y-%m-%d %H:%M:%S} UTC", ">Resend</button>"):
        assert text in table, text
    assert '<div class="table-scroll">' in page  # a 390px phone scrolls the table inside its card


def test_a_delivery_not_attempted_yet_is_listed_as_waiting(owner_client, saved):
    owner_client.post(action(saved, "test"))  # queued; in a test transaction no job has run
    table = owner_client.get(PAGE).content.decode().split('<table class="deliveries">')[1]
    assert "webhook.test" in table and "Waiting for its first attempt" in table
    assert "No deliveries yet" not in table


def attempt_on(endpoint, event_id, minutes_ago, status="failed", attempt_count=1):
    delivery = Delivery.objects.create(
        account=endpoint.account, endpoint=endpoint, event_id=event_id, event_type="lead.created", payload="{}",
        status=status, attempt_count=attempt_count,
    )
    if attempt_count:
        DeliveryAttempt.objects.create(
            delivery=delivery, number=1, started_at=timezone.now() - timedelta(minutes=minutes_ago), status_code=500,
            duration_ms=5,
        )
    return delivery


def test_each_endpoint_lists_its_own_latest_attempts_newest_first(owner_client, account, saved):
    other = WebhookEndpoint.objects.create(account=account, url=URL + "/other", events=["lead.created"])
    for n in range(25):
        attempt_on(saved, f"evt_saved_{n}", minutes_ago=n)
    attempt_on(other, "evt_other", minutes_ago=1)
    page = owner_client.get(PAGE).content.decode()
    saved_table = page.split(f'id="{saved.pk}"')[1].split('<table class="deliveries">')[1].split("</table>")[0]
    shown = list(dict.fromkeys(re.findall(r"evt_saved_\d+", saved_table)))  # each also names its Resend
    assert shown == [f"evt_saved_{n}" for n in range(20)]  # the newest 20 of 25
    assert "evt_other" not in saved_table


def test_the_page_runs_the_same_queries_however_many_endpoints_and_deliveries(
    owner_client, account, saved, django_assert_max_num_queries
):
    attempt_on(saved, "evt_first", minutes_ago=1)
    attempt_on(saved, "evt_waiting", minutes_ago=0, status="pending", attempt_count=0)
    with django_assert_max_num_queries(50) as few:
        owner_client.get(PAGE)
    for n in range(10):
        endpoint = WebhookEndpoint.objects.create(account=account, url=f"{URL}/{n}", events=["lead.created"])
        for m in range(3):
            attempt_on(endpoint, f"evt_{n}_{m}", minutes_ago=m)
        attempt_on(endpoint, f"evt_{n}_waiting", minutes_ago=0, status="pending", attempt_count=0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = owner_client.get(PAGE).content.decode()
    assert "evt_9_2" in page and "evt_9_waiting" in page


def test_resend_makes_a_new_attempt_of_that_delivery(owner_client, account, receiver, run_jobs):
    endpoint = WebhookEndpoint.objects.create(account=account, url=receiver.url(), events=["lead.created"])
    assert owner_client.post(action(endpoint, "test")).status_code == 302
    run_jobs()
    queued = Delivery.objects.get()
    response = owner_client.post(f"{PAGE}{endpoint.pk}/deliveries/{queued.pk}/resend/")
    assert (response.status_code, response["Location"]) == (302, f"{PAGE}#{endpoint.pk}")
    run_jobs()
    assert [(a.number, a.status_code) for a in queued.attempts.order_by("number")] == [(1, 200), (2, 200)]
    assert [r["headers"]["webhook-id"] for r in receiver.wait_for(2)] == [queued.event_id] * 2


def test_resending_another_endpoints_delivery_is_a_404(owner_client, account, saved):
    other = WebhookEndpoint.objects.create(account=account, url=URL + "/2", events=["lead.created"])
    queued = Delivery.objects.create(account=account, endpoint=other, event_id="evt_1", event_type="lead.created", payload="{}")
    assert owner_client.post(f"{PAGE}{saved.pk}/deliveries/{queued.pk}/resend/").status_code == 404


# Confirming the password first


@pytest.fixture
def fresh_client(alice):
    """Alice just logged in: no management action confirmed yet."""
    client = Client()
    client.force_login(alice)
    return client


def test_the_first_action_of_a_session_asks_for_the_password_then_carries_on(fresh_client, account):
    asked = add(fresh_client, events=["lead.created", "lead.deleted"])
    page = asked.content.decode()
    assert asked.status_code == 200
    assert "<h1>Confirm your password</h1>" in page
    assert ">Password</label>" in page and ">Confirm</button>" in page
    assert not WebhookEndpoint.objects.exists()

    done = fresh_client.post(PAGE, {"url": URL, "events": ["lead.created", "lead.deleted"], reauth.PASSWORD_FIELD: "correct horse battery staple"})
    endpoint = WebhookEndpoint.objects.for_account(account).get()
    assert endpoint.events == ["lead.created", "lead.deleted"]
    assert shown_secrets(done) == [endpoint.secret]


def test_a_wrong_password_does_nothing_but_say_so(fresh_client, saved):
    response = fresh_client.post(action(saved, "disable"), {reauth.PASSWORD_FIELD: "wrong"})
    assert response.status_code == 400
    assert reauth.WRONG_PASSWORD in response.content.decode()
    saved.refresh_from_db()
    assert saved.status == "enabled"


def test_once_confirmed_actions_go_through_for_two_hours_after_the_last_one(fresh_client, saved, monkeypatch):
    fresh_client.post(action(saved, "disable"), {reauth.PASSWORD_FIELD: "correct horse battery staple"})
    start = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=110))
    assert fresh_client.post(action(saved, "enable")).status_code == 302  # within two hours
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=110 + 121))
    asked = fresh_client.post(action(saved, "disable"))
    assert "Confirm your password" in asked.content.decode()
    saved.refresh_from_db()
    assert saved.status == "enabled"


def test_the_password_never_travels_back_in_the_page(fresh_client, saved):
    response = fresh_client.post(action(saved, "disable"), {reauth.PASSWORD_FIELD: "hunter2-wrong"})
    assert "hunter2-wrong" not in response.content.decode()
