"""The format shared by secret API keys and public embed keys.

`<prefix>` + 30 random base62 characters (about 178 bits from `secrets`) + a 6-character base62
CRC32 of the random part. The checksum lets us refuse a mistyped or made-up key without a database
query, and lets secret scanners tell a real key from noise (as GitHub's tokens do).
"""

import functools
import re
import zlib

from .ids import BASE62, random_base62

# A chatbot's public embed key. Here, below both apps that need it: chatbots mints embed keys,
# and apikeys refuses them where a secret key belongs.
EMBED_KEY_PREFIX = "pivra_pk_"

RANDOM_LENGTH = 30
CHECKSUM_LENGTH = 6
BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH


def _base62(number, width):
    digits = []
    while number:
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(random_part):
    return _base62(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def generate_token(prefix):
    random_part = random_base62(RANDOM_LENGTH)
    return f"{prefix}{random_part}{checksum(random_part)}"


@functools.cache
def token_pattern(prefix):
    return re.compile(rf"^{re.escape(prefix)}[0-9A-Za-z]{{{BODY_LENGTH}}}$")


def is_well_formed(token, prefix):
    """True when the token has the prefix, the length, base62 characters and a valid checksum."""
    if not token_pattern(prefix).fullmatch(token):
        return False
    body = token[len(prefix):]
    return checksum(body[:RANDOM_LENGTH]) == body[RANDOM_LENGTH:]
