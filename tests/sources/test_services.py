"""create_source: the one way a source is added for an account, within its plan's knowledge limit."""

import pytest

from accounts.models import Plan
from sources.models import Source
from sources.services import create_source
from tests.factories import make_text_source
from usage.limits import KnowledgeLimitReached


@pytest.fixture
def hundred_characters(account):
    Plan.objects.filter(code=account.plan_id).update(max_knowledge_characters=100)
    account.refresh_from_db()


def test_a_text_source_is_ready_at_once_and_counts_its_text(account, chatbot):
    source = create_source(account=account, chatbot=chatbot, type="text", title="Shipping", content="We ship in 3 days.")
    assert (source.status, source.character_count) == ("ready", len("We ship in 3 days."))


def test_a_url_source_is_pending_until_its_job_has_fetched_it(account, chatbot):
    source = create_source(account=account, chatbot=chatbot, type="url", url="https://example.com/faq")
    assert (source.status, source.character_count) == ("pending", 0)


def test_a_source_that_fills_the_plan_exactly_is_added(account, chatbot, hundred_characters):
    make_text_source(chatbot, content="x" * 90)
    create_source(account=account, chatbot=chatbot, type="text", content="y" * 10)
    assert Source.objects.count() == 2


def test_a_qa_sources_question_and_answer_both_count_against_the_limit(account, chatbot, hundred_characters):
    make_text_source(chatbot, content="x" * 90)
    with pytest.raises(KnowledgeLimitReached) as refused:
        create_source(account=account, chatbot=chatbot, type="qa", title="Q" * 6, content="A" * 5)
    assert str(refused.value) == (
        "This source (11 characters) would exceed your Starter plan's knowledge limit of 100 characters (90 used)."
    )
    assert Source.objects.count() == 1


def test_another_accounts_sources_leave_this_accounts_room_alone(account, chatbot, other_chatbot, hundred_characters):
    make_text_source(other_chatbot, content="x" * 100)
    create_source(account=account, chatbot=chatbot, type="text", content="y" * 100)
    assert Source.objects.for_account(account).count() == 1
