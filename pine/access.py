"""Who may reach what: the one resolver of access, used by the page bases (``pine.scoping``) and the
API bases (``pine.api``) alike.

* A partner's pages and API: the partner comes from the URL, checked against the signed-in user's
  memberships (a partner they do not belong to and one that does not exist are the same 404); the
  role they need depends on the method (``required_role`` to read, ``write_role`` to change).
* The practice team's: a practice role among those the view allows, and a session verified with a
  second factor (an API token counts as verified: practice-team tokens are made only from a
  verified session). Anyone else gets a 404: the area is not advertised.

It raises Django's own ``Http404`` and ``PermissionDenied`` (the API turns them into its responses),
and :class:`NotSignedIn` / :class:`NotVerified`, which the pages answer with a redirect. The
:class:`Access` it returns opens the database scope that goes with it (``Access.scope()``).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from pine import selectors
from pine.models import ApiToken, Membership, Partner, Role, User
from pine.tenancy import partner_scope, practice_scope, user_scope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# Who may use a practice-team page or API. Reviewers see only the applications they are assigned
# (the review pages name them), so the default, for pages over every application, partner,
# evaluation or registration, is admins and analysts.
ADMINS = frozenset({User.PracticeRole.PRACTICE_ADMIN})
ADMINS_AND_ANALYSTS = frozenset({User.PracticeRole.PRACTICE_ADMIN, User.PracticeRole.ANALYST})
REVIEWERS = frozenset({User.PracticeRole.REVIEWER, User.PracticeRole.PRACTICE_ADMIN})
EVERY_PRACTICE_ROLE = frozenset(User.PracticeRole.values)


class NotSignedIn(Exception):
    """No one is signed in: pages send them to sign in."""


class NotVerified(Exception):
    """A practice-team session not yet verified with a second factor: pages send them to verify it."""


@dataclass(frozen=True)
class Access:
    """What the signed-in user may reach on this request, and the database scope that goes with it."""

    user: User
    membership: Membership | None = None  # a partner's page or API
    practice: bool = False  # the practice team's

    @property
    def partner(self) -> Partner | None:
        return self.membership.partner if self.membership else None

    def allows(self, role: str) -> bool:
        """The member's role at the partner is at least ``role``."""
        return self.membership is not None and self.membership.allows(role)

    def has_practice_role(self, roles: frozenset[str]) -> bool:
        return self.practice and self.user.practice_role in roles

    def scope(self):
        """The database scope of this access (row-level security's settings), to enter in the
        request's transaction."""
        if self.membership is not None:
            return partner_scope(self.membership.partner_id, user_id=self.user.pk, request=True)
        if self.practice:
            return practice_scope(user_id=self.user.pk, request=True)
        return user_scope(self.user.pk, request=True)

    def flags(self) -> dict[str, bool]:
        """What the page may offer, for templates: they never compare role strings themselves."""
        return {
            "can_contribute": self.allows(Role.CONTRIBUTOR),
            "can_lead": self.allows(Role.LEAD),
            "can_administer": self.has_practice_role(ADMINS),
            "can_analyse": self.has_practice_role(ADMINS_AND_ANALYSTS),
            "can_review": self.has_practice_role(REVIEWERS),
        }


def signed_in(user: User, *, verified: bool, before_second_factor: bool = False) -> Access:
    """The user's own pages and API (their account, notifications, tokens). A practice-team session
    not yet verified with its second factor reaches only the pages that verify it."""
    if not user.is_authenticated:
        raise NotSignedIn
    if user.is_practice_team and not verified and not before_second_factor:
        raise NotVerified
    return Access(user=user)


def partner_member(user: User, partner_slug: str, *, method: str, required_role: str, write_role: str) -> Access:
    """A member of the partner in the URL, with the role the method needs."""
    if not user.is_authenticated:
        raise NotSignedIn
    # Row-level security shows a user only their own memberships. The request's scope follows
    # (or an error ends the request), so this scope is the request's too.
    with user_scope(user.pk, request=True):
        membership = selectors.membership_get(user=user, partner_slug=partner_slug)
    if membership is None:
        raise Http404("No such page.")
    needed = required_role if method in SAFE_METHODS else write_role
    if not membership.allows(needed):
        raise PermissionDenied(f"You need the {Role(needed).label.lower()} role at {membership.partner} to do this.")
    return Access(user=user, membership=membership)


def practice_member(user: User, *, roles: frozenset[str], verified: bool) -> Access:
    """A member of the practice team with one of ``roles``, whose session passed the second factor
    (``verified``: the caller knows how the request was authenticated)."""
    if not user.is_authenticated:
        raise NotSignedIn
    if not user.is_practice_team:
        raise Http404("No such page.")
    if not verified:
        raise NotVerified
    if user.practice_role not in roles:
        raise PermissionDenied("Your practice-team role does not allow this.")
    return Access(user=user, practice=True)


def verified(request) -> bool:
    """The request's session passed the second factor. A request made with an API token counts as
    verified: practice-team tokens are made only from a verified session, last at most 30 days and
    end when the password changes. (``request`` is Django's
    or REST framework's.)"""
    if isinstance(getattr(request, "auth", None), ApiToken):
        return True
    user = getattr(request, "_request", request).user  # the session's user, as django-otp sees it
    return user.is_authenticated and getattr(user, "is_verified", lambda: False)()


# The access side of the scoped bases, shared by the page bases (pine.scoping) and the API bases
# (pine.api): each resolves once per request, in ``resolve_access``.


class SignedInAccess:
    """``before_second_factor``: the page that verifies a practice-team session (only that one)."""

    before_second_factor = False

    def resolve_access(self, request, **kwargs) -> Access:
        return signed_in(request.user, verified=verified(request), before_second_factor=self.before_second_factor)


class PartnerAccess:
    """``required_role`` is the least role that may read; ``write_role`` the least that may change."""

    required_role: str = Role.VIEWER
    write_role: str = Role.CONTRIBUTOR
    access: Access

    def resolve_access(self, request, **kwargs) -> Access:
        return partner_member(
            request.user,
            kwargs.get("partner_slug", ""),
            method=request.method,
            required_role=self.required_role,
            write_role=self.write_role,
        )

    @property
    def partner(self) -> Partner:
        return self.access.partner

    @property
    def membership(self) -> Membership:
        return self.access.membership


class PracticeAccess:
    """``practice_roles``: who in the practice team may use it (reviewers only where a view says so)."""

    practice_roles: frozenset[str] = ADMINS_AND_ANALYSTS

    def resolve_access(self, request, **kwargs) -> Access:
        return practice_member(request.user, roles=self.practice_roles, verified=verified(request))


def require_practice_admin(actor: User, doing: str) -> None:
    """For services: only a practice admin may do this (the pages and APIs check it first)."""
    if not (actor.is_practice_team and actor.practice_role in ADMINS):
        raise PermissionDenied(f"Only a practice admin can {doing}.")
