"""Leads in the browser: the table, search and filters, Export CSV (every matching lead), delete."""

import csv
import io
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.test import Client

from chatbots.models import Chatbot
from leads.models import Lead
from tests.factories import make_leads
from webhooks.models import Delivery, WebhookEndpoint

PAGE = "/leads/"
EXPORT = "/leads/export.csv"


def rows(response):
    """The CSV's rows, header first, from a streamed answer."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def table(response):
    return response.content.decode().split('<table class="leads">')[1].split("</table>")[0]


@pytest.fixture
def leads(account, chatbot):
    sales = Chatbot.objects.create(account=account, name="Sales bot")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=dt_timezone.utc)
    return [
        Lead.objects.create(account=account, chatbot=chatbot, name="Maria Rossi", email="maria@example.com",
                            phone="+39 333 123 4567", created_at=start),
        Lead.objects.create(account=account, chatbot=sales, name="Jonas Berg", email="jonas@example.org",
                            created_at=start + timedelta(days=3)),
        Lead.objects.create(account=account, chatbot=sales, name="=HYPERLINK(\"http://evil\")", email="eve@example.net",
                            created_at=start + timedelta(days=6)),
    ]


def test_the_table_lists_the_accounts_leads_newest_first_and_no_one_elses(alice_client, leads, other_account, other_chatbot):
    Lead.objects.create(account=other_account, chatbot=other_chatbot, name="Not yours", email="no@example.com")
    html = table(alice_client.get(PAGE))
    assert html.index("eve@example.net") < html.index("jonas@example.org") < html.index("maria@example.com")
    assert "Not yours" not in html
    assert "Support bot" in html and "Sales bot" in html


@pytest.mark.parametrize("params, shown", [
    ({"q": "MARIA"}, ["maria@example.com"]),
    ({"q": "example.org"}, ["jonas@example.org"]),
    ({"from": "2026-11-04", "to": "2026-11-05"}, ["jonas@example.org"]),
    ({"to": "2026-11-02"}, ["maria@example.com"]),
    ({"from": "not a date"}, ["eve@example.net", "jonas@example.org", "maria@example.com"]),
])
def test_search_and_filters_narrow_the_table(alice_client, leads, params, shown):
    html = table(alice_client.get(PAGE, params))
    assert [email for email in ("eve@example.net", "jonas@example.org", "maria@example.com") if email in html] == shown


def test_filtering_by_chatbot(alice_client, leads, chatbot):
    html = table(alice_client.get(PAGE, {"chatbot": chatbot.pk}))
    assert "maria@example.com" in html and "jonas@example.org" not in html


def test_older_leads_come_a_page_at_a_time(alice_client, account, chatbot):
    make_leads(account, chatbot, 120)
    first = alice_client.get(PAGE)
    assert table(first).count("<tr data-lead-id") == 50
    older = first.content.decode().split('older_than=')[1].split('"')[0]
    second = table(alice_client.get(PAGE, {"older_than": older}))
    assert second.count("<tr data-lead-id") == 50
    assert "lead119@example.com" not in second and "lead69@example.com" in second


def test_export_csv_streams_every_matching_lead_not_just_a_page(alice_client, account, chatbot):
    make_leads(account, chatbot, 130)
    response = alice_client.get(EXPORT)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    exported = rows(response)
    assert exported[0] == ["id", "name", "email", "phone", "chatbot", "created_at"]
    assert len(exported) == 131
    assert {row[2] for row in exported[1:]} == {f"lead{i}@example.com" for i in range(130)}


def test_export_csv_keeps_the_filters_and_defuses_spreadsheet_formulas(alice_client, leads):
    exported = rows(alice_client.get(EXPORT, {"q": "eve"}))
    assert len(exported) == 2
    assert exported[1][1] == "'=HYPERLINK(\"http://evil\")"
    assert exported[1][5] == "2026-11-08T09:00:00Z"


def test_an_owner_deletes_a_lead_after_confirming_and_integrations_are_told(alice_client, account, leads):
    WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/x", events=["lead.deleted"])
    maria = leads[0]
    assert "Delete the lead" in alice_client.get(f"/leads/{maria.pk}/delete/").content.decode()
    assert Lead.objects.filter(pk=maria.pk).exists()
    response = alice_client.post(f"/leads/{maria.pk}/delete/")
    assert response.status_code == 302
    assert not Lead.objects.filter(pk=maria.pk).exists()
    assert Delivery.objects.get().event_type == "lead.deleted"


def test_a_member_sees_leads_but_cannot_delete_them(bob_client, leads):
    assert "maria@example.com" in bob_client.get(PAGE).content.decode()
    assert bob_client.post(f"/leads/{leads[0].pk}/delete/").status_code == 403
    assert Lead.objects.filter(pk=leads[0].pk).exists()


def test_another_accounts_lead_cannot_be_deleted(alice_client, other_account, other_chatbot):
    theirs = Lead.objects.create(account=other_account, chatbot=other_chatbot, email="theirs@example.com")
    assert alice_client.post(f"/leads/{theirs.pk}/delete/").status_code == 404
    assert Lead.objects.filter(pk=theirs.pk).exists()


def test_the_pages_need_a_login(db):
    for path in (PAGE, EXPORT):
        response = Client().get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_navigation_says_where_you_are(alice_client, db):
    assert '<a href="/leads/" aria-current="page">Leads</a>' in alice_client.get(PAGE).content.decode()


def test_a_streamed_export_is_logged_with_its_request_id_once_it_ends(alice_client, leads, caplog):
    with caplog.at_level("INFO", logger="pivra.access"):
        response = alice_client.get(EXPORT, HTTP_X_REQUEST_ID="export-trace-1")
        assert not [r for r in caplog.records if r.name == "pivra.access"]  # not before the body is sent
        rows(response)
    [access] = [r for r in caplog.records if r.name == "pivra.access"]
    assert access.request_id == "export-trace-1" and "/leads/export.csv 200" in access.getMessage()


@pytest.mark.parametrize("path", ["/leads/?q=%00", "/leads/?chatbot=%00", "/leads/?older_than=%00x", "/leads/%00/delete/"])
def test_a_nul_byte_anywhere_is_not_a_500(alice_client, leads, path):
    alice_client.raise_request_exception = False
    assert alice_client.get(path).status_code in (200, 404)


def test_the_page_runs_a_constant_number_of_queries(alice_client, account, chatbot, django_assert_max_num_queries):
    Lead.objects.create(account=account, chatbot=chatbot, name="First", email="first@example.com")
    with django_assert_max_num_queries(10) as few:
        alice_client.get(PAGE)
    for n in range(60):
        bot = Chatbot.objects.create(account=account, name=f"Bot {n}") if n < 5 else chatbot
        Lead.objects.create(account=account, chatbot=bot, name=f"Lead {n}", email=f"lead{n}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = alice_client.get(PAGE).content.decode()
    assert "Older leads" in html
