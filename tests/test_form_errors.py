"""Errors tied to their fields on every form of the dashboard: a field with an error is marked
aria-invalid and names, in aria-describedby, elements that are on the page and say what is wrong."""

import re

import pytest

from tests.conftest import PASSWORD, confirmed


def described_by_ids(html):
    return {id_ for ids in re.findall(r'aria-describedby="([^"]+)"', html) for id_ in ids.split()}


@pytest.mark.parametrize(
    "path, data",
    [
        ("/chatbots/", {"name": ""}),
        ("/chatbots/{chatbot}/", {"name": "", "allowed_domains": "not a host"}),
        ("/chatbots/{chatbot}/sources/", {"type": "text", "text-title": "", "text-text": ""}),
        ("/chatbots/{chatbot}/sources/", {"type": "url", "url-url": "ftp://example.com"}),
        ("/settings/security/", {"label": "", "expires": "custom", "expiry_date": "yesterday"}),
        ("/settings/webhooks/", {"url": "not a url", "events": []}),
        ("/accounts/password/change/", {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}),
    ],
)
def test_every_field_error_is_tied_to_its_field(alice_client, chatbot, path, data):
    confirmed(alice_client)
    response = alice_client.post(path.format(chatbot=chatbot.pk), data)
    html = response.content.decode()
    assert response.status_code in (200, 400), response.status_code
    assert 'aria-invalid="true"' in html
    missing = {id_ for id_ in described_by_ids(html) if f'id="{id_}"' not in html}
    assert missing == set()
    for field in re.findall(r"<(?:input|textarea|select)[^>]*aria-invalid=\"true\"[^>]*>", html):
        ids = re.search(r'aria-describedby="([^"]+)"', field)
        assert ids, field
        assert any("error" in id_ for id_ in ids.group(1).split()), field


def test_a_wrong_code_at_login_is_tied_to_the_code_field(client, alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=alice, name="Phone", confirmed=True)
    client.post("/accounts/login/", {"username": alice.email, "password": PASSWORD})
    html = client.post("/accounts/login/code/", {"code": "000000"}).content.decode()
    assert 'aria-invalid="true"' in html
    assert {id_ for id_ in described_by_ids(html) if f'id="{id_}"' not in html} == set()
