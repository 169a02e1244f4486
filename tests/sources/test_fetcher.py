"""The URL-source fetcher: SSRF refusals, caps, and pages read into a source's content."""

import shutil
import socket
import ssl
import subprocess

import pytest

from sources.extract import html_to_text
from outbound.guard import is_public_address
from tests.sources import ServerPool, allow, dribble_headers, elapsed, fetched, hang, page, redirect

PRIVATE = "The address resolves to a private network address, which Pivra does not fetch."

ARTICLE = """<!doctype html>
<html><head><title>Opening hours</title><style>body { color: red }</style>
<script>var secret = "tracking-code";</script></head>
<body><nav><ul><li>Home<li>Pricing</ul></nav>
<h1>We are open</h1><p>Monday to Friday, <b>9am</b> to 5pm.</p>
<footer>Copyright</footer></body></html>"""


@pytest.fixture
def pool():
    with ServerPool() as pool:
        yield pool


@pytest.fixture
def serve(pool):
    return pool.start


@pytest.fixture(autouse=True)
def no_private_hosts(settings):
    settings.OUTBOUND_PRIVATE_ALLOWLIST = []
    return settings


# Refused before any connection

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0.0.0.0", "[::ffff:127.0.0.1]"])
def test_a_loopback_address_fails_and_the_server_receives_no_request(chatbot, serve, host):
    server = serve({"/": page(ARTICLE)})
    source = fetched(chatbot, server.url(host=host))
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert server.requests == []


def test_an_ipv6_loopback_address_fails_and_the_server_receives_no_request(chatbot, serve):
    try:
        server = serve({"/": page(ARTICLE)}, host="::1")
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    source = fetched(chatbot, server.url())
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert server.requests == []


def test_a_host_name_that_resolves_to_loopback_fails_and_the_server_receives_no_request(chatbot, serve, dns):
    names, _ = dns
    names["intranet.example"] = ["127.0.0.1"]
    server = serve({"/": page(ARTICLE)})
    source = fetched(chatbot, server.url(host="intranet.example"))
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert server.requests == []


def test_a_host_name_with_one_private_address_among_public_ones_fails(chatbot, dns, connections):
    names, _ = dns
    names["mixed.example"] = ["93.184.215.34", "10.0.0.7"]
    source = fetched(chatbot, "http://mixed.example/")
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert connections == []


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::]/",
    "https://10.0.0.1:8443/",
])
def test_private_link_local_and_metadata_addresses_fail_without_connecting(chatbot, connections, url):
    source = fetched(chatbot, url)
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert connections == []


@pytest.mark.parametrize("url", ["ftp://example.com/file.txt", "file:///etc/passwd", "gopher://example.com/", "example.com/page"])
def test_addresses_that_are_not_http_or_https_fail_without_connecting(chatbot, connections, url):
    source = fetched(chatbot, url)
    assert source.status == "failed"
    assert source.error == "The address does not start with http:// or https://, the only kinds Pivra fetches."
    assert connections == []


def test_an_address_with_a_user_name_and_password_fails_without_a_request(chatbot, serve, settings):
    server = allow(settings, serve({"/": page(ARTICLE)}))
    source = fetched(chatbot, server.url(host="admin:hunter2@127.0.0.1"))
    assert source.status == "failed"
    assert "user name or password" in source.error
    assert server.requests == []


# Redirects

def test_a_redirect_to_a_private_address_fails_and_that_server_receives_no_request(chatbot, serve, settings):
    inside = serve({"/": page(ARTICLE)})
    outside = allow(settings, serve({"/": redirect(inside.url(host="localhost"))}))  # stands in for a public site
    source = fetched(chatbot, outside.url())
    assert source.status == "failed"
    assert source.error == "The page redirects to an address that resolves to a private network address, which Pivra does not fetch."
    assert len(outside.requests) == 1
    assert inside.requests == []


def test_a_redirect_to_the_metadata_address_fails_without_connecting_to_it(chatbot, serve, settings, monkeypatch):
    server = allow(settings, serve({"/": redirect("http://169.254.169.254/latest/meta-data/", status=301)}))
    connected, real_create_connection = [], socket.create_connection

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    source = fetched(chatbot, server.url())
    assert source.status == "failed"
    assert "private network address" in source.error
    assert connected == [("127.0.0.1", server.port)]


