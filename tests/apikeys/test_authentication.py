"""Bearer authentication with secret keys, through HTTP: every way in, and every way it fails.

RFC 6750: a missing key is 401 `WWW-Authenticate: Bearer realm="api"`; a malformed, unknown or
revoked key is 401 with `error="invalid_token"` and one body for all three apart from the masked
echo of the key that was sent.
"""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework.test import APIClient

from accounts.models import Plan
from apikeys import crypto
from apikeys.authentication import ApiKeyAuthentication
from apikeys.models import ApiKey
from chatbots.models import Chatbot

USAGE = "/api/usage"
MISSING = 'Bearer realm="api"'
INVALID = 'Bearer realm="api", error="invalid_token"'
ECHO = re.compile(r"pivra_[sp]k_…[^\s)]{0,4}|…[^\s)]{0,4}")


def get(authorization=None, path=USAGE, **extra):
    if authorization is not None:
        extra["HTTP_AUTHORIZATION"] = authorization
    return APIClient().get(path, **extra)


def unknown_key():
    """A well-formed key with a valid checksum that was never issued."""
    return crypto.generate_secret_key()


def without_echo(detail):
    return ECHO.sub("<key>", detail)


# Success


def test_a_valid_key_gets_the_accounts_usage(raw_key):
    response = get(f"Bearer {raw_key}")
    assert response.status_code == 200
    assert response.json()["plan"]["code"] == "starter"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_scheme_name_is_case_insensitive(raw_key, scheme):
    assert get(f"{scheme} {raw_key}").status_code == 200


def test_extra_spaces_around_the_key_are_tolerated(raw_key):
    assert get(f"Bearer   {raw_key}  ").status_code == 200


def test_the_request_acts_as_the_key_of_its_account(key_pair, account):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    api_key, raw_key = key_pair
    request = Request(APIRequestFactory().get(USAGE, HTTP_AUTHORIZATION=f"Bearer {raw_key}"))
    user, auth = ApiKeyAuthentication().authenticate(request)
    assert auth == api_key
    assert auth.account == account
    assert not user.is_authenticated


def test_a_key_only_sees_its_own_accounts_usage(raw_key, other_api_client, account, other_account):
    Chatbot.objects.create(account=other_account, name="Theirs")
    assert get(f"Bearer {raw_key}").json()["limits"]["chatbots"]["used"] == 0


def test_a_known_key_is_verified_with_one_indexed_lookup(key_pair, django_assert_num_queries):
    api_key, raw_key = key_pair
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    # 1 key lookup + 4 for the usage report itself (messages, characters, chatbots, members).
    with django_assert_num_queries(5) as captured:
        assert get(f"Bearer {raw_key}").status_code == 200
    key_queries = [q["sql"] for q in captured.captured_queries if ApiKey._meta.db_table in q["sql"]]
    assert len(key_queries) == 1
    assert key_queries[0].startswith("SELECT")
    assert '"key_hash" =' in key_queries[0]


def test_a_malformed_key_is_refused_without_touching_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert get("Bearer pivra_sk_" + "A" * 36).status_code == 401


