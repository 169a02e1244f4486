"""Which account a logged-in person's request acts for."""

import pytest
from django.test import RequestFactory

from accounts.context import client_ip, current_membership
from accounts.models import Membership


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_members_request_acts_for_their_account(alice, account):
    assert current_membership(request_for(alice)).account == account


def test_the_membership_carries_the_role(bob):
    assert current_membership(request_for(bob)).role == Membership.Role.MEMBER


def test_a_user_without_a_membership_acts_for_no_account(django_user_model, db):
    loner = django_user_model.objects.create_user(email="loner@example.com", password="x")
    assert current_membership(request_for(loner)) is None


def test_an_anonymous_request_acts_for_no_account(db):
    from django.contrib.auth.models import AnonymousUser

    assert current_membership(request_for(AnonymousUser())) is None


def test_the_answer_is_looked_up_once_per_request(alice, django_assert_num_queries):
    request = request_for(alice)
    with django_assert_num_queries(1):
        current_membership(request)
        current_membership(request)


def test_the_client_ip_is_the_peer_address_by_default(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) == "10.0.0.5"


def test_behind_a_trusted_proxy_the_client_ip_is_the_address_the_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may send its own X-Forwarded-For; only the proxy's last entry is trustworthy.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.9"
    )
    assert client_ip(request) == "198.51.100.9"


def test_behind_two_proxies_the_client_ip_is_the_entry_the_outer_one_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # client-forged, what the load balancer saw (the client), what the inner proxy saw (the balancer)
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9, 10.0.0.2"
    )
    assert client_ip(request) == "198.51.100.9"


def test_a_header_with_fewer_entries_than_proxies_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert client_ip(request) == "10.0.0.5"


@pytest.mark.parametrize("forwarded", ["", "   ", "not-an-ip", "198.51.100.9, <script>", "1.2.3.4.5"])
def test_a_missing_or_garbled_forwarded_for_falls_back_to_the_peer_address(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "10.0.0.5"


def test_an_ipv4_mapped_address_is_given_in_its_ipv4_form(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="::ffff:203.0.113.9")
    assert client_ip(request) == "203.0.113.9"
