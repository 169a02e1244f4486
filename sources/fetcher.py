"""Fetch a `url` source's page without letting a customer aim Pivra at its own network (SSRF).

The rules, each applied to the first address and again to every redirect:
- only http and https, no credentials in the address;
- the host name is resolved here, once, and *every* address it resolves to must be public;
- the connection goes to the address that was checked, never to the name (a second lookup is
  where DNS rebinding would slip in), while the Host header, SNI and certificate check still use
  the name;
- the whole fetch, redirects included, ends within SOURCE_FETCH_TIMEOUT_SECONDS and reads at most
  SOURCE_FETCH_MAX_BYTES of HTML or plain text.

http.client rather than urllib: it does no lookups, redirects or proxies (HTTP_PROXY) of its own.

SOURCE_FETCH_ALLOW_PRIVATE_HOSTS lets tests reach a loopback server. It matches the host exactly
as written in the address, so allowing "127.0.0.1" does not allow "localhost".
"""

import codecs
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 5
CONTENT_TYPES = {"text/html", "text/plain"}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "Pivra/1.0 (knowledge source fetcher)"
CHUNK_BYTES = 64 * 1024

# Ranges refused even where a Python release's `is_global` says otherwise (its tables have changed
# between patch releases). Addresses embedding an IPv4 address are checked by that address too.
BLOCKED_NETWORKS = [
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
]
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A fetch that did not give a usable page. The message is shown to the customer as is."""


@dataclass(frozen=True)
class Page:
    url: str
    content_type: str
    text: str


def fetch(url):
    """Fetch `url` under the rules above and return its `Page`, or raise `FetchError`."""
    seconds = settings.SOURCE_FETCH_TIMEOUT_SECONDS
    deadline = time.monotonic() + seconds
    try:
        for redirects in range(MAX_REDIRECTS + 1):
            target = _check(url, deadline, redirected=redirects > 0)
            page_or_location = _get(target, url, deadline)
            if isinstance(page_or_location, Page):
                return page_or_location
            url = page_or_location
        raise FetchError(f"The page redirected more than {MAX_REDIRECTS} times.")
    except FetchError:
        raise
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
            raise FetchError(f"The page took longer than {_plural(seconds, 'second')}.") from error
        if isinstance(error, ssl.SSLCertVerificationError):
            raise FetchError("The site's security certificate is not valid for its address.") from error
        if isinstance(error, ssl.SSLError):
            raise FetchError("Pivra could not make a secure connection to the server.") from error
        if isinstance(error, http.client.HTTPException):
            raise FetchError("The server's answer was not valid HTTP.") from error
        raise FetchError("Pivra could not connect to the server.") from error


def is_public_address(ip):
    """Whether Pivra may connect to `ip` (an `ipaddress` address or a string)."""
    ip = ipaddress.ip_address(ip)
    if ip.version == 6:
        if ip.ipv4_mapped:
            return is_public_address(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ipaddress.IPv4Address(ip.packed[-4:]) if ip in NAT64_PREFIX else None)
        if embedded and not is_public_address(embedded):
            return False
    if any(ip in network for network in BLOCKED_NETWORKS if network.version == ip.version):
        return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    ip: str
    path: str


def _check(url, deadline, *, redirected):
    """Parse and vet one address; return where to connect. Raises FetchError if Pivra must not."""
    where = "The page redirects to an address that" if redirected else "The address"
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"{where} does not start with http:// or https://, the only kinds Pivra fetches.")
    if "@" in parts.netloc:
        raise FetchError(f"{where} contains a user name or password, which Pivra does not send.")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except (UnicodeError, ValueError):
        host = ""
    if not host:
        raise FetchError(f"{where} is not a valid web address.")

    addresses = _resolve(host, port, deadline)
    if not addresses:
        raise FetchError(f"{where} has a host name that could not be found.")
    if not _is_allowed_private(host) and not all(is_public_address(ip) for ip in addresses):
        raise FetchError(f"{where} resolves to a private network address, which Pivra does not fetch.")

    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return _Target(parts.scheme.lower(), host, port, str(addresses[0]), path)


def _is_allowed_private(host):
    allowed = {name.strip("[]").lower() for name in settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS}
    return host in allowed


def _resolve(host, port, deadline):
    """The addresses of `host`, resolved in a thread so a slow DNS server cannot outlast the deadline."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    result = {}

    def lookup():
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            result["infos"] = []

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if thread.is_alive():
        raise TimeoutError
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in result["infos"]))


