"""Answers from a model, grounded in the passages: the prompt, citations, fallbacks, what is recorded."""

import logging

import pytest

from answers.engine import Answer, Citations, accept_message, open_conversation
from chatbots.models import Conversation, Message
from sources.search import Passage

from .conftest import FAKE_KEY, MODEL, SHIPPING

QUESTION = "How long does delivery to Canada take?"


def ask(chatbot, content=QUESTION, *, conversation=None, streaming=False):
    conversation = conversation or open_conversation(chatbot=chatbot, channel=Conversation.Channel.API)
    answer = Answer(accept_message(conversation=conversation, content=content), streaming=streaming)
    pieces = list(answer)
    return answer, pieces


def test_with_a_model_configured_the_model_writes_the_answer_and_it_is_recorded(chatbot, knowledge, model_server):
    model_server.reply = "About a week [1]."
    answer, _ = ask(chatbot)
    message = Message.objects.get(pk=answer.message.pk)
    assert message.content == "About a week [1]."
    assert message.cited_sources == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]
    assert (message.engine, message.model, message.prompt_tokens, message.completion_tokens) == ("llm", MODEL, 120, 12)
    assert answer.answered is True


def test_the_prompt_has_the_instructions_the_numbered_passages_the_history_and_the_question(
    chatbot, knowledge, model_server
):
    chatbot.instructions = "Always answer in one sentence."
    chatbot.save()
    model_server.reply = "About a week [1]."
    first, _ = ask(chatbot)
    ask(chatbot, "And to Canada by express shipping?", conversation=first.conversation)

    sent = model_server.requests[-1]
    assert sent["model"] == MODEL and sent["stream"] is True
    system, *history, question = sent["messages"]
    assert system["role"] == "system"
    assert "Always answer in one sentence." in system["content"]
    assert f"[1] Shipping policy\nAbout us\n\n{SHIPPING}" in system["content"]
    assert "[1], [2]" in system["content"]
    assert history == [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "About a week [1]."}]
    assert question == {"role": "user", "content": "And to Canada by express shipping?"}
    assert model_server.headers[-1]["Authorization"] == f"Bearer {FAKE_KEY}"


def test_no_matching_passage_means_no_model_call_and_the_chatbots_fallback_answer(chatbot, knowledge, model_server):
    chatbot.fallback_answer = "I don't know that one, sorry."
    chatbot.save()
    answer, pieces = ask(chatbot, "Do you sell gift vouchers for birthdays?")
    assert pieces == ["I don't know that one, sorry."]
    assert answer.answered is False
    assert model_server.requests == []
    assert Message.objects.get(pk=answer.message.pk).engine == "extractive"


def test_without_a_model_the_passages_answer_unchanged(chatbot, knowledge, settings):
    assert settings.LLM_BASE_URL == ""
    answer, pieces = ask(chatbot)
    assert SHIPPING in pieces[0]
    message = Message.objects.get(pk=answer.message.pk)
    assert (message.engine, message.model, message.prompt_tokens) == ("extractive", "", None)


@pytest.mark.parametrize("failure", ["status", "timeout", "refused", "malformed"])
def test_a_failing_model_gives_the_extractive_answer_and_logs_why_without_the_key(
    chatbot, knowledge, model_server, settings, caplog, failure
):
    if failure == "status":
        model_server.status = 500
    elif failure == "timeout":
        settings.LLM_TIMEOUT_SECONDS = 0.3
        model_server.delay = 3
    elif failure == "refused":
        settings.LLM_BASE_URL = "http://127.0.0.1:1/v1"
    else:
        model_server.fail_after = 0
    with caplog.at_level(logging.ERROR, logger="answers.engine"):
        answer, pieces = ask(chatbot)
    assert SHIPPING in "".join(pieces)
    message = Message.objects.get(pk=answer.message.pk)
    assert message.engine == "extractive" and message.content == "".join(pieces)
    assert message.cited_sources == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]
    assert any("answering with the passages" in record.getMessage() for record in caplog.records)
    assert FAKE_KEY not in caplog.text


def test_an_empty_model_answer_gives_the_extractive_answer(chatbot, knowledge, model_server):
    model_server.reply = "   "
    _, pieces = ask(chatbot)
    assert SHIPPING in "".join(pieces)


def test_a_stream_that_fails_before_any_text_falls_back_to_the_passages(chatbot, knowledge, model_server):
    model_server.fail_after = 0
    answer, pieces = ask(chatbot, streaming=True)
    assert SHIPPING in "".join(pieces)
    assert Message.objects.get(pk=answer.message.pk).content == "".join(pieces)


def test_a_stream_that_fails_midway_stops_and_keeps_what_was_sent(chatbot, knowledge, model_server):
    from answers.engine import AnswerInterrupted

    model_server.reply, model_server.fail_after = "About a week, with tracking [1].", 2
    conversation = open_conversation(chatbot=chatbot, channel=Conversation.Channel.API)
    answer = Answer(accept_message(conversation=conversation, content=QUESTION), streaming=True)
    sent = []
    with pytest.raises(AnswerInterrupted):
        for piece in answer:
            sent.append(piece)
    assert "".join(sent) == "About a "
    assert Message.objects.get(pk=answer.message.pk).content == "About a "


PASSAGES = [
    Passage(source_id="src_a", title="Shipping", text="…"),
    Passage(source_id="src_b", title="Returns", text="…"),
    Passage(source_id="src_a", title="Shipping", text="…"),
]


def cite(*pieces):
    citations = Citations(PASSAGES)
    text = "".join(citations.feed(piece) for piece in pieces) + citations.finish()
    return text, citations.cited


def test_citations_are_renumbered_by_source_in_order_of_first_use():
    assert cite("Returns take 30 days [2]; shipping a week [1][3].") == (
        "Returns take 30 days [1]; shipping a week [2][2].",
        [{"id": "src_b", "title": "Returns"}, {"id": "src_a", "title": "Shipping"}],
    )


def test_citations_pointing_at_no_passage_are_dropped():
    assert cite("A week [4], or two [0] [1].") == ("A week , or two  [1].", [{"id": "src_a", "title": "Shipping"}])


def test_a_citation_split_across_pieces_is_still_mapped():
    assert cite("A week [", "2", "] and [", "9]", " done [1") == ("A week [1] and  done [1", [{"id": "src_b", "title": "Returns"}])


def test_an_answer_without_citations_cites_the_passages_it_was_given(chatbot, knowledge, model_server):
    model_server.reply = "About a week."
    answer, _ = ask(chatbot)
    assert answer.message.cited_sources == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]


def test_invalid_citations_are_dropped_from_the_stored_answer(chatbot, knowledge, model_server):
    model_server.reply = "About a week [1][7]."
    answer, pieces = ask(chatbot, streaming=True)
    assert "".join(pieces) == "About a week [1]." == Message.objects.get(pk=answer.message.pk).content
