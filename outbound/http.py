"""Connections to addresses `outbound.guard.check` approved: to the checked IP, within a deadline.

http.client rather than urllib or requests: it does no lookups, redirects or proxies
(HTTP_PROXY) of its own, so nothing reaches an address the guard did not check.
"""

import http.client
import socket
import ssl
import threading
import time
from contextlib import contextmanager


@contextmanager
def connection(target, deadline):
    """An HTTP(S) connection to `target.ip` that gives up at `deadline` (`time.monotonic()`).

    A socket timeout bounds each read, not the whole answer: a server dribbling its headers one
    byte at a time would outlast it. At the deadline a watchdog shuts the socket down instead,
    so every blocked read returns; callers check the clock after reading.
    """
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    conn = connection_class(target.host, target.port, ip=target.ip, timeout=max(0.01, deadline - time.monotonic()))
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), conn.abort)
    watchdog.start()
    try:
        yield conn
    finally:
        watchdog.cancel()
        conn.close()


def failure_message(error, *, timed_out, seconds, subject):
    """Words for a customer about a connection that failed with `error` (OSError or HTTPException).
    `subject` is what took too long: "The page", "The endpoint"."""
    if isinstance(error, TimeoutError) or timed_out:
        return f"{subject} took longer than {seconds:,} second{'' if seconds == 1 else 's'}."
    if isinstance(error, ssl.SSLCertVerificationError):
        return "The site's security certificate is not valid for its address."
    if isinstance(error, ssl.SSLError):
        return "Pivra could not make a secure connection to the server."
    if isinstance(error, http.client.HTTPException):
        return "The server's answer was not valid HTTP."
    return "Pivra could not connect to the server."


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


class PinnedHTTPConnection(_PinnedMixin, http.client.HTTPConnection):
    def connect(self):
        self.sock = self._connect_to_checked_ip()


class PinnedHTTPSConnection(_PinnedMixin, http.client.HTTPSConnection):
    def __init__(self, host, port, *, ip, timeout):
        # The default context verifies the certificate chain and that the certificate names `host`.
        self.ssl_context = ssl.create_default_context()
        super().__init__(host, port, ip=ip, timeout=timeout, context=self.ssl_context)

    def connect(self):
        self.sock = self.ssl_context.wrap_socket(self._connect_to_checked_ip(), server_hostname=self.host)
