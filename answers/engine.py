"""The answering engine, one for the chat widget and the chat API.

The rules, in order:
- A person's message costs one of the account's monthly message credits, counted in the
  transaction that stores it (`accept_message`): no credit, no message and no answer.
- The best passages of the chatbot's ready sources are found locally (`sources.search`); only
  passages that match well enough count.
- Grounding: no passage, no model. The bot gives the chatbot's fallback answer (and the caller
  may offer the lead form).
- With LLM_BASE_URL set, a model writes the answer from the chatbot's instructions, the numbered
  passages and the conversation so far, citing passages inline as [n]. Citations are renumbered
  in the order they first appear, so that `[n]` in the stored text is `cited_sources[n-1]`;
  numbers that point at no passage are dropped. An answer that cites nothing cites the passages
  it was given, as the extractive answer does.
- Without a model, or when it fails or times out, the passages themselves answer (extractive),
  and the failure is logged: a person never sees a stack trace or an empty bubble. Only a stream
  that already sent part of a model's answer cannot take it back: it stops (`AnswerInterrupted`),
  and what was sent is what is stored.
"""

import logging
import re

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from chatbots.api import ConversationSerializer, MessageSerializer
from chatbots.models import Conversation, Message
from sources import search
from usage.limits import use_message_credit
from webhooks.events import emit

from . import llm

logger = logging.getLogger(__name__)

HISTORY_FOR_MODEL = 10  # earlier messages sent to the model with the question


class AnswerInterrupted(Exception):
    """A streamed model answer failed after part of it was sent; that part is stored."""


def open_conversation(*, chatbot, channel, visitor_id="", user_id=""):
    """A new conversation with the chatbot, announced to webhooks in the same transaction."""
    with transaction.atomic():
        conversation = Conversation.objects.create(
            account_id=chatbot.account_id, chatbot=chatbot, channel=channel, visitor_id=visitor_id, user_id=user_id
        )
        emit(chatbot.account_id, "conversation.started", ConversationSerializer(conversation).data)
    conversation.chatbot = chatbot  # already loaded, with its account and plan
    return conversation


def accept_message(*, conversation, content):
    """Store the person's message, using one of the account's message credits; None when none
    are left (and nothing is stored). One transaction: a message that cannot be stored gives its
    credit back."""
    now = timezone.now()
    with transaction.atomic():
        if not use_message_credit(account=conversation.chatbot.account, now=now):
            return None
        return store_message(conversation, role=Message.Role.USER, content=content, created_at=now)


def store_message(conversation, **fields):
    """Insert the conversation's message, count it and announce it (message.created), or none of
    them."""
    with transaction.atomic():
        message = Message.objects.create(conversation=conversation, **fields)
        Conversation.objects.filter(pk=conversation.pk).update(
            message_count=F("message_count") + 1, last_message_at=message.created_at
        )
        # As the API shows a message (inside its conversation), with the conversation it belongs to.
        emit(conversation.account_id, "message.created", {**MessageSerializer(message).data, "conversation": conversation.pk})
    return message


