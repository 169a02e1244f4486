"""Secret API key generation and hashing.

Why a fast hash and no salt: a key carries ~178 random bits, so nobody can brute-force it from
its hash, and a slow password hasher (~0.4 s) per request would only burn CPU. An unsalted,
deterministic hash lets us find a key with one indexed equality lookup. HMAC with a server-side
pepper means a database dump alone cannot even test candidate keys.
"""

import hashlib
import hmac
import re

from django.conf import settings

from accounts import tokens

SECRET_KEY_PREFIX = "pivra_sk_"
# A secret key anywhere in a text (for is_well_formed to confirm): the pattern scanners are given.
KEY_PATTERN = re.compile(rf"{SECRET_KEY_PREFIX}[0-9A-Za-z]{{{tokens.BODY_LENGTH}}}")
# Stored beside each hash so the scheme can be upgraded later without breaking existing keys.
HASH_ALGORITHM = "hmac-sha256"


def generate_secret_key():
    return tokens.generate_token(SECRET_KEY_PREFIX)


def is_well_formed(raw_key):
    return tokens.is_well_formed(raw_key, SECRET_KEY_PREFIX)


def hash_key(raw_key):
    return hmac.new(settings.API_KEY_PEPPER.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def mask(presented):
    """What we may echo of a presented key: its known prefix and at most the last four characters."""
    if len(presented) < 12 or not presented.isascii() or not presented.isprintable():
        return "…"
    prefix = next((p for p in (SECRET_KEY_PREFIX, tokens.EMBED_KEY_PREFIX) if presented.startswith(p)), "")
    return f"{prefix}…{presented[-4:]}"
