from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from leads.models import Lead

from tests.factories import make_leads


def walk(client, url):
    """Follow `next` links from `url`; return every result in order."""
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen.extend(response.json()["results"])
        next_url = response.json()["next"]
        url = next_url and urlsplit(next_url)._replace(scheme="", netloc="").geturl()
    return seen


def test_it_lists_the_accounts_leads_newest_first(api_client, account, chatbot):
    make_leads(account, chatbot, 3)
    response = api_client.get("/api/leads")
    assert response.status_code == 200
    emails = [lead["email"] for lead in response.json()["results"]]
    assert emails == ["lead2@example.com", "lead1@example.com", "lead0@example.com"]
    assert response.json()["previous"] is None


def test_a_lead_shows_its_contact_details_and_links(api_client, account, chatbot):
    lead = make_leads(account, chatbot, 1, phone="+1 555 0100", custom_fields={"company": "Acme"})[0]
    body = api_client.get(f"/api/leads/{lead.pk}").json()
    assert body["id"] == lead.pk and body["id"].startswith("lead_")
    assert body["chatbot"] == chatbot.pk
    assert body["phone"] == "+1 555 0100"
    assert body["custom_fields"] == {"company": "Acme"}


def test_deleting_a_lead_erases_it(api_client, account, chatbot):
    lead = make_leads(account, chatbot, 1)[0]
    assert api_client.delete(f"/api/leads/{lead.pk}").status_code == 204
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert api_client.get(f"/api/leads/{lead.pk}").status_code == 404


def test_leads_cannot_be_created_or_changed_through_the_api(api_client, account, chatbot):
    lead = make_leads(account, chatbot, 1)[0]
    assert api_client.post("/api/leads", {"email": "x@example.com"}, format="json").status_code == 405
    assert api_client.patch(f"/api/leads/{lead.pk}", {"email": "x@example.com"}, format="json").status_code == 405


def test_pagination_walks_every_lead_once_without_gaps(api_client, account, chatbot):
    leads = make_leads(account, chatbot, 230)
    results = walk(api_client, "/api/leads?page_size=100")
    assert [lead["id"] for lead in results] == [lead.pk for lead in reversed(leads)]


def test_pagination_walks_leads_created_in_the_same_instant(api_client, account, chatbot):
    now = timezone.now()
    Lead.objects.bulk_create(Lead(account=account, chatbot=chatbot, created_at=now, updated_at=now) for _ in range(120))
    results = walk(api_client, "/api/leads?page_size=50")
    assert len(results) == 120
    assert len({lead["id"] for lead in results}) == 120


def test_the_previous_link_leads_back_to_the_first_page(api_client, account, chatbot):
    make_leads(account, chatbot, 5)
    first = api_client.get("/api/leads?page_size=2").json()
    second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()
    assert [lead["id"] for lead in back["results"]] == [lead["id"] for lead in first["results"]]


@pytest.mark.parametrize("page_size, expected", [("1", 1), ("100", 100), ("1000", 100), ("abc", 50), ("-5", 50)])
def test_page_size_may_be_lowered_and_is_capped_at_100(api_client, account, chatbot, page_size, expected):
    make_leads(account, chatbot, 150)
    assert len(api_client.get(f"/api/leads?page_size={page_size}").json()["results"]) == expected


def test_a_list_request_runs_the_same_queries_whatever_the_page_size(
    api_client, account, chatbot, django_assert_num_queries
):
    make_leads(account, chatbot, 120)
    api_client.get("/api/leads")  # the key's last_used_at is written on first use only
    # One query finds the key, one reads the page: no COUNT(*), no query per lead.
    for page_size in (5, 100):
        with django_assert_num_queries(2):
            assert api_client.get(f"/api/leads?page_size={page_size}").status_code == 200


def test_leads_filter_by_chatbot(api_client, account, chatbot):
    from chatbots.models import Chatbot

    other_bot = Chatbot.objects.create(account=account, name="Sales")
    make_leads(account, chatbot, 2)
    wanted = make_leads(account, other_bot, 1)[0]
    results = api_client.get(f"/api/leads?chatbot={other_bot.pk}").json()["results"]
    assert [lead["id"] for lead in results] == [wanted.pk]


def test_leads_filter_by_creation_window(api_client, account, chatbot):
    start = timezone.now() - timedelta(days=10)
    leads = make_leads(account, chatbot, 5, start=start)
    after = (start + timedelta(seconds=1)).isoformat()
    before = (start + timedelta(seconds=3)).isoformat()
    response = api_client.get("/api/leads", {"created_after": after, "created_before": before})
    assert [lead["id"] for lead in response.json()["results"]] == [leads[2].pk, leads[1].pk]


def test_leads_filter_by_update_time_for_incremental_syncs(api_client, account, chatbot):
    leads = make_leads(account, chatbot, 3, start=timezone.now() - timedelta(days=3))
    since = timezone.now()
    changed = leads[0]
    changed.phone = "+1 555 0199"
    changed.save()
    response = api_client.get("/api/leads", {"updated_after": since.isoformat()})
    assert [lead["id"] for lead in response.json()["results"]] == [changed.pk]


def test_leads_filter_by_email_ignoring_case(api_client, account, chatbot):
    make_leads(account, chatbot, 3)
    results = api_client.get("/api/leads", {"email": "LEAD1@example.com"}).json()["results"]
    assert [lead["email"] for lead in results] == ["lead1@example.com"]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45"}, "created_before"),
        ({"updated_after": "0"}, "updated_after"),
        ({"chatbot": "bot_doesnotexist"}, "chatbot"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_filter(api_client, account, chatbot, query, field):
    response = api_client.get("/api/leads", query)
    assert response.status_code == 400
    assert field in response.json()


def test_filtering_by_another_accounts_chatbot_is_refused_like_an_unknown_one(api_client, other_chatbot):
    response = api_client.get("/api/leads", {"chatbot": other_chatbot.pk})
    assert response.status_code == 400
    assert "chatbot" in response.json()
