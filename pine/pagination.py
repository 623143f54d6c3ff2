"""API pagination. Its own module: DRF imports it while DRF itself is being imported."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``, with limits a database can take."""

    default_limit = 50
    max_limit = 500
    max_offset = 2**31 - 1

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)
