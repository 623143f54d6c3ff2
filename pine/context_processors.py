from django.utils.functional import SimpleLazyObject


def navigation(request):
    """What the header shows: the signed-in user's partners come from the page's own context; the
    count of their unread notifications is read (one query) only when a page shows it."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "is_practice_team": signed_in and user.is_practice_team,
        "unread_notifications": SimpleLazyObject(lambda: _unread_count(request)) if signed_in else None,
    }


def _unread_count(request) -> int | None:
    """None where the page's transaction does not name the user (public pages, error pages):
    row-level security would hide some of their notifications there, so no count is shown."""
    from pine import selectors
    from pine.scoping import PartnerView, PracticeView, SignedInView

    view_class = getattr(getattr(getattr(request, "resolver_match", None), "func", None), "view_class", None)
    if view_class is None or not issubclass(view_class, (SignedInView, PartnerView, PracticeView)):
        return None
    return selectors.notification_unread_count(user=request.user)
