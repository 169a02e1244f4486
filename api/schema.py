"""What drf-spectacular cannot infer about the API: the Bearer scheme, the error responses every
operation can give, and the paths as integrators type them (`/api/leads`, not `/api/leads/`).

The committed schema is docs/openapi.yaml; tests/docs/test_schema.py fails when it drifts.
"""

from datetime import datetime, timezone

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter

from accounts.models import Plan
from apikeys.authentication import (
    EMBED_KEY_REFUSED, InvalidApiKey, KeySentTwice, expired_key_detail, insufficient_permission_detail, ip_not_allowed_detail,
    plan_not_allowed_detail,
)

from .exceptions import MISSING_KEY, key_throttled_detail, request_too_large_detail, throttled_detail
from .fields import ID_PATTERN


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    match_subclasses = True
    name = "SecretKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "pivra_sk_…",
            "description": (
                "A secret API key, `pivra_sk_` followed by 36 letters and digits. Create one in "
                "*Settings → Security* (Starter plan and above); it is shown only once. Send it on "
                "every request as `Authorization: Bearer pivra_sk_…`, from your server only: a "
                "secret key reads and writes the whole account (Full access), or what its "
                "permissions allow (Read only, or Restricted to some resources). The chatbot's public "
                "embed key (`pivra_pk_…`) is for the chat widget and is refused here."
            ),
        }


def document_api_paths_only(endpoints, **kwargs):
    """Preprocessing hook: keep the secret-key API (not the widget's endpoints), and show each
    path without its optional trailing slash: the URL patterns end in `/?` so both forms answer."""
    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/")
    ]


class AutoSchema(openapi.AutoSchema):
    """Adds to each operation the error responses it can give, as references to the shared
    ones in `components.responses` (see `add_error_components`)."""

    def _get_response_bodies(self, direction="response"):
        # A private hook of drf-spectacular (pinned in requirements.txt): the one place that
        # sees every operation's responses, whether declared with @extend_schema or inferred.
        responses = super()._get_response_bodies(direction)
        for status, response in responses.items():
            if not response.get("description") or status == "204":
                response["description"] = self.success_description(status)
        for status in self.error_statuses():
            responses.setdefault(status, {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"})
        return dict(sorted(responses.items()))

    def success_description(self, status):
        if status == "204":
            return "Deleted. There is no body."
        if status == "201":
            return "Created. The body is the new object."
        if self._is_list_view():
            return "One page of results, newest first. Follow `next` for more."
        if self.method == "PATCH":
            return "Changed. The body is the whole object as it is now."
        return "OK."

    def error_statuses(self):
        takes_body = self.method in ("POST", "PUT", "PATCH")
        takes_query = bool(self._get_filter_parameters()) or any(
            not isinstance(parameter, OpenApiParameter) or parameter.location == OpenApiParameter.QUERY
            for parameter in self.get_override_parameters()
        )
        statuses = ["401", "403", "429"]
        if takes_body or takes_query:
            statuses.append("400")  # field errors; a malformed JSON body is a `parse_error`
        if "{" in self.path or self._is_list_view():
            statuses.append("404")  # another account's or an unknown id; a stale cursor
        if takes_body:
            statuses += ["413", "415"]
        return statuses


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error other than a field validation error has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "A sentence for a person: what went wrong and what to do."},
        "code": {
            "type": "string",
            "description": (
                "A stable, machine-readable code to branch on, such as `not_authenticated`, "
                "`invalid_api_key`, `embed_key_not_allowed`, `plan_not_allowed`, `not_found`, "
                "`parse_error`, `request_too_large`, `unsupported_media_type` or `rate_limited`."
            ),
        },
        "request_id": {
            "type": "string",
            "description": (
                "The request's id, as in its `X-Request-ID` header: quote it when you ask us about "
                "this call. The one you send in `X-Request-ID` (1 to 200 of `A-Z a-z 0-9 . _ -`), "
                "else one Pivra made."
            ),
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": False,
}

FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        "Validation errors: each key is a field of the request (or `non_field_errors` for a "
        "problem with the request as a whole, such as a plan limit), each value a list of "
        "messages. A list field reports errors by item index, e.g. "
        '`{"allowed_domains": {"0": ["…"]}}`.'
    ),
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        ],
    },
    "minProperties": 1,
}