def test_a_redirect_to_a_file_address_fails(chatbot, serve, settings):
    server = allow(settings, serve({"/": redirect("file:///etc/passwd")}))
    source = fetched(chatbot, server.url())
    assert source.status == "failed"
    assert source.error.startswith("The page redirects to an address that does not start with http://")


def test_redirects_on_the_same_site_are_followed(chatbot, serve, settings):
    server = allow(settings, serve({"/old": redirect("/new", status=301), "/new": page(ARTICLE)}))
    source = fetched(chatbot, server.url("/old"))
    assert source.status == "ready"
    assert [request["path"] for request in server.requests] == ["/old", "/new"]


def test_more_than_five_redirects_fail(chatbot, serve, settings):
    server = allow(settings, serve({"/loop": redirect("/loop")}))
    source = fetched(chatbot, server.url("/loop"))
    assert (source.status, source.error) == ("failed", "The page redirected more than 5 times.")
    assert len(server.requests) == 6


# DNS: resolved once, connected to the checked address

def test_the_connection_goes_to_the_checked_address_even_if_the_name_would_now_resolve_elsewhere(chatbot, dns, connections):
    names, lookups = dns
    names["rebind.example"] = lambda count: ["93.184.215.34"] if count == 1 else ["127.0.0.1"]
    source = fetched(chatbot, "http://rebind.example/")
    assert connections == [("93.184.215.34", 80)]
    assert lookups == ["rebind.example"]
    assert (source.status, source.error) == ("failed", "Pivra could not connect to the server.")


def test_the_request_names_the_host_of_the_address_while_connecting_to_its_checked_ip(chatbot, serve, dns, settings):
    names, _ = dns
    names["shop.example"] = ["127.0.0.1"]
    server = allow(settings, serve({"/": page(ARTICLE)}), host="shop.example")
    source = fetched(chatbot, server.url(host="shop.example"))
    assert source.status == "ready"
    assert server.requests == [{"path": "/", "host": f"shop.example:{server.port}"}]


def test_allowing_an_ip_address_does_not_allow_a_name_for_it(chatbot, serve, settings):
    server = allow(settings, serve({"/": page(ARTICLE)}))
    source = fetched(chatbot, server.url(host="localhost"))
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert server.requests == []


def test_allowing_a_host_and_port_does_not_allow_another_port_of_that_host(chatbot, serve, settings):
    allowed_server = allow(settings, serve({"/": page(ARTICLE)}))
    other = serve({"/": page(ARTICLE)})
    source = fetched(chatbot, other.url())
    assert (source.status, source.error) == ("failed", PRIVATE)
    assert (allowed_server.requests, other.requests) == ([], [])


# Reading the page (the test server is allowed: it stands in for a public site)

@pytest.fixture
def allowed(settings, pool):
    pool.allow_all(settings)
    return settings


def test_an_html_page_is_stored_as_its_readable_text(chatbot, serve, allowed):
    server = serve({"/hours": page(ARTICLE)})
    source = fetched(chatbot, server.url("/hours"))
    assert (source.status, source.error) == ("ready", "")
    assert source.content == "Opening hours\n\nWe are open\nMonday to Friday, 9am to 5pm."
    assert source.character_count == len(source.content)
    assert source.title == "Opening hours"


def test_a_plain_text_page_is_stored_as_is(chatbot, serve, allowed):
    text = "Returns:\n  within 30 days <no questions asked>."
    server = serve({"/returns.txt": page(text, content_type="text/plain; charset=utf-8")})
    source = fetched(chatbot, server.url("/returns.txt"))
    assert (source.status, source.content) == ("ready", text)
    assert source.character_count == len(text)


def test_a_page_is_decoded_with_the_charset_its_html_declares(chatbot, serve, allowed):
    html = '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body>Cr\xe8me br\xfbl\xe9e</body></html>'
    server = serve({"/": page(html.encode("cp1252"), content_type="text/html")})
    source = fetched(chatbot, server.url())
    assert source.content == "Café\n\nCrème brûlée"


def test_a_charset_that_is_not_a_text_encoding_falls_back_to_utf8(chatbot, serve, allowed):
    server = serve({"/": page("<html><body>Crème</body></html>", content_type="text/html; charset=rot13")})
    source = fetched(chatbot, server.url())
    assert (source.status, source.content) == ("ready", "Crème")


