"""Errors to Sentry when SENTRY_DSN is set, with secrets scrubbed before an event leaves.

sentry-sdk's Django integration sends the request with each error. Before sending, the
`Authorization` header and cookies are dropped, and any string anywhere in the event that holds a
secret key (`pivra_sk_…`) or a webhook signing secret (`whsec_…`) has it replaced: a key pasted
into a query string, a form or an exception message never reaches a third party.
"""

import re

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

SECRET = re.compile(r"(pivra_sk_|whsec_)[A-Za-z0-9+/=_-]+")
DROPPED_HEADERS = {"authorization", "cookie", "x-pivra-embed-key"}


def init(dsn, *, environment=None, release=None):
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        send_default_pii=False,  # no user emails or IP addresses
        # No request bodies at all: forms carry passwords, one-time and recovery codes under names
        # no denylist can foresee. And local variables that hold a credential are hidden.
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=DEFAULT_DENYLIST + [
            "presented", "raw_key", "new_key", "secret", "new_secret", "code", "confirm_password",
            "old_password", "new_password1", "new_password2",
        ]),
        environment=environment,
        release=release,
        before_send=scrub,
    )


def scrub(event, hint=None):
    """The event without credentials: sentry-sdk's `before_send`."""
    request = event.get("request") or {}
    if isinstance(request.get("headers"), dict):
        request["headers"] = {name: value for name, value in request["headers"].items() if name.lower() not in DROPPED_HEADERS}
    request.pop("cookies", None)
    return _without_secrets(event)


def _without_secrets(value):
    if isinstance(value, str):
        return SECRET.sub(lambda match: f"{match.group(1)}[Filtered]", value)
    if isinstance(value, dict):
        return {key: _without_secrets(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_secrets(item) for item in value]
    return value