def _error(detail, code):
    return {"value": {"detail": detail, "code": code}}


def _error_content(examples):
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "examples": examples}}


# The examples quote the messages the API really sends, built by the code that sends them.
INVALID_KEY = str(InvalidApiKey("pivra_sk_" + "0" * 32 + "abcd").detail)

# status: (component name, response object)
ERROR_RESPONSES = {
    "400": ("BadRequest", {
        "description": (
            "The request is invalid: a field or a filter has a bad value (field errors), or the "
            "body is not valid JSON (`parse_error`). Fix the request before retrying it."
        ),
        "content": {"application/json": {
            "schema": {"oneOf": [
                {"$ref": "#/components/schemas/FieldErrors"},
                {"$ref": "#/components/schemas/Error"},
            ]},
            "examples": {
                "field_errors": {"summary": "Field errors", "value": {
                    "name": ["This field is required."],
                    "chatbot": ["No chatbot with id 'bot_unknown' in your account."],
                }},
                "plan_limit": {"summary": "A plan limit reached", "value": {
                    "non_field_errors": [
                        "Your Starter plan allows 3 chatbot(s). Delete one or upgrade to add more."
                    ],
                }},
                "invalid_request": {"summary": "The key also in the query string or body", **_error(
                    KeySentTwice.default_detail, "invalid_request",
                )},
                "parse_error": {"summary": "Malformed JSON", **_error(
                    "JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
                    "parse_error",
                )},
            },
        }},
    }),
    "401": ("Unauthorized", {
        "description": (
            "No usable secret key. The body says why; the `WWW-Authenticate` header follows RFC 6750. "
            "A malformed, unknown and revoked key all get the same `invalid_api_key` answer; an "
            "expired key gets `key_expired`."
        ),
        "headers": {"WWW-Authenticate": {
            "description": 'Bearer realm="api", with error="invalid_token" when a key was sent.',
            "schema": {"type": "string", "example": 'Bearer realm="api", error="invalid_token"'},
        }},
        "content": _error_content({
            "not_authenticated": {"summary": "No key sent", **_error(MISSING_KEY, "not_authenticated")},
            "invalid_api_key": {"summary": "Malformed, unknown or revoked key", **_error(INVALID_KEY, "invalid_api_key")},
            "embed_key_not_allowed": {
                "summary": "An embed key (pivra_pk_…) sent", **_error(EMBED_KEY_REFUSED, "embed_key_not_allowed"),
            },
            "key_expired": {"summary": "An expired key", **_error(
                expired_key_detail("pivra_sk_…3xQd", datetime(2027, 3, 31, tzinfo=timezone.utc)), "key_expired",
            )},
        }),
    }),
    "403": ("Forbidden", {
        "description": (
            "The key is valid, but the account's plan does not include API access, the request comes "
            "from an address outside the key's allowed IPs, or the key's permissions (Read only, or "
            "Restricted to some resources) do not allow it: the detail names what was needed, such as "
            "`leads:write`. Checked before any object is looked up."
        ),
        "content": _error_content({
            "plan_not_allowed": {
                "summary": "Account on the Free plan", **_error(plan_not_allowed_detail("Free"), "plan_not_allowed"),
            },
            "insufficient_permission": {"summary": "Outside the key's permissions", **_error(
                insufficient_permission_detail("leads:write"), "insufficient_permission",
            )},
            "ip_not_allowed": {"summary": "From an address the key does not allow", **_error(
                ip_not_allowed_detail("198.51.100.7"), "ip_not_allowed",
            )},
        }),
    }),
    "404": ("NotFound", {
        "description": (
            "No such object in your account. Another account's object is a 404 too, never a 403. "
            "On a list, a `cursor` that was not taken from `next` or `previous` is a 404."
        ),
        "content": _error_content({
            "not_found": {"summary": "Unknown id", **_error("Not found.", "not_found")},
            "invalid_cursor": {"summary": "Bad cursor", **_error("Invalid cursor", "not_found")},
        }),
    }),
    "413": ("PayloadTooLarge", {
        "description": "The request body is over 5 MB. Nothing was read or changed.",
        "content": _error_content({
            "request_too_large": {"summary": "Body over 5 MB", **_error(
                request_too_large_detail(5 * 1024 * 1024), "request_too_large"
            )},
        }),
    }),
    "415": ("UnsupportedMediaType", {
        "description": "The body is not JSON: send it with `Content-Type: application/json`.",
        "content": _error_content({
            "unsupported_media_type": {"summary": "Form data sent", **_error(
                'Unsupported media type "application/x-www-form-urlencoded" in request.', "unsupported_media_type"
            )},
        }),
    }),
    "429": ("TooManyRequests", {
        "description": (
            "Over the plan's API requests a minute (Starter 120, Growth 600, Business 3,000), "
            "counted per account across all its keys, or over the key's own limit (`requests per "
            "minute`, set in Settings → Security). Wait `Retry-After` seconds, then retry."
        ),
        "headers": {"Retry-After": {
            "description": "Seconds until the next minute's allowance starts.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 60, "example": 42},
        }},
        "content": _error_content({
            "rate_limited": {"summary": "Too many requests", **_error(
                throttled_detail(Plan(name="Starter", api_requests_per_minute=120), wait=42), "rate_limited"
            )},
            "key_rate_limited": {"summary": "Over the key's own limit", **_error(
                key_throttled_detail(30, wait=42), "rate_limited"
            )},
        }),
    }),
}


