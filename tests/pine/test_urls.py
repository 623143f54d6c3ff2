"""pine.urls: the API's routes are tried before the pages' (whose includes have empty prefixes), and
no page's route could answer an API path, so that order changes which routes are walked, never
which view answers."""

import uuid

from django.urls import URLPattern, URLResolver, get_resolver, resolve

API_PATHS = [
    "/api/v1/me/",
    "/api/v1/partners/some-partner/evaluations/",
    f"/api/v1/partners/some-partner/evaluations/{uuid.uuid4()}/submissions/",
    "/api/v1/practice/evaluations/",
    "/api/v1/published/",
]


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def test_no_page_route_starts_where_an_api_path_does():
    # A route whose first segment is a converter (or "api/") could take an API path if it came first.
    pages = [route for route in _routes(get_resolver().url_patterns) if not route.startswith("api/")]
    assert pages
    assert not [route for route in pages if route.startswith("<")], "a page route could match any path"


def test_an_api_path_reaches_its_view_without_walking_the_pages_routes():
    for path in API_PATHS:
        match = resolve(path)
        assert match.route.startswith("api/v1/"), (path, match.route)
        walked = ["".join(str(p.pattern) for p in tried) for tried in match.tried]  # the routes tried first
        assert all(route.startswith("api/v1/") for route in walked), (path, [r for r in walked if not r.startswith("api/")][:5])


def test_the_pages_still_resolve_to_their_own_views():
    assert resolve("/").url_name == "root"
    assert resolve("/healthz").url_name == "healthz"
    assert resolve("/home/").url_name == "home"
    assert resolve("/api/docs/").url_name == "api-docs"
