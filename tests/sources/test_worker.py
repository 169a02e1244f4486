"""The URL-source worker: claiming, stale sources, the `source_worker` command and its stopping."""

import os
import signal
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Plan
from sources.models import Source
from sources.worker import claim_next_source, process_pending, process_source
from tests.sources import ServerPool, allow, fetched, page

HTML = "<html><head><title>Delivery</title></head><body><p>We ship worldwide.</p></body></html>"


@pytest.fixture
def site(settings):
    """A page the worker may fetch (loopback is allowed for this test only)."""
    with ServerPool() as pool:
        yield allow(settings, pool.start({"/": page(HTML)}))


def url_source(chatbot, url, status="pending", **fields):
    return Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=url, status=status, **fields)


def test_claiming_marks_the_oldest_pending_url_source_processing_with_its_start_time(chatbot, site):
    now = timezone.now()
    newer = url_source(chatbot, site.url(), created_at=now)
    older = url_source(chatbot, site.url(), created_at=now - timedelta(hours=1))
    claimed = claim_next_source()
    assert claimed.pk == older.pk
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == "processing"
    assert now <= older.processing_started_at <= timezone.now()
    assert newer.status == "pending"


def test_text_sources_and_finished_url_sources_are_not_claimed(chatbot, site):
    Source.objects.create(account=chatbot.account, chatbot=chatbot, type="text", content="Hi", status="pending")
    url_source(chatbot, site.url(), status="ready")
    url_source(chatbot, site.url(), status="failed")
    assert claim_next_source() is None
    assert site.requests == []


def test_a_source_stuck_in_processing_for_more_than_five_minutes_is_fetched_again(chatbot, site):
    source = url_source(chatbot, site.url(), status="processing", processing_started_at=timezone.now() - timedelta(minutes=6))
    assert process_pending() == 1
    source.refresh_from_db()
    assert (source.status, source.content) == ("ready", "Delivery\n\nWe ship worldwide.")


def test_a_source_processing_for_a_minute_is_left_to_its_worker(chatbot, site):
    started = timezone.now() - timedelta(minutes=1)
    source = url_source(chatbot, site.url(), status="processing", processing_started_at=started)
    assert process_pending() == 0
    source.refresh_from_db()
    assert (source.status, source.processing_started_at) == ("processing", started)
    assert site.requests == []


def test_process_pending_stops_at_its_limit(chatbot, site):
    for _ in range(3):
        url_source(chatbot, site.url())
    assert process_pending(limit=2) == 2
    assert sorted(Source.objects.values_list("status", flat=True)) == ["pending", "ready", "ready"]


def test_source_worker_once_processes_every_pending_source_and_says_how_many(chatbot, site):
    first, second = url_source(chatbot, site.url()), url_source(chatbot, site.url("/gone"))
    out = StringIO()
    call_command("source_worker", "--once", stdout=out)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.character_count) == ("ready", len("Delivery\n\nWe ship worldwide."))
    assert (second.status, second.error) == ("failed", "The server answered 404.")
    assert out.getvalue() == "Processed 2 sources.\n"


def test_a_source_deleted_while_it_was_fetched_stays_deleted(chatbot, site):
    url_source(chatbot, site.url())
    claimed = claim_next_source()
    Source.objects.filter(pk=claimed.pk).delete()
    assert process_source(claimed) is None
    assert not Source.objects.exists()
    assert len(site.requests) == 1


def test_a_worker_that_lost_its_source_to_another_worker_does_not_overwrite_it(chatbot, site):
    url_source(chatbot, site.url(), processing_started_at=None)
    slow = claim_next_source()
    Source.objects.filter(pk=slow.pk).update(processing_started_at=timezone.now() - timedelta(minutes=10))
    fresh = claim_next_source()  # another worker takes over the now stale source
    assert process_source(slow) is None
    fresh.refresh_from_db()
    assert fresh.status == "processing"
    assert process_source(fresh).status == "ready"


def test_a_page_beyond_the_plans_knowledge_limit_fails_and_names_the_limit(chatbot, site):
    Plan.objects.filter(code=chatbot.account.plan_id).update(max_knowledge_characters=20)
    source = fetched(chatbot, site.url())
    assert source.status == "failed"
    assert source.error == (
        "The page's text (28 characters) would exceed the Starter plan's knowledge limit of 20 characters (0 used)."
    )
    assert source.character_count == 0


# The command runs until SIGTERM. Its loop manages its own database connections, which a test
# transaction would not survive: this test commits, and serialized_rollback restores the plans.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_source_worker_fetches_until_sigterm_then_stops_cleanly(chatbot, site):
    source = url_source(chatbot, site.url())
    default_handler = signal.getsignal(signal.SIGTERM)

    def terminate_once_the_page_was_requested():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if signal.getsignal(signal.SIGTERM) is not default_handler and site.requests:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.02)

    threading.Thread(target=terminate_once_the_page_was_requested, daemon=True).start()
    out = StringIO()
    call_command("source_worker", stdout=out)
    source.refresh_from_db()
    assert source.status == "ready"
    assert out.getvalue().endswith("Source worker stopped.\n")
    assert signal.getsignal(signal.SIGTERM) is default_handler