# Sent with every response to a valid key (usage.ratelimit.ApiRateThrottle).
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": (
            "The limits that apply (IETF httpapi ratelimit-headers, draft 11): `account` (the plan's "
            "requests a minute for all the account's keys) and, for a key with its own limit, `key`; "
            "`q` is the quota, `w` the window in seconds."
        ),
        "schema": {"type": "string", "example": '"account";q=120;w=60, "key";q=30;w=60'},
    },
    "RateLimit": {
        "description": (
            "The policy closest to exhaustion: `r` requests remain in this window, which ends in `t` seconds."
        ),
        "schema": {"type": "string", "example": '"key";r=17;t=41'},
    },
}


def add_error_components(result, generator, request, public):
    """Postprocessing hook: the shared error schemas and responses that operations refer to, and
    the rate-limit header fields on every response a key gets once its request is counted."""
    components = result.setdefault("components", {})
    schemas = {**components.get("schemas", {}), "Error": ERROR_SCHEMA, "FieldErrors": FIELD_ERRORS_SCHEMA}
    components["schemas"] = dict(sorted(schemas.items()))
    components["responses"] = {name: response for name, response in ERROR_RESPONSES.values()}
    uncounted = {"Unauthorized"}  # refused before the key is known
    for name, response in components["responses"].items():
        if name not in uncounted:
            response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                if "$ref" not in response:
                    response["headers"] = {**response.get("headers", {}), **RATE_LIMIT_HEADERS}
    _strip_descriptions(result)
    return result


def _strip_descriptions(node):
    """django-filter's choice filters leave blank lines after their help text."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = value.strip()
            else:
                _strip_descriptions(value)
    elif isinstance(node, list):
        for item in node:
            _strip_descriptions(item)


def object_id(noun, example):
    """The `{id}` path parameter of a detail route, documented for integrators."""
    return OpenApiParameter(
        "id", str, OpenApiParameter.PATH, pattern=f"^{ID_PATTERN}$",
        description=f"The {noun}'s id, such as `{example}`.",
    )


def response_example(value, name="Example"):
    return OpenApiExample(name, value=value, response_only=True)


DELETE_IS_FINAL = "Answers 204 with no body. There is no undo."
