"""Security headers: an enforced Content-Security-Policy on every HTML page that a strict policy
does not break (no inline script, handler or style), and `Cache-Control: no-store` on every /api/
response."""

import re

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD
from tests.test_unusual_methods import PATHS

# Every route that answers HTML: not the JSON ones (the API, the widget, health checks, metrics).
PAGES = [
    path for path in PATHS
    if not path.startswith(("/api/", "/widget/", "/healthz", "/readyz", "/metrics")) and not path.endswith(".csv")
] + ["/api/docs/"]
ADMIN_PAGES = ["/admin/", "/admin/accounts/user/", "/admin/apikeys/apikey/", "/admin/axes/accessattempt/", "/admin/accounts/user/add/"]


def policy(response):
    """The Content-Security-Policy header as {directive: [values]}."""
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict_policy_holds(response):
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    page = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, re.I), "an inline event handler"
    assert not re.search(r"<style", page), "an inline style sheet"
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser(email="staff@pivra.test", password=PASSWORD))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_strict_policy_it_keeps_to(alice_client, path):
    response = alice_client.get(path)
    if response.status_code == 200:
        assert response["Content-Type"].startswith("text/html")
    assert_strict_policy_holds(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/docs/", "/docs/getting-started/", "/no-such-page/"])
def test_public_pages_have_the_policy_too(client, db, path):
    assert_strict_policy_holds(client.get(path))


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_have_the_policy(staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]


def test_the_api_reference_loads_its_start_up_script_from_a_file_not_inline(client, db):
    page = client.get("/api/docs/").content.decode()
    script = re.findall(r'<script src="([^"]+)"', page)[-1].replace("&amp;", "&")
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/leads", "/api/chatbots", "/api/usage", "/api/leads/lead_00000000000000000000", "/api/schema/", "/api/nothing-here"])
def test_every_api_response_says_no_store(api_client, path):
    assert api_client.get(path)["Cache-Control"] == "no-store"


def test_api_errors_say_no_store_too(anonymous_api_client, db):
    response = anonymous_api_client.get("/api/leads")
    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"
