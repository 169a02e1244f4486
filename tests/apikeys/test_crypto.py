"""Secret key format, checksum and hashing."""

import hashlib
import hmac
import math
import re
import string

import pytest
from django.conf import settings

from accounts import tokens
from apikeys import crypto

BASE62 = string.digits + string.ascii_letters
PREFIX = "pivra_sk_"


@pytest.fixture
def key():
    return crypto.generate_secret_key()


def test_a_key_is_the_prefix_then_base62_characters_only(key):
    assert key.startswith(PREFIX)
    assert re.fullmatch(r"[A-Za-z0-9]+", key[len(PREFIX):])


def test_a_key_has_at_least_27_characters_after_the_prefix(key):
    assert len(key) - len(PREFIX) >= 27


def test_the_random_part_carries_at_least_160_bits():
    assert tokens.RANDOM_LENGTH * math.log2(62) >= 160


def test_a_generated_key_passes_its_checksum(key):
    assert crypto.is_well_formed(key)


def test_keys_do_not_repeat():
    keys = {crypto.generate_secret_key() for _ in range(2000)}
    assert len(keys) == 2000


def test_keys_use_the_whole_base62_alphabet():
    seen = set("".join(crypto.generate_secret_key()[len(PREFIX):] for _ in range(200)))
    assert seen == set(BASE62)


def one_character_changes(key):
    """Every key that differs from `key` in exactly one character of its body."""
    for position in range(len(PREFIX), len(key)):
        for replacement in {"0", "z", "A"} - {key[position]}:
            yield key[:position] + replacement + key[position + 1:]


def test_changing_any_one_character_fails_the_checksum(key):
    changed = list(one_character_changes(key))
    assert len(changed) >= 2 * 36
    assert not [typo for typo in changed if crypto.is_well_formed(typo)]


def test_swapping_two_neighbouring_characters_fails_the_checksum():
    key = crypto.generate_secret_key()
    body = key[len(PREFIX):]
    swaps = [
        PREFIX + body[:i] + body[i + 1] + body[i] + body[i + 2:]
        for i in range(len(body) - 1)
        if body[i] != body[i + 1]
    ]
    assert not [typo for typo in swaps if crypto.is_well_formed(typo)]


def valid_body():
    return crypto.generate_secret_key()[len(PREFIX):]


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        PREFIX,
        PREFIX + "x",
        PREFIX + valid_body()[:-1],
        PREFIX + valid_body() + "0",
        "pivra_pk_" + valid_body(),
        "PIVRA_SK_" + valid_body(),
        "sk_" + valid_body(),
        valid_body(),
        " " + PREFIX + valid_body(),
        PREFIX + valid_body() + "\n",
        PREFIX + valid_body()[:-1] + "-",
        PREFIX + valid_body()[:-1] + "é",
        PREFIX + "0" * 36,
    ],
    ids=[
        "empty", "prefix-only", "too-short", "one-short", "one-long", "embed-prefix", "upper-case-prefix",
        "other-prefix", "no-prefix", "leading-space", "trailing-newline", "dash", "non-ascii", "zeros",
    ],
)
def test_malformed_keys_are_not_well_formed(candidate):
    assert not crypto.is_well_formed(candidate)


def test_the_hash_is_hmac_sha256_of_the_whole_key_under_the_server_pepper(key):
    expected = hmac.new(settings.API_KEY_PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()
    assert crypto.hash_key(key) == expected


def test_the_hash_is_not_a_plain_sha256_so_a_dump_alone_cannot_test_candidates(key):
    assert crypto.hash_key(key) != hashlib.sha256(key.encode()).hexdigest()


def test_a_different_pepper_gives_a_different_hash(key, settings):
    first = crypto.hash_key(key)
    settings.API_KEY_PEPPER = "another-pepper"
    assert crypto.hash_key(key) != first


def test_the_hash_is_deterministic_so_a_key_is_found_by_equality(key):
    assert crypto.hash_key(key) == crypto.hash_key(key)


@pytest.mark.parametrize(
    "presented, echo",
    [
        ("pivra_sk_0123456789abcdefghijklmnopqrstuvwxyz", "pivra_sk_…wxyz"),
        ("pivra_pk_0123456789abcdefghijklmnopqrstuvwxyz", "pivra_pk_…wxyz"),
        ("some-other-long-token-abcd", "…abcd"),
        ("short", "…"),
        ("pivra_sk_ключ-ключ-ключ", "…"),
        ("pivra_sk_\x00\x01\x02\x03\x04\x05", "…"),
    ],
    ids=["secret-key", "embed-key", "other-token", "short-token", "non-ascii", "control-characters"],
)
def test_the_mask_shows_at_most_the_prefix_and_the_last_four_characters(presented, echo):
    assert crypto.mask(presented) == echo
