"""Splitting sources into passages when they are saved, and ranking them (full-text on PostgreSQL,
keywords on SQLite)."""

import logging
from io import StringIO

import pytest
from django.contrib.admin.utils import quote
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from sources import search
from sources.models import Source, SourcePassage
from tests.sources import ServerPool, page


def committing():
    """On leaving it, runs what the transaction's commit would run (a test's transaction never
    commits): the source's indexing."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def make_source(chatbot, title, content, *, type=Source.Type.TEXT, status=Source.Status.READY):
    with committing():
        return Source.objects.create(
            account=chatbot.account, chatbot=chatbot, type=type, title=title, content=content, status=status
        )


def passage_texts(source):
    return list(SourcePassage.objects.filter(source=source).values_list("text", flat=True))


# Splitting and ranking


def test_a_source_is_split_into_paragraphs_with_headings_kept_with_their_text():
    text = "Shipping\n\nWe ship in 3 days.\n\n\nReturns:\r\n\r\nReturn within 30 days.\n\nThanks for reading."
    assert search.split_passages(text) == [
        "Shipping\n\nWe ship in 3 days.",
        "Returns:\n\nReturn within 30 days.",
        "Thanks for reading.",
    ]


def test_a_long_paragraph_is_split_at_sentences_and_a_sentence_without_end_at_words():
    sentence = "This sentence is about forty-five characters. "
    passages = search.split_passages(sentence * 60 + "word " * 400)
    assert all(len(p) <= search.PASSAGE_MAX_CHARS for p in passages)
    assert passages[0].startswith("This sentence") and passages[0].endswith("characters.")
    assert "".join(passages).replace(" ", "") == (sentence * 60 + "word " * 400).replace(" ", "")


def test_question_words_and_stop_words_are_not_search_terms():
    assert search.query_terms("How long does it take to ship to Canada? Canada's fine, don't worry") == [
        "long", "take", "ship", "canada", "fine", "worry",
    ]


@pytest.mark.parametrize("word, stem", [("shipping", "ship"), ("ships", "ship"), ("shipped", "ship"),
                                        ("deliveries", "delivery"), ("boxes", "box"), ("prices", "price"),
                                        ("class", "class"), ("refunds", "refund")])
def test_the_keyword_stemmer_matches_common_forms(word, stem):
    assert search.stem(word) == stem


def test_the_passage_sharing_more_of_the_questions_words_ranks_first(chatbot):
    make_source(chatbot, "Delivery", "Delivery is free for orders over 50 euros.")
    best = make_source(chatbot, "Abroad", "Delivery to Canada and Mexico takes about a week.")
    found = search.search(chatbot, "How long does delivery to Canada take?", limit=2)
    assert [p.source_id for p in found][0] == best.pk
    assert found[0].text == "Delivery to Canada and Mexico takes about a week."


def test_a_single_shared_word_is_not_a_match_for_a_longer_question(chatbot):
    make_source(chatbot, "Payments", "We accept all major credit cards.")
    assert search.search(chatbot, "Do you sell gift cards for birthdays?", limit=2) == []


def test_a_question_of_only_stop_words_finds_nothing(chatbot):
    make_source(chatbot, "About", "What we do and why.")
    assert search.search(chatbot, "What do you do?", limit=2) == []


def test_the_title_counts_for_matching(chatbot):
    faq = make_source(chatbot, "Can I pay with PayPal?", "Yes, at checkout.", type=Source.Type.QA)
    found = search.search(chatbot, "paypal", limit=2)
    assert [(p.source_id, p.text) for p in found] == [(faq.pk, "Yes, at checkout.")]


def test_searching_writes_nothing(chatbot, django_assert_num_queries):
    make_source(chatbot, "Shipping", "We ship in 3 days.\n\nWe ship to Canada.")
    with django_assert_num_queries(1):
        assert search.search(chatbot, "ship to Canada", limit=2)


# Indexing when a source is saved


# Transactional: the request's transaction really commits, and its on_commit hook really runs.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("payload, question", [
    ({"type": "text", "title": "Shipping", "content": "We ship to Canada within a week."}, "Do you ship to Canada?"),
    ({"type": "qa", "question": "Do you ship to Canada?", "answer": "Yes, within a week."}, "Shipping to Canada?"),
])
def test_a_source_created_through_the_api_is_searchable_right_after_the_request(api_client, chatbot, payload, question):
    response = api_client.post("/api/sources", {"chatbot": chatbot.pk, **payload}, format="json")
    assert response.status_code == 201, response.content
    found = search.search(chatbot, question, limit=2)
    assert [p.source_id for p in found] == [response.json()["id"]]


def test_a_source_is_split_into_passages_once_its_transaction_commits(chatbot):
    with committing():
        source = Source.objects.create(
            account=chatbot.account, chatbot=chatbot, type="text", title="Shipping", status="ready",
            content="We ship in 3 days.\n\nWe ship to Canada.",
        )
        assert passage_texts(source) == []
    assert passage_texts(source) == ["We ship in 3 days.", "We ship to Canada."]


def test_editing_a_sources_content_replaces_its_passages(chatbot):
    source = make_source(chatbot, "Shipping", "We ship in 3 days.\n\nWe ship to Canada.")
    source.content = "We ship everywhere."
    with committing():
        source.save()
    assert passage_texts(source) == ["We ship everywhere."]
    assert [p.text for p in search.search(chatbot, "ship everywhere", limit=5)] == ["We ship everywhere."]


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser(email="staff@pivra.test", password="staff-password"))
    return client


def test_editing_a_sources_text_in_the_admin_re_indexes_it(staff_client, chatbot):
    source = make_source(chatbot, "Shipping", "We ship in 3 days.")
    form = {
        "chatbot": chatbot.pk, "type": "text", "title": "Delivery", "content": "Parcels reach Canada in a week.",
        "url": "", "status": "ready", "error": "",
    }
    with committing():
        response = staff_client.post(reverse("admin:sources_source_change", args=[quote(source.pk)]), form)
    assert response.status_code == 302, response.content
    assert [(p.title, p.text) for p in search.search(chatbot, "Canada parcels", limit=2)] == [
        ("Delivery", "Parcels reach Canada in a week.")
    ]


def test_a_url_source_becomes_searchable_once_its_job_has_fetched_it(run_jobs, api_client, chatbot, settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]  # loopback, for this test only
    html = "<html><head><title>Returns</title></head><body><p>Unused items can be returned within 30 days.</p></body></html>"
    with ServerPool() as pool:
        server = pool.start({"/returns": page(html)})
        created = api_client.post(
            "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": server.url("/returns")}, format="json"
        )
        run_jobs()
    found = search.search(chatbot, "Can I return unused items?", limit=2)
    assert [(p.source_id, p.title) for p in found] == [(created.json()["id"], "Returns")]


def test_a_source_that_is_not_ready_has_no_passages(chatbot):
    source = make_source(chatbot, "Shipping", "We ship in 3 days.")
    source.status = Source.Status.FAILED
    with committing():
        source.save()
    assert passage_texts(source) == []


def test_a_deleted_sources_passages_are_gone(api_client, chatbot):
    source = make_source(chatbot, "Shipping", "We ship in 3 days.")
    kept = make_source(chatbot, "Returns", "Returns are free.")
    assert api_client.delete(f"/api/sources/{source.pk}").status_code == 204
    assert not SourcePassage.objects.filter(source_id=source.pk).exists()
    assert passage_texts(kept) == ["Returns are free."]


def test_if_indexing_fails_the_save_stands_the_old_passages_stay_and_the_failure_is_logged(chatbot, monkeypatch, caplog):
    source = make_source(chatbot, "Shipping", "We ship in 3 days.")
    monkeypatch.setattr(search, "split_passages", lambda text: 1 / 0)
    source.content = "We ship everywhere."
    with caplog.at_level(logging.ERROR, logger="sources.search"), committing():
        source.save()
    assert Source.objects.get(pk=source.pk).content == "We ship everywhere."
    assert passage_texts(source) == ["We ship in 3 days."]
    assert f"Source {source.pk}: its passages could not be rebuilt" in caplog.text


def test_reindex_sources_rebuilds_every_sources_passages(chatbot):
    shipping = make_source(chatbot, "Shipping", "We ship in 3 days.")
    returns = make_source(chatbot, "Returns", "Returns are free.")
    Source.objects.filter(pk=shipping.pk).update(content="We ship everywhere.")  # saved without indexing
    SourcePassage.objects.filter(source=returns).delete()
    out = StringIO()
    call_command("reindex_sources", stdout=out)
    assert out.getvalue() == "Indexed 2 sources.\n"
    assert passage_texts(shipping) == ["We ship everywhere."]
    assert passage_texts(returns) == ["Returns are free."]


def test_reindex_sources_can_rebuild_only_the_sources_named(chatbot):
    shipping = make_source(chatbot, "Shipping", "We ship in 3 days.")
    returns = make_source(chatbot, "Returns", "Returns are free.")
    SourcePassage.objects.all().delete()
    out = StringIO()
    call_command("reindex_sources", returns.pk, stdout=out)
    assert out.getvalue() == "Indexed 1 source.\n"
    assert (passage_texts(shipping), passage_texts(returns)) == ([], ["Returns are free."])


def test_a_source_moved_to_another_chatbot_is_no_longer_quoted_by_the_first(chatbot, other_chatbot):
    source = make_source(chatbot, "Shipping", "We ship every order within three working days.")
    assert search.search(chatbot, "how fast do you ship orders", limit=2)
    # Moved without a save (so without re-indexing), as a bulk update or a failed indexing leaves it.
    Source.objects.filter(pk=source.pk).update(chatbot=other_chatbot, account=other_chatbot.account)
    assert search.search(chatbot, "how fast do you ship orders", limit=2) == []
