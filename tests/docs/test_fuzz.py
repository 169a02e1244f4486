"""Schema-driven fuzzing: schemathesis sends generated requests, valid and invalid, for every
operation in the schema to a live server with a real Starter-plan key, and checks that none is a
500 and that every status code, header and body is the one the schema documents.

The operations come from the committed docs/openapi.yaml, which test_schema.py proves is what
the code generates and what /api/schema/ serves. Each operation is its own test, with its own
freshly seeded account, so a DELETE cannot starve the operations after it.

Bounded for CI: a fixed number of examples per operation, derandomized so every run sends the
same requests (a failure reproduces), and no shrinking of failures.
"""

import zlib
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Plan
from apikeys.models import ApiKey
from chatbots.models import Chatbot, Conversation
from leads.models import Lead
from sources.models import Source
from webhooks.models import WebhookEndpoint
from tests.factories import make_conversation, make_leads, make_text_source
from tests.conftest import make_account

# live_server answers from another thread, so the seeded rows must be committed
# (transactional_db); serialized_rollback restores the migration-seeded plans after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance,
]


@pytest.fixture
def seeded(transactional_db):
    """A Starter-plan account with one of everything the API serves, and its key."""
    plan = Plan.objects.get(code="starter")
    # So that 429s and "plan allows 3 chatbots" 400s do not crowd out everything else:
    # tests/usage and tests/chatbots cover both limits.
    plan.api_requests_per_minute = 1_000_000
    plan.max_chatbots = 1_000
    plan.save(update_fields=["api_requests_per_minute", "max_chatbots"])
    account = make_account("Fuzz Co", plan="starter")
    _, raw_key = ApiKey.objects.create_key(account=account, label="Fuzzing", created_by=None)
    chatbot = Chatbot.objects.create(account=account, name="Support bot", allowed_domains=["example.com"])
    conversation = make_conversation(chatbot, [
        ("user", "Do you ship to Ireland?", []),
        ("assistant", "Yes, in 3 days.", [{"id": "src_x", "title": "Shipping"}]),
    ])
    sources = [
        make_text_source(chatbot),
        Source.objects.create(
            account=account, chatbot=chatbot, type=Source.Type.QA, title="Returns?", content="30 days.",
            status=Source.Status.READY,
        ),
        Source.objects.create(
            account=account, chatbot=chatbot, type=Source.Type.URL, url="https://example.com/faq",
            status=Source.Status.FAILED, error="The page answered 404.",
        ),
    ]
    leads = [
        *make_leads(account, chatbot, 2, conversation=conversation, custom_fields={"company": "Acme"}),
        Lead.objects.create(account=account, chatbot=None, conversation=None, name="Phone only", phone="+44 20 7946 0958"),
    ]
    endpoint = WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/pivra", events=["lead.created"])
    return {
        "account": account,
        "raw_key": raw_key,
        "chatbot": chatbot,
        "ids": {
            "chatbots": [chatbot.pk],
            "conversations": [conversation.pk],
            "sources": [source.pk for source in sources],
            "leads": [lead.pk for lead in leads],
            "webhook-endpoints": [endpoint.pk],
        },
    }


def make_throwaway(resource, seeded):
    """A fresh object to DELETE, so the seeded ones stay for the other operations."""
    account, chatbot = seeded["account"], seeded["chatbot"]
    if resource == "chatbots":
        return Chatbot.objects.create(account=account, name="Throwaway")
    if resource == "sources":
        return make_text_source(chatbot, title="Throwaway")
    if resource == "webhook-endpoints":
        return WebhookEndpoint.objects.create(account=account, url="https://hooks.example.com/old", events=["lead.created"])
    return make_leads(account, chatbot, 1)[0]


# Loaded at collection time, so that each operation is a test of its own. (schemathesis's
# from_fixture() would run them all in one test, and does not run on pytest 9 yet.)
schema = schemathesis.openapi.from_path(
    Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml",
    config=schemathesis.Config.from_dict({
        "seed": 6,
        "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True, "no-shrink": True},
        "request-timeout": 30,
    }),
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_generated_requests_as_documented(case, seeded, live_server):
    # Generated ids and chatbot references almost never exist; about half the examples point
    # them at the seeded account's objects instead, so the 200 and 201 paths are fuzzed too.
    # (Chosen from the case itself: schemathesis refuses extra @given strategies beside examples.)
    choice = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    if choice % 2:
        pick = choice // 2
        resource = case.operation.path.split("/")[2]
        if "id" in (case.path_parameters or {}):
            if case.method.upper() == "DELETE":
                case.path_parameters["id"] = make_throwaway(resource, seeded).pk
            else:
                ids = seeded["ids"][resource]
                case.path_parameters["id"] = ids[pick % len(ids)]
        if "chatbot" in (case.query or {}):
            case.query["chatbot"] = seeded["chatbot"].pk
        if isinstance(case.body, dict) and "chatbot" in case.body:
            case.body["chatbot"] = seeded["chatbot"].pk
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {seeded['raw_key']}"}
    case.call_and_validate(base_url=live_server.url, checks=CHECKS)
