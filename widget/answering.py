"""Turning the best passages into the bot's reply.

An `Answerer` is chosen by the WIDGET_ANSWERER setting, so a language-model provider can be
plugged in later (a subclass whose `answer` sends the question, the chatbot's instructions and
the passages to the model). The default quotes the passages: no model, no network, no cost.
"""

from django.utils.module_loading import import_string

from . import conf


class Answerer:
    """Answers a visitor's question from passages of the chatbot's sources (never an empty list)."""

    def __init__(self, chatbot):
        self.chatbot = chatbot  # its name and instructions, for answerers that can use them

    def answer(self, question, passages):
        raise NotImplementedError


class ExtractiveAnswerer(Answerer):
    """Replies with the best-matching passages themselves, best first."""

    def answer(self, question, passages):
        return "\n\n".join(passage.text or passage.title for passage in passages)


def get_answerer(chatbot):
    return import_string(conf.get("WIDGET_ANSWERER"))(chatbot)
