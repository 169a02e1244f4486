import json

import pytest

from accounts.models import Plan
from sources.models import Source

from tests.factories import make_text_source


def test_a_text_source_is_ready_at_once_with_its_character_count(api_client, account, chatbot):
    response = api_client.post(
        "/api/sources",
        {"chatbot": chatbot.pk, "type": "text", "title": "Shipping", "content": "We ship in three days."},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert body["character_count"] == len("We ship in three days.")
    source = Source.objects.get(pk=body["id"])
    assert (source.account, source.chatbot, source.content) == (account, chatbot, "We ship in three days.")


def test_a_qa_source_keeps_its_question_and_answer(api_client, chatbot):
    response = api_client.post(
        "/api/sources",
        {"chatbot": chatbot.pk, "type": "qa", "question": "Do you ship to Norway?", "answer": "Yes, in 5 days."},
        format="json",
    )
    assert response.status_code == 201, response.content
    detail = api_client.get(f"/api/sources/{response.json()['id']}").json()
    assert detail["question"] == "Do you ship to Norway?"
    assert detail["answer"] == "Yes, in 5 days."
    assert detail["status"] == "ready"
    assert detail["character_count"] == len("Do you ship to Norway?") + len("Yes, in 5 days.")


def test_a_url_source_starts_pending(api_client, chatbot):
    response = api_client.post(
        "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": "https://example.com/faq"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["url"] == "https://example.com/faq"


def test_the_list_leaves_out_the_text_and_the_detail_has_it(api_client, chatbot):
    source = make_text_source(chatbot, content="Long text " * 100)
    listed = api_client.get("/api/sources").json()["results"][0]
    assert "content" not in listed
    assert api_client.get(f"/api/sources/{source.pk}").json()["content"] == "Long text " * 100


def test_sources_filter_by_chatbot_type_and_status(api_client, account, chatbot):
    from chatbots.models import Chatbot

    other_bot = Chatbot.objects.create(account=account, name="Sales")
    text = make_text_source(chatbot)
    make_text_source(other_bot)
    failed = Source.objects.create(
        account=account, chatbot=chatbot, type="url", url="https://example.com", status="failed", error="404"
    )
    assert [s["id"] for s in api_client.get("/api/sources", {"chatbot": chatbot.pk, "type": "text"}).json()["results"]] == [text.pk]
    assert [s["id"] for s in api_client.get("/api/sources", {"status": "failed"}).json()["results"]] == [failed.pk]
    assert api_client.get("/api/sources", {"status": "melted"}).status_code == 400


def test_deleting_a_source_removes_it(api_client, chatbot):
    source = make_text_source(chatbot)
    assert api_client.delete(f"/api/sources/{source.pk}").status_code == 204
    assert not Source.objects.filter(pk=source.pk).exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"chatbot": ..., "type": "text", "content": "x"}, "chatbot"),
        ({"chatbot": None, "type": "text", "content": "x"}, "chatbot"),
        ({"chatbot": "bot_unknown", "type": "text", "content": "x"}, "chatbot"),
        ({"chatbot": 17, "type": "text", "content": "x"}, "chatbot"),
        ({"type": "file", "content": "x"}, "type"),
        ({"type": "text"}, "content"),
        ({"type": "text", "content": ""}, "content"),
        ({"type": "text", "content": "x" * 1_000_001}, "content"),
        ({"type": "text", "content": "x", "title": "t" * 501}, "title"),
        ({"type": "qa", "question": "Why?"}, "answer"),
        ({"type": "qa", "answer": "Because."}, "question"),
        ({"type": "url"}, "url"),
        ({"type": "url", "url": "ftp://example.com/file"}, "url"),
        ({"type": "url", "url": "not a url"}, "url"),
        ({"type": "text", "content": ["a", "list"]}, "content"),
    ],
)
def test_invalid_sources_are_a_400_naming_the_field_and_create_nothing(api_client, chatbot, payload, field):
    payload = {key: value for key, value in {"chatbot": chatbot.pk, **payload}.items() if value is not ...}
    response = api_client.post("/api/sources", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Source.objects.exists()


def test_a_source_for_another_accounts_chatbot_is_refused_and_changes_nothing(api_client, other_chatbot):
    response = api_client.post(
        "/api/sources", {"chatbot": other_chatbot.pk, "type": "text", "content": "Sneaky"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["chatbot"] == [f"No chatbot with id '{other_chatbot.pk}' in your account."]
    assert not Source.objects.exists()


def test_the_plans_knowledge_limit_is_a_400_that_names_the_limit(api_client, account, chatbot):
    plan = Plan.objects.get(code="starter")
    plan.max_knowledge_characters = 100
    plan.save()
    make_text_source(chatbot, content="x" * 90)
    response = api_client.post("/api/sources", {"chatbot": chatbot.pk, "type": "text", "content": "y" * 11}, format="json")
    assert response.status_code == 400
    assert response.json() == {"content": [
        "This source (11 characters) would exceed your Starter plan's knowledge limit of 100 characters (90 used)."
    ]}
    assert Source.objects.count() == 1


def test_a_body_over_5_mb_is_a_413(api_client, chatbot):
    body = json.dumps({"chatbot": chatbot.pk, "type": "text", "content": "x" * (5 * 1024 * 1024)})
    response = api_client.post("/api/sources", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.parametrize("body", ['{"chatbot": ', "[1, 2]", "null", '"text"', "\x00\xff"])
def test_a_malformed_json_body_is_a_400(api_client, body):
    response = api_client.post("/api/sources", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_body_nested_too_deeply_is_a_400_not_a_500(api_client):
    response = api_client.post("/api/sources", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_form_encoded_body_is_a_415(api_client, chatbot):
    response = api_client.post("/api/sources", {"chatbot": chatbot.pk, "type": "text", "content": "x"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_a_source_list_runs_the_same_queries_whatever_the_page_size(api_client, chatbot, django_assert_num_queries):
    for index in range(30):
        make_text_source(chatbot, title=f"Text {index}")
        Source.objects.create(account=chatbot.account, chatbot=chatbot, type="qa", title=f"Q{index}?", content="A.", status="ready")
    api_client.get("/api/sources")  # the key's last_used_at is written on first use only
    # One query finds the key, one reads the page: the text stays unloaded.
    for page_size in (5, 100):
        with django_assert_num_queries(2):
            response = api_client.get(f"/api/sources?page_size={page_size}")
        assert response.status_code == 200
        assert all("content" not in s and "answer" not in s for s in response.json()["results"])
