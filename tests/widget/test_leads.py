"""The widget's lead form: POST /widget/v1/conversations/{id}/lead."""

import pytest

from chatbots.models import Conversation
from leads.models import Lead


@pytest.fixture
def conversation_id(widget):
    return widget.start()["conversation"]["id"]


def test_the_lead_form_creates_a_lead_linked_to_its_conversation(widget, chatbot, conversation_id):
    response = widget.leave_details(conversation_id, name="Dana Visitor", email="dana@example.org")
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert response.json() == {"lead": {"id": lead.pk}, "detail": "Thanks! We'll be in touch soon."}
    assert lead.conversation_id == conversation_id
    assert lead.chatbot == chatbot and lead.account == chatbot.account
    assert (lead.name, lead.email, lead.phone) == ("Dana Visitor", "dana@example.org", "")


def test_the_lead_shows_up_in_the_accounts_api_with_its_conversation(widget, conversation_id, api_client, other_api_client):
    widget.leave_details(conversation_id, name="Dana Visitor", email="dana@example.org")
    results = api_client.get("/api/leads").json()["results"]
    assert [(lead["email"], lead["conversation"]) for lead in results] == [("dana@example.org", conversation_id)]
    assert other_api_client.get("/api/leads").json()["results"] == []


def test_the_form_asks_for_the_phone_when_the_chatbot_collects_it(widget, chatbot, conversation_id):
    chatbot.lead_collect_name = False
    chatbot.lead_collect_email = False
    chatbot.lead_collect_phone = True
    chatbot.save()
    response = widget.leave_details(conversation_id, phone="+351 912 345 678", email="ignored@example.org")
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.phone) == ("", "", "+351 912 345 678")


@pytest.mark.parametrize(
    "details, field",
    [
        ({"name": "Dana"}, "email"),
        ({"email": "dana@example.org"}, "name"),
        ({"name": "Dana", "email": "not an email"}, "email"),
        ({"name": "Dana", "email": ["dana@example.org"]}, "email"),
        ({"name": "D" * 201, "email": "dana@example.org"}, "name"),
    ],
)
def test_missing_or_invalid_details_are_a_400_with_the_field_error(widget, conversation_id, details, field):
    response = widget.leave_details(conversation_id, **details)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize("phone", ["12", "call me maybe", "+1 (555) 010-0199 ext <script>"])
def test_a_phone_that_is_not_a_number_is_refused(widget, chatbot, conversation_id, phone):
    chatbot.lead_collect_phone = True
    chatbot.save()
    response = widget.leave_details(conversation_id, name="Dana", email="dana@example.org", phone=phone)
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]


def test_sending_the_form_again_updates_the_conversations_lead(widget, conversation_id):
    first = widget.leave_details(conversation_id, name="Dana", email="dana@exmaple.org").json()
    response = widget.leave_details(conversation_id, name="Dana", email="dana@example.org")
    assert response.status_code == 200
    assert response.json()["lead"]["id"] == first["lead"]["id"]
    assert list(Lead.objects.values_list("email", flat=True)) == ["dana@example.org"]


def test_a_chatbot_without_lead_capture_refuses_the_form(widget, chatbot, conversation_id):
    chatbot.lead_capture_enabled = False
    chatbot.save()
    response = widget.leave_details(conversation_id, name="Dana", email="dana@example.org")
    assert response.status_code == 403
    assert response.json()["code"] == "lead_capture_disabled"
    assert not Lead.objects.exists()


def test_a_lead_for_another_chatbots_conversation_is_a_404(widget, other_chatbot):
    other = Conversation.objects.create(account=other_chatbot.account, chatbot=other_chatbot)
    response = widget.leave_details(other.pk, name="Dana", email="dana@example.org")
    assert response.status_code == 404
    assert not Lead.objects.exists()
