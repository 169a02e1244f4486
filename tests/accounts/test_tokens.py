"""Embed keys: every new chatbot gets its own public, well-formed `pivra_pk_…` key."""

import re

from accounts import tokens
from chatbots.models import Chatbot

EMBED_KEY = re.compile(r"^pivra_pk_[A-Za-z0-9]{27,}$")


def test_a_new_chatbot_gets_a_well_formed_embed_key(account):
    chatbot = Chatbot.objects.create(account=account, name="Support bot")
    assert EMBED_KEY.match(chatbot.embed_key)
    assert tokens.is_well_formed(chatbot.embed_key, "pivra_pk_")


def test_the_embed_key_is_stored_as_generated(account):
    chatbot = Chatbot.objects.create(account=account, name="Support bot")
    chatbot.refresh_from_db()
    assert EMBED_KEY.match(chatbot.embed_key)


def test_every_chatbot_gets_a_different_embed_key(account, other_account):
    bots = [Chatbot.objects.create(account=a, name=f"Bot {i}") for i in range(25) for a in (account, other_account)]
    keys = {bot.embed_key for bot in bots}
    assert len(keys) == len(bots)


def test_an_embed_key_is_not_a_secret_key(account):
    chatbot = Chatbot.objects.create(account=account, name="Support bot")
    assert not tokens.is_well_formed(chatbot.embed_key, "pivra_sk_")


def test_regenerating_an_embed_key_replaces_it_with_a_new_well_formed_one(chatbot):
    old = chatbot.embed_key
    chatbot.regenerate_embed_key()
    chatbot.refresh_from_db()
    assert chatbot.embed_key != old
    assert EMBED_KEY.match(chatbot.embed_key)
