"""The Django admin at /admin/: every model's pages render for staff, accounts show their plan and
members, staff can change a plan and revoke a key, and nothing secret or unescaped is shown."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Account, AuditEvent, Membership, Plan, User
from apikeys.models import ApiKey
from chatbots.models import Conversation, Message
from leads.models import Lead
from sources.models import Source
from sources.services import create_source
from tests.conftest import PASSWORD
from webhooks.events import emit
from webhooks.models import WebhookEndpoint

REGISTERED = sorted(model._meta.label for model in admin.site._registry)
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_superuser(email="staff@pivra.test", password="staff-password")
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def one_of_each(account, alice, key_pair, chatbot):
    """An object of every registered model, keyed by model label."""
    conversation = Conversation.objects.create(account=account, chatbot=chatbot, visitor_id="v1")
    recovery = StaticDevice.objects.create(user=alice, name="Recovery codes", confirmed=True)
    recovery.token_set.create(token="recovery1")
    objects = {
        "accounts.Account": account,
        "accounts.User": alice,
        "accounts.Membership": Membership.objects.get(user=alice),
        "accounts.Plan": Plan.objects.get(code="starter"),
        "accounts.AuditEvent": AuditEvent.objects.for_account(account).first(),
        "apikeys.ApiKey": key_pair[0],
        "chatbots.Chatbot": chatbot,
        "chatbots.Conversation": conversation,
        "chatbots.Message": Message.objects.create(conversation=conversation, role="user", content="Hello"),
        "sources.Source": Source.objects.create(
            account=account, chatbot=chatbot, type="text", title="Shipping", content="3 days"
        ),
        "leads.Lead": Lead.objects.create(account=account, chatbot=chatbot, name="Maria", email="m@example.com"),
        "auth.Group": Group.objects.create(name="Support"),
        # Two-factor devices: staff delete a lost one, and never see its secret.
        "otp_totp.TOTPDevice": TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True),
        "otp_static.StaticDevice": recovery,
        # Login throttling's records (django-axes): staff unlock a locked-out email by deleting one.
        "axes.AccessAttempt": AccessAttempt.objects.create(
            username="alice@example.com", ip_address="203.0.113.9", user_agent="", http_accept="", path_info="/accounts/login/",
            get_data="", post_data="username=alice@example.com\npassword=********************", failures_since_start=5,
        ),
        "axes.AccessFailureLog": AccessFailureLog.objects.create(
            username="alice@example.com", ip_address="203.0.113.9", user_agent="", http_accept="", path_info="/accounts/login/"
        ),
        "axes.AccessLog": AccessLog.objects.create(
            username="alice@example.com", ip_address="203.0.113.9", user_agent="", http_accept="", path_info="/accounts/login/"
        ),
    }
    endpoint = WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/", events=["lead.created"])
    objects["webhooks.WebhookEndpoint"] = endpoint
    [objects["webhooks.Delivery"]] = emit(account, "lead.created", {"id": "lead_1"})
    if "procrastinate.ProcrastinateJob" in REGISTERED:  # PostgreSQL: staff see the job queue too
        from procrastinate.contrib.django.models import ProcrastinateJob

        create_source(account=account, chatbot=chatbot, type="url", url="https://example.com/faq")
        objects["procrastinate.ProcrastinateJob"] = ProcrastinateJob.objects.get(task_name="sources.fetch_source")
    return objects


def admin_url(obj_or_model, view, *args):
    # Public ids such as `key_4Fh…` must be quoted as the admin does (`_4F` would read as "O").
    meta = obj_or_model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[quote(arg) for arg in args])


def test_every_model_of_pivra_is_registered_in_the_admin():
    for label in [
        "accounts.Account", "accounts.User", "accounts.Membership", "accounts.Plan", "accounts.AuditEvent",
        "apikeys.ApiKey", "chatbots.Chatbot", "chatbots.Conversation", "chatbots.Message",
        "sources.Source", "leads.Lead", "webhooks.WebhookEndpoint", "webhooks.Delivery",
    ]:
        assert label in REGISTERED


@pytest.mark.parametrize("label", REGISTERED)
def test_each_admin_changelist_renders_for_staff(staff_client, one_of_each, label):
    model = one_of_each[label]
    response = staff_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("label", REGISTERED)
def test_each_admin_changelist_can_be_searched(staff_client, one_of_each, label):
    model = one_of_each[label]
    response = staff_client.get(admin_url(model, "changelist"), {"q": "alice"})
    assert response.status_code == 200


@pytest.mark.parametrize("label", REGISTERED)
def test_each_admin_change_page_renders_for_staff(staff_client, one_of_each, label):
    obj = one_of_each[label]
    response = staff_client.get(admin_url(obj, "change", obj.pk))
    assert response.status_code == 200


def test_the_admin_needs_a_staff_login(client, alice, account):
    client.force_login(alice)
    response = client.get(admin_url(account, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_accounts_admin_page_shows_its_plan_and_members(staff_client, account, alice, bob):
    page = staff_client.get(admin_url(account, "change", account.pk)).content.decode()
    assert '<option value="starter" selected>Starter</option>' in page
    assert "alice@example.com" in page
    assert "bob@example.com" in page
    assert "Owner" in page and "Member" in page


def change_form_data(response):
    """The POST data a browser would send back for an admin change form, as rendered."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = value
    return data


