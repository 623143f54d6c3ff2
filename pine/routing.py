"""Where every app's URLs are mounted. The prefixes are spelled here once; an app's ``urls.py``
lists its routes by area and calls :func:`pages` and :func:`api` to mount them."""

from django.urls import include, path

PARTNER = "p/<slug:partner_slug>/"  # a partner's pages, for its members
PRACTICE = "practice/"  # the practice team's pages
API_PARTNER = "partners/<slug:partner_slug>/"  # under /api/v1/
API_PRACTICE = "practice/"  # under /api/v1/


def _mounted(prefix: str, routes) -> list:
    return [path(prefix, include(list(routes)))] if routes else []


def pages(*, public=(), partner=(), practice=()) -> list:
    """An app's pages: public ones at their own paths, the others under the partner's or the
    practice team's prefix."""
    return [*public, *_mounted(PARTNER, partner), *_mounted(PRACTICE, practice)]


def api(*, user=(), partner=(), practice=()) -> list:
    """An app's API routes (mounted under /api/v1/): a user's own at their own paths, the others
    under the partner's or the practice team's prefix."""
    return [*user, *_mounted(API_PARTNER, partner), *_mounted(API_PRACTICE, practice)]
