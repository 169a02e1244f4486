"""Fetch a `url` source's page without letting a customer aim Pivra at its own network (SSRF).

The rules, each applied to the first address and again to every redirect:
- the address passes `outbound.guard.check` (http or https, no credentials, every address the
  host resolves to public unless OUTBOUND_PRIVATE_ALLOWLIST names it), and the connection goes
  to the address that was checked (`outbound.http.connection`);
- at most five redirects, each one checked like the first;
- the whole fetch, redirects included, ends within SOURCE_FETCH_TIMEOUT_SECONDS and reads at most
  SOURCE_FETCH_MAX_BYTES of HTML or plain text.
"""

import codecs
import http.client
import re
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings

from outbound import guard
from outbound.http import connection, failure_message

MAX_REDIRECTS = 5
CONTENT_TYPES = {"text/html", "text/plain"}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "Pivra/1.0 (knowledge source fetcher)"
CHUNK_BYTES = 64 * 1024

# How the guard's refusals read on a failed source; `where` is "The address" or, for a redirect,
# "The page redirects to an address that".
REFUSALS = {
    guard.SCHEME: "{where} does not start with http:// or https://, the only kinds Pivra fetches.",
    guard.CREDENTIALS: "{where} contains a user name or password, which Pivra does not send.",
    guard.INVALID: "{where} is not a valid web address.",
    guard.UNKNOWN_HOST: "{where} has a host name that could not be found.",
    guard.PRIVATE: "{where} resolves to a private network address, which Pivra does not fetch.",
}


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
        timed_out = time.monotonic() >= deadline
        raise FetchError(failure_message(error, timed_out=timed_out, seconds=seconds, subject="The page")) from error


def _check(url, deadline, *, redirected):
    """Vet one address with the guard; return where to connect. Raises FetchError if Pivra must not."""
    try:
        return guard.check(url, deadline=deadline)
    except guard.Refused as refused:
        where = "The page redirects to an address that" if redirected else "The address"
        raise FetchError(REFUSALS[refused.reason].format(where=where)) from None


def _get(target, url, deadline):
    """GET one checked target: a `Page`, or the next URL if the server redirects."""
    with connection(target, deadline) as conn:
        conn.request("GET", target.path, headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html, text/plain;q=0.9",
            "Accept-Encoding": "identity",
            "Connection": "close",
        })
        response = conn.getresponse()
        if time.monotonic() >= deadline:
            raise TimeoutError  # the watchdog cut the headers short
        location = response.getheader("Location")
        if response.status in REDIRECT_STATUSES and location:
            return urljoin(url, location.strip())
        return _read_page(response, url, deadline)


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