def test_staff_can_change_an_accounts_plan(staff_client, account, alice, bob):
    url = admin_url(account, "change", account.pk)
    data = change_form_data(staff_client.get(url))
    data["plan"] = "growth"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    account.refresh_from_db()
    assert account.plan.code == "growth"
    assert Membership.objects.filter(account=account).count() == 2


def test_a_plan_change_in_the_admin_is_seen_by_the_api_on_the_next_request(staff_client, account, alice, api_client):
    assert api_client.get("/api/usage").status_code == 200
    url = admin_url(account, "change", account.pk)
    data = change_form_data(staff_client.get(url))
    data["plan"] = "free"
    staff_client.post(url, data)
    response = api_client.get("/api/usage")
    assert response.status_code == 403
    assert "Free" in response.json()["detail"]


def test_the_api_key_admin_lists_label_account_hint_and_status(staff_client, key_pair):
    api_key, _ = key_pair
    page = staff_client.get(admin_url(api_key, "changelist")).content.decode()
    assert "CRM sync" in page
    assert "Alice Co" in page
    assert api_key.hint in page
    assert "Active" in page


def test_the_api_key_admin_never_shows_the_hash_or_the_key(staff_client, key_pair):
    api_key, raw_key = key_pair
    for url in (admin_url(api_key, "changelist"), admin_url(api_key, "change", api_key.pk)):
        page = staff_client.get(url).content.decode()
        assert api_key.key_hash not in page
        assert raw_key not in page


def test_the_webhook_admin_never_shows_a_signing_secret(staff_client, one_of_each):
    endpoint = one_of_each["webhooks.WebhookEndpoint"]
    endpoint.roll_secret(endpoint.created_at)
    for obj in (endpoint, one_of_each["webhooks.Delivery"]):
        for url in (admin_url(obj, "changelist"), admin_url(obj, "change", obj.pk)):
            page = staff_client.get(url).content.decode()
            assert endpoint.secret not in page and endpoint.previous_secret not in page, url


def test_the_api_key_admin_can_be_searched_by_label_and_account(staff_client, key_pair, other_api_client):
    url = admin_url(ApiKey, "changelist")
    # Quoted, with a space: a bare word could also turn up inside a random account id.
    assert staff_client.get(url, {"q": '"CRM sync"'}).context["cl"].result_count == 1
    assert staff_client.get(url, {"q": '"Charlie Ltd"'}).context["cl"].result_count == 1
    assert staff_client.get(url, {"q": "nothing-like-this"}).context["cl"].result_count == 0


