"""/widget.js: the widget's script, public and cacheable."""

from django.test import Client


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
