"""POST /api/integrations/github/secret-scanning: GitHub reports Pivra keys it found in public.

GitHub's secret-scanning partner contract: a JSON array of `{"token", "type", "url", "source"}`,
signed with ECDSA (P-256, SHA-256) over the raw body; the signing keys are published at
GITHUB_SECRET_SCANNING_KEYS_URL and named by the `Github-Public-Key-Identifier` header. Each
reported token that is an active Pivra key is revoked at once, with an audit event saying where it
was exposed, and the account's owners and admins are emailed (by a job). The answer labels every token.

Every token is looked up, whatever its `type` says (GitHub has sent swapped type names before).
The published keys are cached; an unknown identifier fetches them again at most once a minute,
so junk identifiers cannot make Pivra hammer GitHub.
"""

import base64
import binascii
import hashlib
import json
import logging
import time
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AuditEvent
from jobs.queue import defer

from . import crypto
from .models import ApiKey
from .tasks import email_exposed_key

logger = logging.getLogger(__name__)

KEYS_CACHE_KEY = "github-secret-scanning:public-keys"
REFETCH_AFTER_SECONDS = 60
FETCH_TIMEOUT_SECONDS = 5
MAX_TOKENS = 1000


class SecretScanningView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    schema = None  # GitHub's endpoint, not part of the integrators' API reference

    def post(self, request):
        identifier = request.headers.get("Github-Public-Key-Identifier", "")
        signature = request.headers.get("Github-Public-Key-Signature", "")
        if not identifier or not signature:
            raise exceptions.ParseError(
                "Send the Github-Public-Key-Identifier and Github-Public-Key-Signature headers.",
                code="missing_signature",
            )
        body = request.body
        if not signature_is_valid(body, identifier, signature):
            raise exceptions.AuthenticationFailed("The signature does not match GitHub's key.", code="invalid_signature")
        reports = parse_reports(body)
        return Response([handle_report(report) for report in reports])

    def get_authenticate_header(self, request):
        return 'Signature realm="github-secret-scanning"'


def parse_reports(body):
    try:
        reports = json.loads(body)
    except (ValueError, RecursionError):
        raise exceptions.ParseError("The body is not valid JSON.") from None
    if (
        not isinstance(reports, list) or len(reports) > MAX_TOKENS
        or not all(isinstance(report, dict) and isinstance(report.get("token"), str) for report in reports)
    ):
        raise exceptions.ParseError(f"Send an array of at most {MAX_TOKENS} objects, each with a token.")
    return reports


def handle_report(report):
    """Revoke the reported key if it is an active Pivra key; say whether it was one."""
    token = report["token"]
    label = "false_positive"
    if crypto.is_well_formed(token):
        api_key = ApiKey.objects.select_related("account").filter(key_hash=crypto.hash_key(token)).first()
        if api_key is not None:
            label = "true_positive"
            where = str(report.get("url") or report.get("source") or "a public place")[:120]
            revoke_exposed(api_key, where)
    return {
        "token_hash": hashlib.sha256(token.encode()).hexdigest(),
        "token_type": str(report.get("type", "")),
        "label": label,
    }


def revoke_exposed(api_key, where):
    with transaction.atomic():
        if not api_key.revoke():
            return  # revoked before: nothing more to say
        AuditEvent.record(
            account=api_key.account, action=AuditEvent.Action.API_KEY_EXPOSED, target_id=api_key.pk,
            target_description=f"{api_key.description}, found in {where}",
        )
        defer(email_exposed_key, key_id=api_key.pk, where=where)  # a job: a mail failure is retried
    logger.warning("API key %s revoked: GitHub found it in public", api_key.hint)


def signature_is_valid(body, identifier, signature):
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    public_key = github_public_key(identifier)
    if public_key is None:
        return False
    try:
        public_key.verify(signature_bytes, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def github_public_key(identifier):
    """The published key with this identifier, or None."""
    published = cache.get(KEYS_CACHE_KEY)
    if published is None or (identifier not in published["keys"] and time.time() - published["fetched_at"] > REFETCH_AFTER_SECONDS):
        published = {"keys": fetch_public_keys(), "fetched_at": time.time()}
        cache.set(KEYS_CACHE_KEY, published, 24 * 3600)
    pem = published["keys"].get(identifier)
    if pem is None:
        return None
    try:
        return serialization.load_pem_public_key(pem.encode())
    except ValueError:
        return None


def fetch_public_keys():
    """{key_identifier: PEM} from GITHUB_SECRET_SCANNING_KEYS_URL; empty if it cannot be read."""
    try:
        with urllib.request.urlopen(settings.GITHUB_SECRET_SCANNING_KEYS_URL, timeout=FETCH_TIMEOUT_SECONDS) as answer:
            document = json.loads(answer.read(1024 * 1024))
        return {entry["key_identifier"]: entry["key"] for entry in document["public_keys"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("Could not read GitHub's secret-scanning keys: %s", error.__class__.__name__)
        return {}
