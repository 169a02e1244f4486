"""/widget.js: the widget's script, public and cacheable, served by WhiteNoise."""

import re

import pytest
from django.conf import settings as site_settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings

from .conftest import Client


def test_widget_js_is_served_without_login_as_javascript():
    response = Client().get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    body = response.content.decode()
    assert "X-Pivra-Embed-Key" in body and "attachShadow" in body


def test_widget_js_answers_304_when_unchanged():
    client = Client()
    etag = client.get("/widget.js")["ETag"]
    response = client.get("/widget.js", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


def test_widget_js_uses_the_pinned_labels():
    body = Client().get("/widget.js").content.decode()
    for label in ("Open chat", ">Message<", ">Send<", "Leave your details", ">Name<", ">Email<", ">Phone<", "Send details"):
        assert label in body


def test_any_site_may_load_widget_js():
    response = Client().get("/widget.js", headers={"Origin": "https://shop.example.com"})
    assert response["Access-Control-Allow-Origin"] == "*"


def test_widget_js_answers_304_to_a_browser_revalidating_by_date_and_keeps_its_caching():
    client = Client()
    last_modified = client.get("/widget.js")["Last-Modified"]
    response = client.get("/widget.js", headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"]


PRODUCTION_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture(scope="module")
def collected_static_root(tmp_path_factory):
    """`collectstatic` as a deployment runs it, once for this module (compressing takes seconds)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES={**site_settings.STORAGES, "staticfiles": PRODUCTION_STORAGE}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def deployed_static_files(settings, collected_static_root):
    """As in production: hashed names, and WhiteNoise indexing the files once when the app
    starts (no finders, no autorefresh)."""
    settings.STATIC_ROOT = collected_static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STORAGE}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False


def test_in_production_widget_js_is_served_with_the_same_headers_and_revalidated(deployed_static_files):
    client = Client()
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert client.get("/widget.js", headers={"If-None-Match": response["ETag"]}).status_code == 304


def test_pages_pivra_renders_get_a_hashed_url_cached_for_ever(deployed_static_files):
    url = static("widget.js")
    assert re.fullmatch(r"/static/widget\.[0-9a-f]{12}\.js", url)
    client = Client()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response.content == client.get("/widget.js").content