def test_a_404_fails_with_the_status(chatbot, serve, allowed):
    server = serve({})
    source = fetched(chatbot, server.url("/missing"))
    assert (source.status, source.error) == ("failed", "The server answered 404.")


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/json"])
def test_a_page_that_is_not_html_or_plain_text_fails(chatbot, serve, allowed, content_type):
    server = serve({"/file": page(b"\x89PNG\r\n\x1a\n", content_type=content_type)})
    source = fetched(chatbot, server.url("/file"))
    assert (source.status, source.error) == ("failed", f"The page is not HTML or plain text (it is {content_type}).")


@pytest.mark.parametrize("send_length", [True, False], ids=["with-content-length", "without-content-length"])
def test_a_page_larger_than_the_cap_fails(chatbot, serve, allowed, send_length):
    allowed.SOURCE_FETCH_MAX_BYTES = 1000
    server = serve({"/": page("x" * 5000, content_type="text/plain", send_length=send_length)})
    source = fetched(chatbot, server.url())
    assert (source.status, source.error) == ("failed", "The page is larger than 1,000 bytes.")


def test_a_page_exactly_at_the_cap_is_read(chatbot, serve, allowed):
    allowed.SOURCE_FETCH_MAX_BYTES = 1000
    server = serve({"/": page("x" * 1000, content_type="text/plain", send_length=False)})
    source = fetched(chatbot, server.url())
    assert (source.status, source.character_count) == ("ready", 1000)


def test_the_default_cap_is_named_in_megabytes(chatbot, serve, allowed):
    server = serve({"/": page("x" * (5 * 1024 * 1024 + 1), content_type="text/plain")})
    source = fetched(chatbot, server.url())
    assert source.error == "The page is larger than 5 MB."


@pytest.mark.parametrize("route", [hang, dribble_headers], ids=["silent-server", "dribbling-server"])
def test_a_page_slower_than_the_time_cap_fails_within_the_cap(chatbot, serve, allowed, route):
    allowed.SOURCE_FETCH_TIMEOUT_SECONDS = 1
    server = serve({"/": route})
    source, seconds = elapsed(fetched, chatbot, server.url())
    assert (source.status, source.error) == ("failed", "The page took longer than 1 second.")
    assert seconds < 5  # the server would keep going for 30


def test_a_page_with_no_readable_text_fails(chatbot, serve, allowed):
    server = serve({"/": page("<html><body><script>app()</script></body></html>")})
    source = fetched(chatbot, server.url())
    assert (source.status, source.error) == ("failed", "The page has no readable text.")


# HTTPS: the connection goes to the checked IP, the certificate must name the host

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=secure.example",
         "-addext", "subjectAltName=DNS:secure.example", "-keyout", folder / "key.pem", "-out", folder / "cert.pem"],
        check=True, capture_output=True,
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def https_server(serve, certificate, dns, settings, monkeypatch):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the fetcher trusts the test certificate, and only it
    names, _ = dns
    names["secure.example"] = names["impostor.example"] = ["127.0.0.1"]
    server = serve({"/": page(ARTICLE)}, wrap_socket=lambda sock: context.wrap_socket(sock, server_side=True))
    return allow(settings, allow(settings, server, host="secure.example"), host="impostor.example")


def test_an_https_page_is_fetched_from_the_checked_ip_with_the_host_name_verified(chatbot, https_server):
    source = fetched(chatbot, https_server.url(host="secure.example", scheme="https"))
    assert (source.status, source.error) == ("ready", "")
    assert https_server.requests == [{"path": "/", "host": f"secure.example:{https_server.port}"}]


def test_an_https_certificate_for_another_host_fails(chatbot, https_server):
    source = fetched(chatbot, https_server.url(host="impostor.example", scheme="https"))
    assert (source.status, source.error) == ("failed", "The site's security certificate is not valid for its address.")
    assert https_server.requests == []


# The pieces

@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.31.0.1", "192.168.0.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
    "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::", "2002:a00:1::",
])
def test_non_public_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"])
def test_public_addresses_are_public(address):
    assert is_public_address(address)


def test_html_text_drops_scripts_styles_menus_and_hidden_parts():
    title, text = html_to_text(ARTICLE.replace("<p>", '<p>Visible <span hidden>Invisible</span>'))
    assert title == "Opening hours"
    assert text == "We are open\nVisible Monday to Friday, 9am to 5pm."


def test_html_text_survives_unclosed_tags_inside_a_dropped_menu():
    _, text = html_to_text("<nav><ul><li><a>Home<li><p>Pricing</ul></nav><p>Content<p>More")
    assert text == "Content\nMore"
