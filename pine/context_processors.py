from django.utils.functional import SimpleLazyObject


def navigation(request):
    """What the header shows: the signed-in user's partners come from the page's own context; the
    count of their unread notifications is read (one query) only when a page shows it, and so is,
    for a practice admin, the count of registrations waiting for the practice team to confirm."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "is_practice_team": signed_in and user.is_practice_team,
        "unread_notifications": SimpleLazyObject(lambda: _unread_count(request)) if signed_in else None,
        "registrations_waiting": SimpleLazyObject(lambda: _registrations_waiting(request)) if signed_in else None,
    }


def _registrations_waiting(request) -> int | None:
    """On the practice team's pages, for a practice admin: how many registrations wait (else None)."""
    from pine import selectors
    from pine.access import ADMINS
    from pine.scoping import PracticeView

    view_class = getattr(getattr(getattr(request, "resolver_match", None), "func", None), "view_class", None)
    if view_class is None or not issubclass(view_class, PracticeView) or request.user.practice_role not in ADMINS:
        return None
    return selectors.registration_waiting_count()


def _unread_count(request) -> int | None:
    """None where the page's transaction does not name the user (public pages, error pages):
    row-level security would hide some of their notifications there, so no count is shown."""
    from pine import selectors
    from pine.scoping import PartnerView, PracticeView, SignedInView

    view_class = getattr(getattr(getattr(request, "resolver_match", None), "func", None), "view_class", None)
    if view_class is None or not issubclass(view_class, (SignedInView, PartnerView, PracticeView)):
        return None
    return selectors.notification_unread_count(user=request.user)
