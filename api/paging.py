"""The dashboard's tables (Leads, Conversations, a chatbot's sources, API keys): a page at a time,
newest first, with an "Older" link, and the From / To dates some are filtered by. The REST API
pages with DRF's cursor pagination (api/pagination.py); the pages use this plain keyset form of
the same idea."""

from datetime import datetime, time, timezone

from django.db.models import Q

from .fields import public_id_or_none

PAGE_SIZE = 50


def keyset_page(rows, older_than, *, by="created_at", size=PAGE_SIZE):
    """`size` of `rows` newest first by (`by`, id), after the row whose id is `older_than`, and
    the id the next page starts after (None on the last page). The row is looked up in `rows`, so
    an id from another account (or none at all) gives the first page. Keyset, not OFFSET: the
    thousandth page costs what the first does."""
    older_than = public_id_or_none(older_than)
    if older_than and (last := rows.filter(pk=older_than).values(by, "id").first()):
        rows = rows.filter(Q(**{f"{by}__lt": last[by]}) | Q(**{by: last[by], "id__lt": last["id"]}))
    page = list(rows.order_by(f"-{by}", "-id")[: size + 1])
    return page[:size], (page[size - 1].pk if len(page) > size else None)


def on_dates(rows, field, start, end):
    """`rows` whose `field` falls on or between the days `start` and `end` (YYYY-MM-DD, UTC, as a
    form's date inputs send them). An unreadable date filters nothing rather than failing the page."""
    if start := _day(start):
        rows = rows.filter(**{f"{field}__gte": datetime.combine(start, time.min, tzinfo=timezone.utc)})
    if end := _day(end):
        rows = rows.filter(**{f"{field}__lte": datetime.combine(end, time.max, tzinfo=timezone.utc)})
    return rows


def _day(value):
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
