"""A URL source's job (sources.tasks.fetch_source), called as the function a worker runs: one
outcome per source, whatever ran before it, alongside it, or instead of it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Plan
from sources import tasks
from sources.models import Source
from sources.tasks import fetch_source
from tests.sources import ServerPool, fetched, page

HTML = "<html><head><title>Delivery</title></head><body><p>We ship worldwide.</p></body></html>"
TEXT = "Delivery\n\nWe ship worldwide."


@pytest.fixture
def site(settings):
    """A page the job may fetch (loopback is allowed for this test only)."""
    settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    with ServerPool() as pool:
        yield pool.start({"/": page(HTML)})


def url_source(chatbot, url, status="pending", **fields):
    return Source.objects.create(account=chatbot.account, chatbot=chatbot, type="url", url=url, status=status, **fields)


def test_the_job_stores_the_pages_text_and_title_and_marks_the_source_ready(chatbot, site):
    before = timezone.now()
    source = fetched(chatbot, site.url())
    assert (source.status, source.title, source.content, source.character_count) == ("ready", "Delivery", TEXT, len(TEXT))
    assert before <= source.processing_started_at <= timezone.now()
    assert len(site.requests) == 1


def test_a_page_that_cannot_be_fetched_fails_the_source_with_the_reason(chatbot, site):
    source = fetched(chatbot, site.url("/gone"))
    assert (source.status, source.error, source.content) == ("failed", "The server answered 404.", "")


@pytest.mark.parametrize("status", ["ready", "failed"])
def test_a_finished_source_is_not_fetched_again(chatbot, site, status):
    source = url_source(chatbot, site.url(), status=status)
    assert fetch_source(source_id=source.pk) is None
    source.refresh_from_db()
    assert source.status == status
    assert site.requests == []


def test_a_text_source_and_a_deleted_source_are_left_alone(chatbot, site):
    text = Source.objects.create(account=chatbot.account, chatbot=chatbot, type="text", content="Hi", status="pending")
    assert fetch_source(source_id=text.pk) is None
    assert fetch_source(source_id="src_doesnotexist0000000") is None
    text.refresh_from_db()
    assert text.status == "pending"
    assert site.requests == []


def test_a_source_left_processing_by_a_worker_that_died_is_fetched_by_the_retried_job(chatbot, site):
    source = url_source(chatbot, site.url(), status="processing", processing_started_at=timezone.now() - timedelta(minutes=1))
    assert fetch_source(source_id=source.pk).status == "ready"
    source.refresh_from_db()
    assert (source.status, source.content) == ("ready", TEXT)


def test_a_source_deleted_while_it_was_fetched_stays_deleted(chatbot, site, monkeypatch):
    source = url_source(chatbot, site.url())

    def fetch_then_delete(url):
        response = real_fetch(url)
        Source.objects.filter(pk=source.pk).delete()
        return response

    real_fetch = tasks.fetch
    monkeypatch.setattr(tasks, "fetch", fetch_then_delete)
    assert fetch_source(source_id=source.pk) is None
    assert not Source.objects.exists()
    assert len(site.requests) == 1


def test_a_run_taken_over_by_a_later_run_of_the_job_does_not_overwrite_its_outcome(chatbot, settings, monkeypatch):
    """A worker taken for dead (its heartbeats lost, say) may still finish after its job was run
    again elsewhere: the later run's outcome stands."""
    settings.SOURCE_FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    with ServerPool() as pool:
        old = pool.start({"/": page("<p>Old text</p>")})
        new = pool.start({"/": page("<p>New text</p>")})
        source = url_source(chatbot, old.url())
        real_fetch = tasks.fetch

        def slow_fetch(url):
            if url == old.url():  # the first run: meanwhile the job runs again, to the end
                Source.objects.filter(pk=source.pk).update(url=new.url())
                assert fetch_source(source_id=source.pk).content == "New text"
            return real_fetch(url)

        monkeypatch.setattr(tasks, "fetch", slow_fetch)
        assert fetch_source(source_id=source.pk) is None
    source.refresh_from_db()
    assert (source.status, source.content) == ("ready", "New text")


def test_a_page_beyond_the_plans_knowledge_limit_fails_and_names_the_limit(chatbot, site):
    Plan.objects.filter(code=chatbot.account.plan_id).update(max_knowledge_characters=20)
    source = fetched(chatbot, site.url())
    assert source.status == "failed"
    assert source.error == (
        "The page's text (28 characters) would exceed the Starter plan's knowledge limit of 20 characters (0 used)."
    )
    assert source.character_count == 0
