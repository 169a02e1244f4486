"""Standard Webhooks signatures: the published test vector, secrets, and a rolled secret's overlap."""

import base64
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from standardwebhooks.webhooks import Webhook

from webhooks.delivery import signature_header
from webhooks.models import PREVIOUS_SECRET_OVERLAP, WebhookEndpoint, new_secret

# From REFERENCES.md (the standardwebhooks package's own test vector).
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": datetime.fromtimestamp(1614265330, tz=dt_timezone.utc),
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


def test_the_signature_matches_the_published_test_vector():
    header = signature_header(
        [VECTOR["secret"]], msg_id=VECTOR["msg_id"], timestamp=VECTOR["timestamp"], body=VECTOR["body"]
    )
    assert header == VECTOR["signature"]


def test_two_secrets_give_two_space_separated_signatures_each_valid_for_its_secret():
    old, new = new_secret(), new_secret()
    header = signature_header([new, old], msg_id="evt_1", timestamp=VECTOR["timestamp"], body=b"{}")
    first, second = header.split(" ")
    assert first == Webhook(new).sign("evt_1", VECTOR["timestamp"], b"{}")
    assert second == Webhook(old).sign("evt_1", VECTOR["timestamp"], b"{}")


def test_a_new_secret_is_whsec_and_32_random_bytes_in_base64():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


@pytest.fixture
def rolled(account):
    endpoint = WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/", events=["lead.created"])
    old = endpoint.secret
    rolled_at = datetime(2026, 5, 14, 9, 0, tzinfo=dt_timezone.utc)
    new = endpoint.roll_secret(rolled_at)
    endpoint.refresh_from_db()
    return endpoint, old, new, rolled_at


def test_after_a_roll_both_secrets_sign_for_24_hours(rolled):
    endpoint, old, new, rolled_at = rolled
    assert new != old
    assert endpoint.signing_secrets(rolled_at) == [new, old]
    assert endpoint.signing_secrets(rolled_at + PREVIOUS_SECRET_OVERLAP - timedelta(seconds=1)) == [new, old]


def test_24_hours_after_a_roll_only_the_new_secret_signs(rolled):
    endpoint, old, new, rolled_at = rolled
    assert endpoint.signing_secrets(rolled_at + PREVIOUS_SECRET_OVERLAP) == [new]


def test_rolling_twice_drops_the_first_secret_at_once(rolled):
    endpoint, old, new, rolled_at = rolled
    newest = endpoint.roll_secret(rolled_at + timedelta(hours=1))
    assert endpoint.signing_secrets(rolled_at + timedelta(hours=1)) == [newest, new]
