"""The reply is written by the Answerer that WIDGET_ANSWERER names, from the best passages."""

from sources.search import Passage
from answers.engine import Answerer, ExtractiveAnswerer

from .conftest import SHIPPING, make_source


class EchoingAnswerer(Answerer):
    """What a language-model answerer would get: the question, the passages and the chatbot."""

    def answer(self, question, passages):
        titles = ", ".join(passage.title for passage in passages)
        return f"{self.chatbot.name} read {titles} for: {question}"


def test_the_answerer_is_chosen_by_a_setting(widget, knowledge, settings):
    settings.WIDGET_ANSWERER = "tests.widget.test_answering.EchoingAnswerer"
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert reply["content"] == "Support bot read Shipping policy for: How long does delivery to Canada take?"
    assert reply["cited_sources"] == [{"id": knowledge["shipping"].pk, "title": "Shipping policy"}]


def test_the_default_answerer_quotes_the_passages_best_first(chatbot):
    passages = [
        Passage(source_id="src_1", title="Shipping policy", text=SHIPPING, score=3.2),
        Passage(source_id="src_2", title="FAQ", text="Canada Post delivers our parcels.", score=2.1),
    ]
    assert ExtractiveAnswerer(chatbot).answer("Canada?", passages) == f"{SHIPPING}\n\nCanada Post delivers our parcels."


def test_an_answer_from_two_sources_cites_both_in_order(widget, chatbot, knowledge):
    post = make_source(chatbot, "Carriers", "Parcels to Canada travel with Canada Post, and delivery is tracked.")
    conversation_id = widget.start()["conversation"]["id"]
    reply = widget.ask(conversation_id, "How long does delivery to Canada take?").json()["reply"]
    assert [source["id"] for source in reply["cited_sources"]] == [knowledge["shipping"].pk, post.pk]
    assert SHIPPING in reply["content"] and "Canada Post" in reply["content"]
