from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Cursor pagination: the same cost on page 1 and page 1,000, and no COUNT(*)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class NewestConversationFirstPagination(NewestFirstCursorPagination):
    ordering = ("-started_at", "-id")