def test_an_embed_key_is_refused_without_touching_the_database(chatbot, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert get(f"Bearer {chatbot.embed_key}").status_code == 401


# A missing key


@pytest.mark.parametrize("authorization", [None, "", "   "], ids=["no-header", "empty", "blank"])
def test_a_missing_key_is_401_with_a_bearer_challenge(db, authorization):
    response = get(authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == MISSING
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert "Authorization: Bearer pivra_sk_" in body["detail"]


# Malformed, unknown and revoked keys


@pytest.fixture
def revoked_key(key_pair, alice):
    api_key, raw_key = key_pair
    api_key.revoke(by=alice)
    return raw_key


def test_an_unknown_key_is_401_invalid_token_echoing_only_its_last_four_characters(db):
    key = unknown_key()
    response = get(f"Bearer {key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID
    body = response.json()
    assert body["code"] == "invalid_api_key"
    assert f"pivra_sk_…{key[-4:]}" in body["detail"]
    assert key[-5:] not in body["detail"]


def test_a_revoked_key_is_401_invalid_token(revoked_key):
    response = get(f"Bearer {revoked_key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID
    assert response.json()["code"] == "invalid_api_key"
    assert f"pivra_sk_…{revoked_key[-4:]}" in response.json()["detail"]


def test_a_mistyped_key_is_401_invalid_token(raw_key):
    typo = raw_key[:20] + ("a" if raw_key[20] != "a" else "b") + raw_key[21:]
    response = get(f"Bearer {typo}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID
    assert response.json()["code"] == "invalid_api_key"


def test_malformed_unknown_and_revoked_keys_get_the_same_body_apart_from_the_echo(revoked_key):
    bodies = [
        get(f"Bearer {key}").json()
        for key in (revoked_key, unknown_key(), "pivra_sk_" + "A" * 36, "pivra_sk_short", "nonsense")
    ]
    assert len({body["code"] for body in bodies}) == 1
    assert len({without_echo(body["detail"]) for body in bodies}) == 1


# Junk in the header: always a clean 401, never a 500


JUNK = {
    "wrong-scheme-basic": "Basic dXNlcjpwYXNzd29yZA==",
    "wrong-scheme-token": "Token pivra_sk_" + "A" * 36,
    "scheme-only": "Bearer",
    "scheme-and-spaces": "Bearer    ",
    "key-without-scheme": "pivra_sk_" + "A" * 36,
    "two-tokens": "Bearer pivra_sk_" + "A" * 36 + " pivra_sk_" + "B" * 36,
    "comma-joined": "Bearer pivra_sk_" + "A" * 36 + ",Bearer x",
    "non-ascii": "Bearer pivra_sk_ключключключключключключключключключ",
    "latin-1": "Bearer pivra_sk_" + "é" * 36,
    "emoji": "Bearer pivra_sk_" + "🔑" * 36,
    "control-characters": "Bearer pivra_sk_" + "\x00\x01\x7f" * 12,
    "10-kb-token": "Bearer " + "A" * 10_240,
    "10-kb-prefixed-token": "Bearer pivra_sk_" + "A" * 10_240,
    "10-kb-of-tokens": "Bearer " + "pivra_sk_x " * 1000,
    "quotes": 'Bearer "pivra_sk_' + "A" * 36 + '"',
    "html": "Bearer <script>alert(1)</script>",
    "percent-encoded": "Bearer pivra_sk_%41%42%43%44%45%46%47%48%49%4A%4B%4C",
}


@pytest.mark.parametrize("authorization", JUNK.values(), ids=JUNK.keys())
def test_junk_in_the_authorization_header_is_a_clean_401(db, authorization):
    response = get(authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith(MISSING)
    body = response.json()
    assert set(body) == {"detail", "code", "request_id"}
    assert body["code"] == "invalid_api_key"


@pytest.mark.parametrize("authorization", JUNK.values(), ids=JUNK.keys())
def test_the_echo_of_junk_never_shows_more_than_four_trailing_characters(db, authorization):
    detail = get(authorization).json()["detail"]
    echoed = ECHO.findall(detail)
    assert len(echoed) == 1
    assert len(echoed[0].split("…")[1]) <= 4
    token = authorization.split()[-1] if authorization.split() else ""
    if len(token) > 4:
        assert token[-5:] not in detail


def test_a_real_key_sent_with_the_wrong_scheme_is_refused(raw_key):
    response = get(f"Token {raw_key}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_real_key_followed_by_a_second_token_is_refused(raw_key):
    assert get(f"Bearer {raw_key} {raw_key}").status_code == 401


# Embed keys


def test_an_embed_key_is_401_saying_embed_keys_are_for_the_chat_widget_only(chatbot):
    response = get(f"Bearer {chatbot.embed_key}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID
    body = response.json()
    assert body["code"] == "embed_key_not_allowed"
    assert "chat widget only" in body["detail"]
    assert chatbot.embed_key not in body["detail"]


# Where the key may come from: the Authorization header only


@pytest.mark.parametrize("parameter", ["api_key", "key", "access_token", "token", "authorization"])
def test_a_key_in_the_query_string_is_not_accepted(raw_key, parameter):
    response = APIClient().get(USAGE, {parameter: raw_key})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("parameter", ["api_key", "access_token"])
def test_a_key_in_a_json_body_is_not_accepted(raw_key, account, parameter):
    response = APIClient().post("/api/chatbots", {parameter: raw_key, "name": "Sneaky"}, format="json")
    assert response.status_code == 401
    assert not Chatbot.objects.filter(name="Sneaky").exists()


def test_a_key_in_a_form_body_is_not_accepted(raw_key, account):
    response = APIClient().post("/api/chatbots", {"access_token": raw_key, "name": "Sneaky"})
    assert response.status_code == 401
    assert not Chatbot.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize("header", ["HTTP_X_API_KEY", "HTTP_API_KEY", "HTTP_PROXY_AUTHORIZATION"])
def test_a_key_in_another_header_is_not_accepted(raw_key, header):
    assert APIClient().get(USAGE, **{header: f"Bearer {raw_key}"}).status_code == 401


def test_a_logged_in_browser_session_does_not_open_the_api(alice_client):
    assert alice_client.get(USAGE).status_code == 401


# Plan gating


def test_a_key_of_a_free_plan_account_is_403_naming_the_plan(key_pair, account):
    account.plan = Plan.objects.get(code="free")
    account.save()
    response = get(f"Bearer {key_pair[1]}")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "plan_not_allowed"
    assert "Free" in body["detail"]
    assert "Starter" in body["detail"]


@pytest.mark.parametrize("plan", ["starter", "growth", "business"])
def test_keys_work_on_every_paid_plan(key_pair, account, plan):
    account.plan = Plan.objects.get(code=plan)
    account.save()
    assert get(f"Bearer {key_pair[1]}").status_code == 200


def test_an_upgrade_from_free_opens_the_api_on_the_next_request(key_pair, account):
    account.plan = Plan.objects.get(code="free")
    account.save()
    assert get(f"Bearer {key_pair[1]}").status_code == 403
    account.plan = Plan.objects.get(code="starter")
    account.save()
    assert get(f"Bearer {key_pair[1]}").status_code == 200


# last_used_at: at most one write a minute per key


def key_updates(captured):
    table = ApiKey._meta.db_table
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE") and table in q["sql"]]


def test_a_keys_first_use_sets_last_used_at(key_pair):
    api_key, raw_key = key_pair
    assert api_key.last_used_at is None
    get(f"Bearer {raw_key}")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_two_requests_within_a_minute_write_last_used_at_once(key_pair):
    api_key, raw_key = key_pair
    with CaptureQueriesContext(connection) as captured:
        get(f"Bearer {raw_key}")
        get(f"Bearer {raw_key}")
    assert len(key_updates(captured)) == 1


def test_a_request_more_than_a_minute_later_writes_last_used_at_again(key_pair):
    api_key, raw_key = key_pair
    get(f"Bearer {raw_key}")
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        with CaptureQueriesContext(connection) as captured:
            get(f"Bearer {raw_key}")
    assert len(key_updates(captured)) == 1
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == later > first


def test_a_request_just_under_a_minute_later_does_not_write(key_pair):
    api_key, raw_key = key_pair
    get(f"Bearer {raw_key}")
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    with mock.patch("django.utils.timezone.now", return_value=first + timedelta(seconds=59)):
        with CaptureQueriesContext(connection) as captured:
            get(f"Bearer {raw_key}")
    assert key_updates(captured) == []
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first


def test_a_mistyped_key_does_not_touch_last_used_at(key_pair):
    api_key, raw_key = key_pair
    get(f"Bearer {raw_key}x")
    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_the_key_authentication_class_is_the_first_of_the_apis(settings):
    # DRF picks 401 or 403 from the first class's authenticate_header.
    first = import_string(settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"][0])
    assert issubclass(first, ApiKeyAuthentication)


@pytest.mark.parametrize("where", ["query", "json body", "form body"])
def test_a_key_sent_in_the_query_string_or_body_as_well_as_the_header_is_a_400(raw_key, where):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    if where == "query":
        response = client.get(f"/api/leads?api_key={raw_key}")
    elif where == "json body":
        response = client.post("/api/chatbots", {"name": "Bot", "api_key": raw_key}, format="json")
    else:
        response = client.post("/api/chatbots", f"name=Bot&access_token={raw_key}", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_request"'
    assert raw_key not in response.content.decode()


def test_text_that_only_looks_like_a_key_in_the_body_is_not_refused(api_client):
    response = api_client.post("/api/chatbots", {"name": "pivra_sk_" + "A" * 36}, format="json")  # bad checksum
    assert response.status_code == 201
