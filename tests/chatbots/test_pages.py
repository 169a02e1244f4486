"""Chatbots and their sources in the browser: the list, Create chatbot, the chatbot page
(settings, pause, delete) and its sources (add Text, Q&A, URL; delete)."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Plan
from chatbots.models import Chatbot
from sources.fetcher import FetchError
from sources.models import Source
from sources.tasks import fetch_source
from tests.factories import make_text_source

LIST = "/chatbots/"


def page(chatbot):
    return f"/chatbots/{chatbot.pk}/"


def settings_form(**changes):
    data = {
        "name": "Support bot", "welcome_message": "Hi!", "instructions": "", "fallback_answer": "Sorry.",
        "allowed_domains": "", "lead_collect_email": "on",
    }
    return {**data, **changes}


def test_the_list_shows_the_accounts_chatbots_with_their_sources_and_no_one_elses(alice_client, chatbot, other_chatbot):
    make_text_source(chatbot)
    html = alice_client.get(LIST).content.decode()
    assert f'href="/chatbots/{chatbot.pk}/">Support bot</a>' in html
    assert "Charlie" not in html
    row = html.split(f'data-chatbot-id="{chatbot.pk}"')[1].split("</tr>")[0]
    assert "Active" in row and "<td>1 " in row


def test_an_owner_creates_a_chatbot_with_a_name_only(alice_client, account):
    response = alice_client.post(LIST, {"name": "Sales bot"})
    chatbot = Chatbot.objects.for_account(account).get(name="Sales bot")
    assert response.status_code == 302 and response["Location"] == page(chatbot)
    assert "Created Sales bot" in alice_client.get(page(chatbot)).content.decode()


def test_a_chatbot_needs_a_name(alice_client, account):
    response = alice_client.post(LIST, {"name": "  "})
    assert response.status_code == 400
    assert 'id="name-errors"' in response.content.decode()
    assert not Chatbot.objects.for_account(account).exists()


def test_the_plans_limit_is_shown_on_the_form_in_the_apis_words(alice_client, account, chatbot):
    account.plan = Plan.objects.get(code="free")
    account.save()
    response = alice_client.post(LIST, {"name": "Second bot"})
    assert response.status_code == 400
    assert "Your Free plan allows 1 chatbot(s). Delete one or upgrade to add more." in response.content.decode()
    assert Chatbot.objects.for_account(account).count() == 1


def test_an_owner_edits_a_chatbots_settings(alice_client, chatbot):
    response = alice_client.post(page(chatbot), settings_form(
        name="Helpdesk", welcome_message="Hello there", instructions="Be brief.", fallback_answer="No idea, sorry.",
        allowed_domains="Example.com\n\n  shop.example.com \nexample.com", lead_collect_name="", lead_collect_phone="on",
    ))
    assert response.status_code == 302
    chatbot.refresh_from_db()
    assert (chatbot.name, chatbot.welcome_message, chatbot.instructions, chatbot.fallback_answer) == (
        "Helpdesk", "Hello there", "Be brief.", "No idea, sorry.")
    assert chatbot.allowed_domains == ["example.com", "shop.example.com"]
    assert chatbot.lead_fields == ["email", "phone"]
    html = alice_client.get(page(chatbot)).content.decode()
    assert "example.com\nshop.example.com</textarea>" in html


def test_an_allowed_domain_that_is_not_a_host_name_is_refused_on_its_field(alice_client, chatbot):
    response = alice_client.post(page(chatbot), settings_form(allowed_domains="example.com\nhttps://shop.example.com/x"))
    assert response.status_code == 400
    html = response.content.decode()
    errors = html.split('id="id_allowed_domains_error"')[1].split("</ul>")[0]
    assert "&#x27;https://shop.example.com/x&#x27; is not a host name" in errors
    textarea = html.split('<textarea name="allowed_domains"')[1].split(">")[0]
    assert 'aria-invalid="true"' in textarea and "id_allowed_domains_error" in textarea
    chatbot.refresh_from_db()
    assert chatbot.allowed_domains == []


def test_an_owner_pauses_and_resumes_a_chatbot(alice_client, chatbot):
    assert alice_client.post(f"{page(chatbot)}status/", {"status": "paused"}).status_code == 302
    chatbot.refresh_from_db()
    assert chatbot.status == "paused"
    assert "Resume Support bot" in alice_client.get(page(chatbot)).content.decode()
    alice_client.post(f"{page(chatbot)}status/", {"status": "active"})
    chatbot.refresh_from_db()
    assert chatbot.status == "active"


def test_an_owner_deletes_a_chatbot_after_confirming(alice_client, chatbot):
    assert "Delete Support bot?" in alice_client.get(f"{page(chatbot)}delete/").content.decode()
    assert Chatbot.objects.filter(pk=chatbot.pk).exists()
    response = alice_client.post(f"{page(chatbot)}delete/")
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Chatbot.objects.filter(pk=chatbot.pk).exists()


def test_an_owner_adds_a_text_source(alice_client, chatbot):
    response = alice_client.post(f"{page(chatbot)}sources/", {"type": "text", "text-title": "Shipping", "text-text": "We ship in 3 days."})
    assert response.status_code == 302
    source = Source.objects.get(chatbot=chatbot)
    assert (source.type, source.title, source.content, source.status) == ("text", "Shipping", "We ship in 3 days.", "ready")
    row = alice_client.get(page(chatbot)).content.decode().split(f'data-source-id="{source.pk}"')[1].split("</tr>")[0]
    assert "Shipping" in row and "Ready" in row and '<td class="source-characters">18</td>' in row


def test_an_owner_adds_a_question_and_answer(alice_client, chatbot):
    alice_client.post(f"{page(chatbot)}sources/", {"type": "qa", "qa-question": "Do you ship to Ireland?", "qa-answer": "Yes."})
    source = Source.objects.get(chatbot=chatbot)
    assert (source.type, source.title, source.content, source.status) == ("qa", "Do you ship to Ireland?", "Yes.", "ready")


def test_a_source_without_its_text_is_refused_on_its_field(alice_client, chatbot):
    response = alice_client.post(f"{page(chatbot)}sources/", {"type": "qa", "qa-question": "Why?", "qa-answer": ""})
    assert response.status_code == 400
    assert 'id="id_qa-answer_errors"' in response.content.decode()
    assert 'value="Why?"' in response.content.decode()
    assert not Source.objects.exists()


def test_a_source_beyond_the_plans_knowledge_limit_is_refused_in_the_apis_words(alice_client, account, chatbot):
    account.plan = Plan.objects.get(code="free")
    account.save()
    response = alice_client.post(f"{page(chatbot)}sources/", {"type": "text", "text-text": "x" * 400_001})
    assert response.status_code == 400
    errors = response.content.decode().split('id="id_text-text_errors"')[1].split("</div>")[0]
    assert "would exceed your Free plan&#x27;s knowledge limit of 400,000 characters" in errors
    assert not Source.objects.exists()


def test_the_knowledge_used_is_shown_against_the_plans_limit(alice_client, chatbot):
    make_text_source(chatbot, content="x" * 1234)
    assert "<strong>1234</strong> of 5000000 characters used on your Starter plan" in alice_client.get(page(chatbot)).content.decode()


def test_a_url_source_is_fetched_and_a_failed_fetch_shows_its_reason(alice_client, chatbot):
    with mock.patch("sources.tasks.fetch", side_effect=FetchError("The page answered 404 Not Found.")):
        response = alice_client.post(f"{page(chatbot)}sources/", {"type": "url", "url-url": "https://unreachable.invalid/faq"})
        assert response.status_code == 302
        source = Source.objects.get(chatbot=chatbot)
        assert (source.type, source.url) == ("url", "https://unreachable.invalid/faq")
        fetch_source(source_id=source.pk)  # what the worker (or, on SQLite, the commit) runs
    row = alice_client.get(page(chatbot)).content.decode().split(f'data-source-id="{source.pk}"')[1].split("</tr>")[0]
    assert "Failed" in row and "The page answered 404 Not Found." in row


def test_a_url_that_is_not_http_is_refused_on_its_field(alice_client, chatbot):
    response = alice_client.post(f"{page(chatbot)}sources/", {"type": "url", "url-url": "ftp://example.com/x"})
    assert response.status_code == 400
    assert 'id="id_url-url_errors"' in response.content.decode()


def test_an_owner_deletes_a_source_after_confirming(alice_client, chatbot):
    source = make_text_source(chatbot)
    delete = f"{page(chatbot)}sources/{source.pk}/delete/"
    assert "Delete the source Shipping?" in alice_client.get(delete).content.decode()
    assert alice_client.post(delete).status_code == 302
    assert not Source.objects.filter(pk=source.pk).exists()


def test_a_member_sees_everything_and_changes_nothing(bob_client, chatbot):
    source = make_text_source(chatbot)
    assert "Support bot" in bob_client.get(LIST).content.decode()
    html = bob_client.get(page(chatbot)).content.decode()
    assert "Shipping" in html and "Add source" not in html and "Create chatbot" not in html
    posts = {
        LIST: {"name": "Mine"},
        page(chatbot): settings_form(name="Mine"),
        f"{page(chatbot)}status/": {"status": "paused"},
        f"{page(chatbot)}delete/": {},
        f"{page(chatbot)}sources/": {"type": "text", "text-text": "Mine"},
        f"{page(chatbot)}sources/{source.pk}/delete/": {},
    }
    for path, data in posts.items():
        assert bob_client.post(path, data).status_code == 403, path
    chatbot.refresh_from_db()
    assert (chatbot.name, chatbot.status, Chatbot.objects.count(), Source.objects.count()) == ("Support bot", "active", 1, 1)


def test_another_accounts_chatbot_and_source_are_not_found(alice_client, other_chatbot):
    theirs = make_text_source(other_chatbot)
    base = page(other_chatbot)
    for path in (base, f"{base}delete/", f"{base}sources/{theirs.pk}/delete/"):
        assert alice_client.get(path).status_code == 404, path
    for path, data in {base: settings_form(name="Mine"), f"{base}status/": {"status": "paused"}, f"{base}delete/": {},
                       f"{base}sources/": {"type": "text", "text-text": "Mine"}, f"{base}sources/{theirs.pk}/delete/": {}}.items():
        assert alice_client.post(path, data).status_code == 404, path
    other_chatbot.refresh_from_db()
    assert other_chatbot.name == "Charlie's bot" and Source.objects.filter(pk=theirs.pk).exists()


def test_a_source_of_another_of_the_accounts_chatbots_is_not_found_under_this_one(alice_client, account, chatbot):
    other = Chatbot.objects.create(account=account, name="Sales bot")
    source = make_text_source(other)
    assert alice_client.post(f"{page(chatbot)}sources/{source.pk}/delete/").status_code == 404


@pytest.mark.parametrize("path", ["/chatbots/%00/", "/chatbots/%00/delete/", "/chatbots/bot_x/sources/%00/delete/"])
def test_a_nul_byte_in_an_id_is_a_404_not_a_500(alice_client, chatbot, path):
    alice_client.raise_request_exception = False
    assert alice_client.get(path).status_code == 404


def test_a_nul_byte_in_a_form_is_refused_not_a_500(alice_client, chatbot):
    alice_client.raise_request_exception = False
    assert alice_client.post(page(chatbot), settings_form(name="a\x00b")).status_code == 400
    assert alice_client.post(f"{page(chatbot)}sources/", {"type": "text", "text-text": "a\x00b"}).status_code == 400


def test_the_list_pages_run_a_constant_number_of_queries(alice_client, account, django_assert_max_num_queries):
    def chatbot_with_sources(name):
        chatbot = Chatbot.objects.create(account=account, name=name)
        for i in range(3):
            make_text_source(chatbot, title=f"Source {i}")
        return chatbot

    first = chatbot_with_sources("Bot 0")
    with django_assert_max_num_queries(12) as few:
        alice_client.get(LIST)
        alice_client.get(page(first))
    for i in range(1, 8):
        chatbot_with_sources(f"Bot {i}")
    for i in range(3, 10):
        make_text_source(first, title=f"Source {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert alice_client.get(LIST).content.decode().count("<tr data-chatbot-id") == 8
        assert alice_client.get(page(first)).content.decode().count("<tr data-source-id") == 10


def make_sources(chatbot, count, *, same_second=1):
    """`count` ready text sources, newest last, `same_second` of them created in each second."""
    start = timezone.now() - timedelta(days=1)
    return [
        make_text_source(chatbot, title=f"Source {i}", created_at=start + timedelta(seconds=i // same_second))
        for i in range(count)
    ]


def listed(response):
    """The titles of the sources a chatbot page lists, in order."""
    return re.findall(r'<tr data-source-id="[^"]+"[^>]*>\s*<td>([^<]+)</td>', response.content.decode())


def older_link(response):
    found = re.search(r'<a href="([^"]+)">Older sources</a>', response.content.decode())
    return found and found[1]


def test_older_sources_come_a_page_at_a_time_newest_first(alice_client, chatbot):
    make_sources(chatbot, 60)
    first = alice_client.get(page(chatbot))
    assert listed(first) == [f"Source {i}" for i in range(59, 9, -1)]
    assert older_link(first).startswith(f"{page(chatbot)}?older_than=src_")
    second = alice_client.get(older_link(first))
    assert listed(second) == [f"Source {i}" for i in range(9, -1, -1)]
    assert older_link(second) is None


def test_sources_added_in_the_same_instant_are_each_listed_once_across_pages(alice_client, chatbot):
    make_sources(chatbot, 60, same_second=4)
    first = alice_client.get(page(chatbot))
    second = alice_client.get(older_link(first))
    assert len(listed(first)) == 50 and len(listed(second)) == 10
    assert sorted(listed(first) + listed(second)) == sorted(f"Source {i}" for i in range(60))


def test_the_knowledge_used_is_the_whole_accounts_on_every_page(alice_client, chatbot):
    make_sources(chatbot, 60)
    second = alice_client.get(older_link(alice_client.get(page(chatbot)))).content.decode()
    assert "<strong>1080</strong> of 5000000 characters used" in second and "Support bot: 1080)" in second


@pytest.mark.parametrize("older_than", ["%00", "src_00000000000000000000", "x" * 41])
def test_an_unknown_or_malformed_page_mark_shows_the_newest_page(alice_client, chatbot, older_than):
    make_sources(chatbot, 3)
    alice_client.raise_request_exception = False
    response = alice_client.get(f"{page(chatbot)}?older_than={older_than}")
    assert response.status_code == 200 and listed(response) == ["Source 2", "Source 1", "Source 0"]


def test_the_chatbot_page_runs_a_constant_number_of_queries_however_many_sources(
    alice_client, chatbot, django_assert_max_num_queries
):
    make_sources(chatbot, 3)
    with django_assert_max_num_queries(12) as few:
        alice_client.get(page(chatbot))
    sources = make_sources(chatbot, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(listed(alice_client.get(page(chatbot)))) == 50
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # the page mark's own lookup
        assert len(listed(alice_client.get(f"{page(chatbot)}?older_than={sources[100].pk}"))) == 50


def test_the_page_loads_its_status_script_from_a_file_and_marks_each_rows_status(alice_client, chatbot):
    pending = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url="https://example.com/faq")
    html = alice_client.get(page(chatbot)).content.decode()
    assert '<script src="/static/js/source-status.js" defer></script>' in html
    assert f'<table class="sources" data-status-url="{page(chatbot)}sources/status/">' in html
    assert f'<tr data-source-id="{pending.pk}" data-status="pending">' in html
    assert '<p class="visually-hidden" aria-live="polite" id="source-status-news"></p>' in html
    assert 'aria-label="Delete the source https://example.com/faq"' in html


def test_the_pages_need_a_login(chatbot):
    for path in (LIST, page(chatbot)):
        response = Client().get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_navigation_says_where_you_are(alice_client, chatbot):
    for path in (LIST, page(chatbot)):
        assert '<a href="/chatbots/" aria-current="page">Chatbots</a>' in alice_client.get(path).content.decode()
    assert '<a href="/chatbots/" aria-current' not in alice_client.get("/leads/").content.decode()
