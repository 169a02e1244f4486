from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Cursor pagination: the same cost on page 1 and page 1,000, and no COUNT(*)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    cursor_query_description = (
        "Where to continue: an opaque value taken from the `next` or `previous` link of the page "
        "before. Leave it out for the first (newest) page. A cursor you did not get from us is a 404."
    )
    page_size_query_description = "Results a page: 50 by default, at most 100 (larger values are treated as 100)."

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "default": self.page_size}
        return parameters

    def get_paginated_response_schema(self, schema):
        link = "https://app.pivra.example/api/leads?cursor=cD0yMDI2LTA1LTAxKzA5JTNBMzAlM0EwMC4wMDAwMDAlMkIwMCUzQTAw"
        return {
            "type": "object",
            "description": "One page of results, newest first.",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string", "format": "uri", "nullable": True, "example": link,
                    "description": "The next (older) page, to request as it is; null on the last page.",
                },
                "previous": {
                    "type": "string", "format": "uri", "nullable": True, "example": None,
                    "description": "The previous (newer) page; null on the first page.",
                },
                "results": schema,
            },
        }


class NewestConversationFirstPagination(NewestFirstCursorPagination):
    ordering = ("-started_at", "-id")