class Answer:
    """The bot's answer to `user_message`, the person's message just accepted.

    Iterate it for the text as it is written (what a stream sends); once the iteration ends, the
    answer is stored as `message`, whose id is known from the start (a stream announces it
    first). `text()` does it all at once. `streaming`: send a model's words as they come, rather
    than after the whole answer (when a failure midway can still fall back to the passages).
    `invitation` is added to the fallback answer (the widget's invitation to leave details).
    """

    def __init__(self, user_message, *, streaming=False, invitation=""):
        self.user_message = user_message
        self.conversation = user_message.conversation
        self.chatbot = self.conversation.chatbot
        self.streaming, self.invitation = streaming, invitation
        self.passages = search.search(self.chatbot, user_message.content, limit=settings.WIDGET_PASSAGES_PER_ANSWER)
        self.answered = bool(self.passages)  # False: the fallback answer
        self.message = Message(conversation=self.conversation, role=Message.Role.ASSISTANT)  # its id, until stored

    def text(self):
        return "".join(self)

    def __iter__(self):
        if not self.passages:
            text = self.chatbot.fallback_answer + self.invitation
            self._store(text, [], Message.Engine.EXTRACTIVE)
            yield text
        elif llm.configured():
            yield from self._generated()
        else:
            yield from self._extractive()

    def _extractive(self):
        text = get_answerer(self.chatbot).answer(self.user_message.content, self.passages)
        self._store(text, passage_sources(self.passages), Message.Engine.EXTRACTIVE)
        yield text

    def _generated(self):
        citations, usage, written = Citations(self.passages), {}, []
        try:
            for piece in llm.stream_completion(self.prompt(), usage):
                text = citations.feed(piece)
                if text:
                    written.append(text)
                    if self.streaming:
                        yield text
            if not "".join(written).strip():
                raise llm.ModelFailed("an empty answer")
        except llm.ModelFailed as failure:
            logger.error(
                "Model %s failed for chatbot %s (%s); answering with the passages", settings.LLM_MODEL, self.chatbot.pk, failure
            )
            if self.streaming and written:
                self._store("".join(written), citations.cited or passage_sources(self.passages), Message.Engine.LLM, usage)
                raise AnswerInterrupted(str(failure)) from None
            yield from self._extractive()
            return
        rest = citations.finish()
        written.append(rest)
        self._store("".join(written), citations.cited or passage_sources(self.passages), Message.Engine.LLM, usage)
        if not self.streaming:
            yield "".join(written)
        elif rest:
            yield rest

    def prompt(self):
        """The messages for the model: the rules and the numbered passages, the conversation so
        far, then the question."""
        chatbot = self.chatbot
        numbered = "\n\n".join(f"[{n}] {passage.title}\n{passage.text}" for n, passage in enumerate(self.passages, 1))
        system = f"You are {chatbot.name}, an assistant on a company's website.\n\n"
        if chatbot.instructions:
            system += f"The company's instructions:\n{chatbot.instructions}\n\n"
        system += (
            "Answer only from the numbered passages below. After each statement, cite the passage it "
            "comes from as [1], [2] and so on. If the passages do not answer the question, say that you "
            f"do not know.\n\nPassages:\n\n{numbered}"
        )
        earlier = (
            self.conversation.messages.exclude(pk=self.user_message.pk)
            .filter(created_at__lte=self.user_message.created_at)
            .order_by("-created_at", "-id")[:HISTORY_FOR_MODEL]
        )
        history = [{"role": message.role, "content": message.content} for message in reversed(earlier)]
        return [{"role": "system", "content": system}, *history, {"role": "user", "content": self.user_message.content}]

    def _store(self, text, cited, engine, usage=None):
        usage = usage or {}
        self.message = store_message(
            self.conversation, id=self.message.pk, role=Message.Role.ASSISTANT, content=text, cited_sources=cited,
            engine=engine, model=settings.LLM_MODEL if engine == Message.Engine.LLM else "",
            prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
            created_at=timezone.now(),
        )


class Citations:
    """Rewrites a model's inline citations as its text streams in: `[n]` pointing at passage n
    becomes `[k]`, k being its source's place in `cited` (each source once, in the order first
    cited); a number that points at no passage is dropped. The end of a piece that could be the
    start of a citation ("… [1") is held back until the next piece says what it is."""

    MARKER = re.compile(r"\[(\d{1,4})\]")
    UNFINISHED = re.compile(r"\[\d{0,4}$")

    def __init__(self, passages):
        self.passages = passages
        self.cited, self._numbers, self._held = [], {}, ""

    def feed(self, piece):
        text = self._held + piece
        unfinished = self.UNFINISHED.search(text)
        cut = unfinished.start() if unfinished else len(text)
        text, self._held = text[:cut], text[cut:]
        return self.MARKER.sub(self._renumber, text)

    def finish(self):
        text, self._held = self._held, ""
        return text  # an unfinished "[1" at the very end is only text

    def _renumber(self, match):
        n = int(match.group(1))
        if not 1 <= n <= len(self.passages):
            return ""
        passage = self.passages[n - 1]
        if passage.source_id not in self._numbers:
            self._numbers[passage.source_id] = len(self._numbers) + 1
            self.cited.append({"id": passage.source_id, "title": passage.title})
        return f"[{self._numbers[passage.source_id]}]"


def passage_sources(passages):
    """Each passage's source once, in the order of its best passage."""
    titles = {}
    for passage in passages:
        titles.setdefault(passage.source_id, passage.title)
    return [{"id": source_id, "title": title} for source_id, title in titles.items()]


class Answerer:
    """Turns the best passages of the chatbot's sources (never an empty list) into the reply
    when no model is configured, or when it fails.

    The one in use is named by the WIDGET_ANSWERER setting. The default quotes the passages: no
    model, no network, no cost.
    """

    def __init__(self, chatbot):
        self.chatbot = chatbot  # its name and instructions, for answerers that can use them

    def answer(self, question, passages):
        raise NotImplementedError


class ExtractiveAnswerer(Answerer):
    """Replies with the best-matching passages themselves, best first."""

    def answer(self, question, passages):
        return "\n\n".join(passage.text or passage.title for passage in passages)


def get_answerer(chatbot):
    return import_string(settings.WIDGET_ANSWERER)(chatbot)
