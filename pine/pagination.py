"""API pagination. Its own module: DRF imports it while DRF itself is being imported."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``, with limits a database can take."""

    default_limit = 50
    max_limit = 500
    max_offset = 2**31 - 1

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)

    def paginate_queryset(self, queryset, request, view=None):
        """REST framework's page, without its COUNT query when the page itself tells the count: a
        page that is not full, and not past the end, holds the last rows (most lists are one such
        page). Otherwise the rows are counted, as REST framework does."""
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        page = list(queryset[self.offset : self.offset + self.limit])
        if len(page) < self.limit and (page or self.offset == 0):
            self.count = self.offset + len(page)
        else:
            self.count = self.get_count(queryset)
            if self.count == 0 or self.offset > self.count:
                page = []
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return page
