"""The widget's settings, each with a default, so none has to be set in pivra/settings.py.

- WIDGET_ANSWERER: dotted path of the `Answerer` that turns passages into a reply
  (default: the extractive one, which needs no language model).
- WIDGET_RATE_LIMIT_PER_IP / WIDGET_RATE_LIMIT_PER_CHATBOT: widget requests a minute, counted in
  the Django cache (shared by every worker when Redis is configured).
- WIDGET_PASSAGES_PER_ANSWER: how many of the best passages an answer is built from.
"""

from django.conf import settings

DEFAULTS = {
    "WIDGET_ANSWERER": "widget.answering.ExtractiveAnswerer",
    "WIDGET_RATE_LIMIT_PER_IP": 30,
    "WIDGET_RATE_LIMIT_PER_CHATBOT": 600,
    "WIDGET_PASSAGES_PER_ANSWER": 2,
}


def get(name):
    return getattr(settings, name, DEFAULTS[name])