def _get(target, url, deadline):
    """GET one checked target: a `Page`, or the next URL if the server redirects."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, ip=target.ip, timeout=max(0.01, deadline - time.monotonic()))
    # A socket timeout bounds each read, not the whole answer: a server dribbling its headers one
    # byte at a time would outlast it. At the deadline the watchdog shuts the socket down instead.
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), connection.abort)
    watchdog.start()
    try:
        connection.request("GET", target.path, headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html, text/plain;q=0.9",
            "Accept-Encoding": "identity",
            "Connection": "close",
        })
        response = connection.getresponse()
        if time.monotonic() >= deadline:
            raise TimeoutError  # the watchdog cut the headers short
        location = response.getheader("Location")
        if response.status in REDIRECT_STATUSES and location:
            return urljoin(url, location.strip())
        return _read_page(response, url, deadline)
    finally:
        watchdog.cancel()
        connection.close()


def _read_page(response, url, deadline):
    if not 200 <= response.status < 300:
        raise FetchError(f"The server answered {response.status}.")
    content_type = response.headers.get_content_type() if response.getheader("Content-Type") else ""
    if content_type not in CONTENT_TYPES:
        kind = f"it is {content_type}" if content_type else "the server did not say what it is"
        raise FetchError(f"The page is not HTML or plain text ({kind}).")
    if response.getheader("Content-Encoding", "identity").lower() != "identity":
        raise FetchError("The server sent the page compressed, although Pivra asked it not to.")

    max_bytes = settings.SOURCE_FETCH_MAX_BYTES
    too_large = FetchError(f"The page is larger than {_size(max_bytes)}.")
    length = response.getheader("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_large
    body = bytearray()
    while chunk := response.read(min(CHUNK_BYTES, max_bytes + 1 - len(body))):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
        if time.monotonic() >= deadline:
            raise TimeoutError
    if time.monotonic() >= deadline:
        raise TimeoutError  # the watchdog cut the body short
    charset = response.headers.get_content_charset() or _sniff_charset(body, content_type)
    return Page(url=url, content_type=content_type, text=_decode(bytes(body), charset))


META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


def _sniff_charset(body, content_type):
    for bom, charset in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return charset
    match = META_CHARSET.search(body[:4096]) if content_type == "text/html" else None
    return match.group(1).decode("ascii") if match else "utf-8"


def _decode(body, charset):
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # unknown, or not a text encoding ("rot13", "base64")
        return body.decode("utf-8", errors="replace")


def _size(count):
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return _plural(count, "byte")


def _plural(count, word):
    return f"{count:,} {word}" + ("" if count == 1 else "s")


class _PinnedMixin:
    """Connects to the checked IP address; everything else (Host header, SNI) still uses the name."""

    def __init__(self, host, port, *, ip, timeout, **kwargs):
        super().__init__(host, port, timeout=timeout, **kwargs)
        self.ip = ip

    def _connect_to_checked_ip(self):
        return socket.create_connection((self.ip, self.port), self.timeout)

    def abort(self):
        """Called by the watchdog thread: make any blocked read return now."""
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    def connect(self):
        self.sock = self._connect_to_checked_ip()


class _PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    def __init__(self, host, port, *, ip, timeout):
        # The default context verifies the certificate chain and that the certificate names `host`.
        self.ssl_context = ssl.create_default_context()
        super().__init__(host, port, ip=ip, timeout=timeout, context=self.ssl_context)

    def connect(self):
        self.sock = self.ssl_context.wrap_socket(self._connect_to_checked_ip(), server_hostname=self.host)
