from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size capped at 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
