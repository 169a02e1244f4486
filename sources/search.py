"""Finding the passages of a chatbot's ready sources that best match a visitor's question.

Sources are split into passages (`SourcePassage`) when they are saved, once the save is
committed (`Source.save`), so a visitor's question costs one search query and nothing else. On
PostgreSQL passages are ranked with full-text search (a GIN-indexed tsvector per passage, the
title weighted above the text); on SQLite, by keyword overlap. Either way a passage must share
enough of the question's words to count as a match, so that "no match" can be said honestly.
"""

import logging
import re
from dataclasses import dataclass
from functools import reduce
from operator import add, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When

from .models import Source, SourcePassage

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
PASSAGE_MAX_CHARS = 900  # longer paragraphs are split at sentences, then words
HEADING_MAX_CHARS = 120
MAX_TERMS = 16
SQLITE_MAX_CANDIDATES = 2000

# PostgreSQL's English stop words (tsearch_data/english.stop) and a few words every question has.
# Dropping the same words on both databases keeps "how many words matched" comparable.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now
    could would may might must shall please tell know want like get hi hello hey thanks thank""".split()
)
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


@dataclass(frozen=True)
class Passage:
    """What an `Answerer` gets: a passage's text, its source, and how well it matched."""

    source_id: str
    title: str
    text: str
    score: float = 0.0


def search(chatbot, question, limit):
    """The best `limit` passages of the chatbot's ready sources for `question`, best first."""
    terms = query_terms(question)
    if not terms:
        return []
    if connection.vendor == "postgresql":
        return _search_full_text(chatbot, terms, limit)
    return _search_keywords(chatbot, terms, limit)


def query_terms(question):
    """The question's distinct search words, in order, without stop words."""
    terms = []
    for word in WORD.findall(question.lower()):
        word = word.replace("’", "'").split("'")[0]  # "company's" -> "company", "don't" -> "don"
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()) or word in terms:
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def matches_needed(terms):
    # One shared word is too weak a match for a longer question ("do you sell gift cards?" is
    # not answered by "we accept all credit cards"); two are enough to be worth quoting.
    return 1 if len(terms) <= 2 else 2


# -- Building passages when a source is saved -------------------------------------------------

def index_source_after_commit(source_id):
    """`index_source`, run by `Source.save` once the save is committed. The save stands if this
    fails: the source keeps its previous passages until it is saved again or an operator runs
    `manage.py reindex_sources`."""
    try:
        index_source(source_id)
    except Exception:
        logger.exception("Source %s: its passages could not be rebuilt; run `manage.py reindex_sources`", source_id)


def index_source(source_id):
    """Replace the source's passages with those of its current text; a source that is not ready
    (or no longer exists) is left with none."""
    with transaction.atomic():
        # The row lock serialises two indexings of one source (two quick edits), which would
        # otherwise each delete the old passages and both insert new ones.
        source = Source.objects.select_for_update().filter(pk=source_id).first()
        SourcePassage.objects.filter(source_id=source_id).delete()
        if source is None or source.status != Source.Status.READY:
            return
        texts = split_passages(source.content) or [""]  # one passage even when empty: the title matches
        SourcePassage.objects.bulk_create(
            SourcePassage(source=source, position=position, title=source.title, text=text)
            for position, text in enumerate(texts)
        )
        if connection.vendor == "postgresql":
            SourcePassage.objects.filter(source=source).update(search_vector=search_vector())


def search_vector():
    """What a passage is found by on PostgreSQL: its source's title, weighted above its text."""
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector("text", weight="B", config=SEARCH_CONFIG)


def split_passages(text):
    """One passage per paragraph (long ones split at sentences, then words), each at most
    ~900 characters; a heading-like paragraph is kept with the paragraph after it."""
    passages, heading = [], ""
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        paragraph = re.sub(r"[ \t]+", " ", paragraph).strip()
        if not paragraph:
            continue
        if is_heading(paragraph):
            heading = f"{heading}\n\n{paragraph}".strip()
            continue
        parts = _split_long(paragraph)
        if heading:
            parts[0] = f"{heading}\n\n{parts[0]}"
            heading = ""
        passages.extend(parts)
    if heading:
        passages.append(heading)
    return passages


def is_heading(paragraph):
    """A short line that does not end a sentence ("Shipping", "Can I pay by card?")."""
    return len(paragraph) <= HEADING_MAX_CHARS and "\n" not in paragraph and not paragraph.endswith((".", "!"))


def _split_long(paragraph):
    if len(paragraph) <= PASSAGE_MAX_CHARS:
        return [paragraph]
    parts, current = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        while len(sentence) > PASSAGE_MAX_CHARS:  # a "sentence" with no end: cut at a space
            cut = sentence.rfind(" ", 0, PASSAGE_MAX_CHARS)
            cut = cut if cut > 0 else PASSAGE_MAX_CHARS
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > PASSAGE_MAX_CHARS:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        parts.append(current)
    return parts


# -- PostgreSQL: full-text search --------------------------------------------------------------

def _search_full_text(chatbot, terms, limit):
    # One query per word, OR-ed: a question's words are rarely all in the answer (websearch or
    # plain queries AND them). The number of words matched is counted, then ts_rank orders ties.
    queries = [SearchQuery(term, config=SEARCH_CONFIG, search_type="plain") for term in terms]
    any_term = reduce(or_, queries)
    matched = reduce(add, (Case(When(search_vector=q, then=Value(1)), default=Value(0)) for q in queries))
    rows = (
        SourcePassage.objects.filter(
            source__chatbot=chatbot, source__status=Source.Status.READY, search_vector=any_term
        )
        .annotate(matched=matched, rank=SearchRank(F("search_vector"), any_term))
        .filter(matched__gte=matches_needed(terms))
        .order_by("-matched", "-rank", "source_id", "position")
        .values("source_id", "title", "text", "matched", "rank")[:limit]
    )
    return [
        Passage(source_id=row["source_id"], title=row["title"], text=row["text"], score=row["matched"] + row["rank"])
        for row in rows
    ]


# -- SQLite: keyword overlap -------------------------------------------------------------------

def stem(word):
    """A crude English stemmer, enough to match "shipping" with "ships"."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipp(ing) -> ship
            return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _stems(text):
    return {stem(word) for word in WORD.findall(text.lower())}


def _search_keywords(chatbot, terms, limit):
    stems = list(dict.fromkeys(stem(term) for term in terms))
    # A cheap LIKE prefilter on each stem's first letters; the scoring below decides.
    prefixes = {s[:5] for s in stems}
    prefilter = reduce(or_, (Q(text__icontains=p) | Q(title__icontains=p) for p in prefixes))
    candidates = (
        SourcePassage.objects.filter(source__chatbot=chatbot, source__status=Source.Status.READY)
        .filter(prefilter)
        .values("source_id", "title", "text", "position")[:SQLITE_MAX_CANDIDATES]
    )
    needed = matches_needed(stems)
    scored = []
    for row in candidates:
        title_stems, text_stems = _stems(row["title"]), _stems(row["text"])
        matched = sum(1 for s in stems if s in title_stems or s in text_stems)
        if matched < needed:
            continue
        in_title = sum(1 for s in stems if s in title_stems)
        score = matched + 0.25 * in_title / len(stems)
        scored.append((-score, row["source_id"], row["position"], row))
    scored.sort(key=lambda item: item[:3])
    return [
        Passage(source_id=row["source_id"], title=row["title"], text=row["text"], score=-negative)
        for negative, _, _, row in scored[:limit]
    ]
