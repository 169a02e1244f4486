"""Whether Pivra may connect to an address a customer gave it, and where exactly (SSRF).

The rules, for URL sources (each redirect too) and webhook endpoints (at save and at every
delivery):
- only http and https, no credentials in the address;
- the host name is resolved here, once, and *every* address it resolves to must be public;
- the caller connects to the address that was checked, never to the name (a second lookup is
  where DNS rebinding would slip in): `outbound.http.connection(target, …)` does that.

OUTBOUND_PRIVATE_ALLOWLIST (`host:port` entries) names private or loopback servers Pivra may
reach anyway: test servers, or a private deployment's own services. An entry matches the host
exactly as written in the address and its port, so allowing `127.0.0.1:8080` allows neither
`localhost:8080` nor `127.0.0.1:22`.

Hand-written: no maintained library resolves, checks and pins in one step for http.client.
"""

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

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


class Refused(Exception):
    """Pivra must not connect to this address. `reason` is one of the constants below; each caller
    words it for its own customers (a page that will not be fetched, an endpoint that will not be
    called)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


SCHEME = "scheme"  # not http:// or https://
CREDENTIALS = "credentials"  # a user name or password in the address
INVALID = "invalid"  # no usable host name
UNKNOWN_HOST = "unknown_host"  # the name does not resolve
PRIVATE = "private"  # resolves to an address that is not public


@dataclass(frozen=True)
class Target:
    """A checked address: connect to `ip`; name `host` in the Host header, SNI and certificate."""

    scheme: str
    host: str
    port: int
    ip: str
    path: str  # with the query, quoted


def check(url, *, deadline):
    """Parse and vet `url`; return its `Target`, or raise `Refused`. A slow DNS answer past
    `deadline` (a `time.monotonic()` value) raises TimeoutError."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a malformed IPv6 host, such as https://[::1/
        raise Refused(INVALID) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(SCHEME)
    if "@" in parts.netloc:
        raise Refused(CREDENTIALS)
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if scheme == "https" else 80)
    except (UnicodeError, ValueError):
        host = ""
    if not host:
        raise Refused(INVALID)

    addresses = resolve(host, port, deadline)
    if not addresses:
        raise Refused(UNKNOWN_HOST)
    if not is_allowlisted(host, port) and not all(is_public_address(ip) for ip in addresses):
        raise Refused(PRIVATE)

    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return Target(scheme, host, port, str(addresses[0]), path)


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


def is_allowlisted(host, port):
    """Whether OUTBOUND_PRIVATE_ALLOWLIST names this host (as written in the address) and port."""
    for entry in settings.OUTBOUND_PRIVATE_ALLOWLIST:
        allowed_host, _, allowed_port = entry.strip().rpartition(":")
        if allowed_host.strip("[]").lower() == host.lower() and allowed_port == str(port):
            return True
    return False


def resolve(host, port, deadline):
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
