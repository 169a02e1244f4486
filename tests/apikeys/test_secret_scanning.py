"""GitHub's secret-scanning partner endpoint: a leaked key is revoked at once and its owners told."""

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditEvent, Membership
from apikeys.crypto import generate_secret_key
from apikeys.models import ApiKey
from tests.conftest import make_member

URL = "/api/integrations/github/secret-scanning"
KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"


@pytest.fixture
def github_key(tmp_path, settings):
    """A P-256 key pair standing in for GitHub's, published where Pivra reads the keys."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    published = tmp_path / "secret_scanning.json"
    published.write_text(json.dumps({"public_keys": [{"key_identifier": KEY_ID, "key": pem, "is_current": True}]}))
    settings.GITHUB_SECRET_SCANNING_KEYS_URL = published.as_uri()
    cache.clear()
    yield private_key
    cache.clear()


def report(private_key, tokens, *, key_id=KEY_ID, signature=None, raw=None):
    body = raw if raw is not None else json.dumps([
        {"token": token, "type": token_type, "url": "https://github.com/acme/site/blob/main/.env", "source": "content"}
        for token, token_type in tokens
    ]).encode()
    if signature is None:
        signature = base64.b64encode(private_key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {"Github-Public-Key-Identifier": key_id, "Github-Public-Key-Signature": signature}
    return Client().post(URL, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def managers(account, alice):
    make_member(account, "dana@example.com", Membership.Role.ADMIN)
    make_member(account, "bob@example.com", Membership.Role.MEMBER)


def test_a_leaked_key_is_revoked_audited_and_its_owners_and_admins_are_emailed(github_key, key_pair, managers, run_jobs):
    api_key, raw_key = key_pair
    response = report(github_key, [(raw_key, "pivra_secret_key")])
    run_jobs()
    assert response.status_code == 200
    assert response.json() == [{
        "token_hash": hashlib.sha256(raw_key.encode()).hexdigest(),
        "token_type": "pivra_secret_key",
        "label": "true_positive",
    }]
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    event = AuditEvent.objects.get(action="api_key.exposed")
    assert event.target_description == (
        f"CRM sync ({api_key.hint}), found in https://github.com/acme/site/blob/main/.env"
    )
    [email] = mail.outbox
    assert sorted(email.to) == ["alice@example.com", "dana@example.com"]
    assert "CRM sync" in email.body and api_key.hint in email.body
    assert raw_key not in email.body + email.subject


def test_the_revoked_key_is_refused_at_once(github_key, key_pair, api_client):
    assert api_client.get("/api/usage").status_code == 200
    report(github_key, [(key_pair[1], "pivra_secret_key")])
    assert api_client.get("/api/usage").status_code == 401


def test_every_token_is_looked_up_whatever_its_type(github_key, key_pair):
    response = report(github_key, [(key_pair[1], "some_other_token")])
    assert response.json()[0]["label"] == "true_positive"
    key_pair[0].refresh_from_db()
    assert key_pair[0].revoked_at is not None


def test_tokens_that_are_not_pivra_keys_are_false_positives_and_change_nothing(github_key, key_pair):
    nobodys = generate_secret_key()  # well formed, but never given to anyone
    tokens = [(nobodys, "pivra_secret_key"), ("pivra_sk_nonsense", "pivra_secret_key"), ("", "x")]
    response = report(github_key, tokens)
    assert [item["label"] for item in response.json()] == ["false_positive"] * 3
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 0
    assert mail.outbox == []


def test_a_key_reported_twice_is_emailed_about_once(github_key, key_pair, managers, run_jobs):
    report(github_key, [(key_pair[1], "pivra_secret_key")])
    second = report(github_key, [(key_pair[1], "pivra_secret_key")])
    run_jobs()
    assert second.json()[0]["label"] == "true_positive"
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="api_key.exposed").count() == 1


@pytest.mark.parametrize("headers", [
    {},
    {"Github-Public-Key-Identifier": KEY_ID},
    {"Github-Public-Key-Signature": "MEUCIQ=="},
])
def test_missing_signature_headers_are_a_400(github_key, key_pair, headers):
    response = Client().post(URL, data=json.dumps([{"token": key_pair[1]}]), content_type="application/json", headers=headers)
    assert response.status_code == 400
    key_pair[0].refresh_from_db()
    assert key_pair[0].revoked_at is None


def test_a_report_signed_by_another_key_is_a_401_and_revokes_nothing(github_key, key_pair):
    impostor = ec.generate_private_key(ec.SECP256R1())
    body = json.dumps([{"token": key_pair[1], "type": "pivra_secret_key"}]).encode()
    forged = base64.b64encode(impostor.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    response = report(github_key, [], raw=body, signature=forged)
    assert response.status_code == 401
    key_pair[0].refresh_from_db()
    assert key_pair[0].revoked_at is None


@pytest.mark.parametrize("key_id, signature", [("unknown-key", None), (KEY_ID, "not base64!"), (KEY_ID, "AAAA")])
def test_an_unknown_key_or_a_garbled_signature_is_a_401(github_key, key_pair, key_id, signature):
    assert report(github_key, [(key_pair[1], "pivra_secret_key")], key_id=key_id, signature=signature).status_code == 401


def test_a_signed_body_that_is_not_an_array_of_tokens_is_a_400(github_key):
    assert report(github_key, [], raw=b'{"token": "x"}').status_code == 400
    assert report(github_key, [], raw=b"[[[").status_code == 400


def test_the_published_keys_are_cached(github_key, key_pair, settings, tmp_path):
    other_key, other_raw = ApiKey.objects.create_key(account=key_pair[0].account, label="Second")
    report(github_key, [(key_pair[1], "pivra_secret_key")])
    settings.GITHUB_SECRET_SCANNING_KEYS_URL = (tmp_path / "gone.json").as_uri()  # unreadable from now on
    assert report(github_key, [(other_raw, "pivra_secret_key")]).status_code == 200


def test_the_published_pattern_and_checksum_recognise_real_keys_and_only_them(db):
    """What Getting started tells secret scanners, applied as they would apply it."""
    import re
    import string
    import zlib
    from html import unescape

    page = Client().get("/docs/getting-started/").content.decode()
    pattern = re.compile(unescape(re.search(r'<code id="secret-key-pattern">(.*?)</code>', page).group(1)))
    digits = string.digits + string.ascii_uppercase + string.ascii_lowercase

    def checksum_ok(key):
        body = key[len("pivra_sk_"):]
        number, encoded = zlib.crc32(body[:30].encode()), ""
        while number:
            number, remainder = divmod(number, 62)
            encoded = digits[remainder] + encoded
        return encoded.rjust(6, "0") == body[30:]

    real = generate_secret_key()
    assert pattern.findall(f"API_KEY={real}\n") == [real] and checksum_ok(real)
    mistyped = real[:-1] + ("a" if real[-1] != "a" else "b")
    assert pattern.findall(mistyped) == [mistyped] and not checksum_ok(mistyped)


def test_a_mail_server_that_is_down_does_not_stop_the_revocations(github_key, account, run_jobs, monkeypatch):
    from unittest import mock

    first, first_raw = ApiKey.objects.create_key(account=account, label="First")
    second, second_raw = ApiKey.objects.create_key(account=account, label="Second")
    with mock.patch("apikeys.notices.send_mail", side_effect=ConnectionRefusedError("mail server down")):
        response = report(github_key, [(first_raw, "pivra_secret_key"), (second_raw, "pivra_secret_key")])
        run_jobs()
    assert response.status_code == 200
    assert [item["label"] for item in response.json()] == ["true_positive", "true_positive"]
    assert ApiKey.objects.filter(pk__in=[first.pk, second.pk], revoked_at__isnull=False).count() == 2
