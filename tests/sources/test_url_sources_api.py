"""A URL source created through the API or the admin gets its job in the same transaction, and a
worker (inline on SQLite) fetches it: it ends with its text, or failed with the reason."""

import importlib

import pytest
from django.apps import apps
from django.contrib.admin.utils import quote
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from sources.models import Source
from sources.services import create_source
from tests.sources import ServerPool, page


@pytest.fixture
def help_center(settings):
    settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]  # loopback, for this test only
    html = (
        "<html><head><title>Returns</title><script>track()</script></head>"
        "<body><nav>Home | Shop</nav><p>Unused items can be returned within 30 days.</p></body></html>"
    )
    with ServerPool() as pool:
        yield pool.start({"/returns": page(html)})


def test_a_url_source_goes_from_pending_to_ready_with_the_pages_text(run_jobs, api_client, chatbot, help_center):
    created = api_client.post(
        "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": help_center.url("/returns")}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"

    run_jobs()

    source = api_client.get(f"/api/sources/{created.json()['id']}").json()
    assert source["status"] == "ready", source["error"]
    assert "Unused items can be returned within 30 days." in source["content"]
    assert "track()" not in source["content"]
    assert source["character_count"] == len(source["content"])
    assert len(help_center.requests) == 1


def test_a_url_source_for_a_private_address_ends_failed_and_the_server_gets_nothing(run_jobs, api_client, chatbot):
    with ServerPool() as pool:
        server = pool.start({"/": page("<p>internal admin</p>")})
        created = api_client.post(
            "/api/sources", {"chatbot": chatbot.pk, "type": "url", "url": server.url("/")}, format="json"
        )
        run_jobs()
        assert server.requests == []
    source = api_client.get(f"/api/sources/{created.json()['id']}").json()
    assert source["status"] == "failed"
    assert "private" in source["error"]


def test_a_url_source_whose_transaction_rolls_back_is_never_fetched(run_jobs, account, chatbot, help_center):
    with pytest.raises(RuntimeError), transaction.atomic():
        create_source(account=account, chatbot=chatbot, type="url", url=help_center.url("/returns"))
        raise RuntimeError("something after it failed")
    run_jobs()
    assert not Source.objects.exists()
    assert help_center.requests == []


def test_a_url_source_added_in_the_admin_is_fetched_and_staff_can_fetch_it_again(run_jobs, client, chatbot, help_center):
    client.force_login(User.objects.create_superuser(email="staff@pivra.test", password="staff-password"))
    response = client.post(reverse("admin:sources_source_add"), {
        "chatbot": chatbot.pk, "type": "url", "url": help_center.url("/returns"), "status": "pending",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    run_jobs()
    source = Source.objects.get()
    assert (source.status, source.title) == ("ready", "Returns")

    change = reverse("admin:sources_source_change", args=[quote(source.pk)])
    client.post(change, {
        "chatbot": chatbot.pk, "type": "url", "url": source.url, "title": source.title, "content": source.content,
        "status": "pending",
    })
    run_jobs()
    source.refresh_from_db()
    assert source.status == "ready"
    assert len(help_center.requests) == 2


def test_the_upgrade_gives_the_url_sources_the_old_worker_left_waiting_their_jobs(run_jobs, chatbot, help_center):
    waiting = [
        Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=help_center.url("/returns"),
                              status=status)
        for status in ("pending", "processing")
    ]
    failed = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=help_center.url("/returns"),
                                   status="failed", error="The server answered 404.")
    migration = importlib.import_module("sources.migrations.0005_queue_waiting_url_sources")
    with transaction.atomic():
        migration.queue_waiting_url_sources(apps, schema_editor=None)
    run_jobs()
    assert [Source.objects.get(pk=source.pk).status for source in waiting] == ["ready", "ready"]
    assert Source.objects.get(pk=failed.pk).status == "failed"
    assert len(help_center.requests) == 2