def test_staff_cannot_add_or_delete_api_keys_in_the_admin(staff_client, key_pair):
    api_key, _ = key_pair
    assert staff_client.get(admin_url(ApiKey, "add")).status_code == 403
    assert staff_client.post(admin_url(api_key, "delete", api_key.pk), {"post": "yes"}).status_code == 403
    assert ApiKey.objects.filter(pk=api_key.pk).exists()


def test_staff_revoke_a_key_with_the_admin_action_which_writes_an_audit_event(staff_client, key_pair, api_client):
    api_key, _ = key_pair
    response = staff_client.post(
        admin_url(ApiKey, "changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert not api_key.is_active
    assert api_key.revoked_by.email == "staff@pivra.test"
    event = AuditEvent.objects.get(action=AuditEvent.Action.API_KEY_REVOKED)
    assert (event.actor_email, event.target_id, event.ip_address) == ("staff@pivra.test", api_key.pk, "192.0.2.10")
    assert api_client.get("/api/usage").status_code == 401


def test_the_admin_action_skips_keys_that_are_already_revoked(staff_client, key_pair, alice):
    api_key, _ = key_pair
    api_key.revoke(by=alice)
    staff_client.post(admin_url(ApiKey, "changelist"), {"action": "revoke_keys", "_selected_action": [api_key.pk]})
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_KEY_REVOKED).count() == 1


def test_a_label_with_markup_is_escaped_in_the_api_key_admin(staff_client, account, alice):
    api_key, _ = ApiKey.objects.create_key(account=account, label=SCRIPT, created_by=alice)
    for url in (admin_url(ApiKey, "changelist"), admin_url(api_key, "change", api_key.pk)):
        page = staff_client.get(url).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_label_with_markup_is_escaped_in_the_audit_event_admin(staff_client, account, alice):
    ApiKey.objects.create_key(account=account, label=SCRIPT, created_by=alice)
    event = AuditEvent.objects.get()
    for url in (admin_url(AuditEvent, "changelist"), admin_url(event, "change", event.pk)):
        page = staff_client.get(url).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_audit_events_cannot_be_edited_in_the_admin(staff_client, key_pair):
    event = AuditEvent.objects.get()
    assert staff_client.get(admin_url(AuditEvent, "add")).status_code == 403
    response = staff_client.post(admin_url(event, "change", event.pk), {"target_description": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.target_description != "rewritten"


NEW_USER = {"password1": "a-long-password-123", "password2": "a-long-password-123", "usable_password": "true"}


def test_staff_can_add_a_user_in_the_admin_who_can_then_log_in(staff_client, client):
    response = staff_client.post(admin_url(User, "add"), {"email": "eve@example.com", **NEW_USER})
    assert response.status_code == 302
    login = client.post("/accounts/login/", {"username": "eve@example.com", "password": NEW_USER["password1"]})
    assert login.status_code == 302


def test_an_email_added_in_the_admin_is_stored_in_lower_case(staff_client):
    staff_client.post(admin_url(User, "add"), {"email": "Eve@Example.COM", **NEW_USER})
    assert User.objects.filter(email="eve@example.com").exists()


def test_staff_cannot_add_a_user_whose_email_differs_from_another_only_in_case(staff_client, alice, client):
    response = staff_client.post(admin_url(User, "add"), {"email": "ALICE@example.com", **NEW_USER})
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    login = client.post("/accounts/login/", {"username": "alice@example.com", "password": PASSWORD})
    assert login.status_code == 302


def test_two_factor_devices_show_staff_neither_the_secret_nor_the_recovery_codes(staff_client, one_of_each):
    totp, static = one_of_each["otp_totp.TOTPDevice"], one_of_each["otp_static.StaticDevice"]
    totp_page = staff_client.get(admin_url(totp, "change", totp.pk)).content.decode()
    static_page = staff_client.get(admin_url(static, "change", static.pk)).content.decode()
    assert totp.key not in totp_page and "otpauth://" not in totp_page
    assert "recovery1" not in static_page
