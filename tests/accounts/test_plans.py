"""The four plans exist, with the limits pinned in the spec."""

import pytest

from accounts.models import Plan

PINNED = {
    # code: (name, credits/month, chatbots, knowledge characters, members, API keys, API requests/min)
    "free": ("Free", 50, 1, 400_000, 1, False, 0),
    "starter": ("Starter", 2_000, 3, 5_000_000, 3, True, 120),
    "growth": ("Growth", 10_000, 10, 20_000_000, 10, True, 600),
    "business": ("Business", 50_000, 50, 100_000_000, 50, True, 3_000),
}


def test_exactly_the_four_plans_exist_in_order(db):
    assert list(Plan.objects.values_list("code", flat=True)) == ["free", "starter", "growth", "business"]


@pytest.mark.parametrize("code", PINNED)
def test_each_plan_has_its_pinned_limits(db, code):
    plan = Plan.objects.get(code=code)
    assert (
        plan.name,
        plan.monthly_message_credits,
        plan.max_chatbots,
        plan.max_knowledge_characters,
        plan.max_members,
        plan.api_keys_allowed,
        plan.api_requests_per_minute,
    ) == PINNED[code]
