"""Scoped base classes for page views: every page of ours derives from one of them.

The partner comes from the URL (``/p/<partner_slug>/...``) checked against the signed-in user's
memberships — never from a header, a form field or a remembered "current partner". A partner the
user does not belong to and a partner that does not exist give the same 404.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views import View

from pine import selectors
from pine.models import Membership, Partner, Role, User
from pine.tenancy import partner_scope, practice_scope, user_scope


class ScopedView(View):
    """Root of our page views. Subclasses may not override ``dispatch``: the scope is set there."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dispatch" in cls.__dict__ and not cls.__dict__.get("_is_scope_base", False):
            raise TypeError(f"{cls.__name__} may not override dispatch(): the tenant scope is set there.")

    @staticmethod
    def _rendered(response):
        # Render template responses inside the scope: their context may hold lazy querysets.
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        return response


class PublicView(ScopedView):
    """A page anyone may see. It reads no tenant rows (RLS would show it none anyway)."""

    _is_scope_base = True

    def dispatch(self, request, *args, **kwargs):
        return self._rendered(super().dispatch(request, *args, **kwargs))


class SignedInView(ScopedView):
    """A signed-in user's own pages (home, profile). Sees only the user's own memberships."""

    _is_scope_base = True

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        with user_scope(request.user.pk):
            return self._rendered(super().dispatch(request, *args, **kwargs))


class PartnerView(ScopedView):
    """A page of one partner, for its members. ``required_role`` is the least role that may see it;
    ``write_role`` the least that may POST."""

    _is_scope_base = True
    required_role: str = Role.VIEWER
    write_role: str = Role.CONTRIBUTOR
    partner: Partner
    membership: Membership

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        with user_scope(request.user.pk):
            membership = selectors.membership_get(user=request.user, partner_slug=kwargs["partner_slug"])
        if membership is None:
            raise Http404("No such page.")
        needed = self.write_role if request.method not in ("GET", "HEAD", "OPTIONS") else self.required_role
        if not membership.allows(needed):
            raise PermissionDenied(f"You need the {Role(needed).label.lower()} role at {membership.partner} to do this.")
        self.membership, self.partner = membership, membership.partner
        with partner_scope(self.partner.pk, user_id=request.user.pk):
            return self._rendered(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(partner=self.partner, membership=self.membership)
        return context


def is_practice_member(user: User, roles: frozenset[str]) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff and user.practice_role in roles


# Who may use a practice-team page or API. Reviewers see only the applications they are assigned
# (the review pages name them), so the default, for pages over every application, partner,
# evaluation or registration, is admins and analysts.
ADMINS = frozenset({User.PracticeRole.PRACTICE_ADMIN})
ADMINS_AND_ANALYSTS = frozenset({User.PracticeRole.PRACTICE_ADMIN, User.PracticeRole.ANALYST})
REVIEWERS = frozenset({User.PracticeRole.REVIEWER, User.PracticeRole.PRACTICE_ADMIN})
EVERY_PRACTICE_ROLE = frozenset(User.PracticeRole.values)


def require_practice_admin(actor: User, doing: str) -> None:
    """For services: only a practice admin may do this (the pages and APIs check it first)."""
    if not (actor.is_practice_team and actor.practice_role in ADMINS):
        raise PermissionDenied(f"Only a practice admin can {doing}.")


class PracticeView(ScopedView):
    """A practice-team page (``/practice/...``). Needs a practice role in ``practice_roles`` and a
    session verified with a second factor. Anyone else gets a 404: the area is not advertised."""

    _is_scope_base = True
    practice_roles: frozenset[str] = ADMINS_AND_ANALYSTS

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_practice_team:
            raise Http404("No such page.")
        if not request.user.is_verified():
            return redirect_to_login(request.get_full_path(), login_url="two_factor")
        if request.user.practice_role not in self.practice_roles:
            raise PermissionDenied("Your practice-team role does not allow this.")
        with practice_scope(user_id=request.user.pk):
            return self._rendered(super().dispatch(request, *args, **kwargs))
