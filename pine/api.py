"""Scoped base classes for API views, token authentication and the error format.

Every API view derives from :class:`PartnerAPIView` or :class:`PracticeAPIView` (or, for a
user's own resources, :class:`UserAPIView`). As in PostHog's ``TeamAndOrgViewSetMixin``,
subclasses may not override ``get_queryset``/``get_object``/``initial``: they supply
``scoped_queryset()`` and the base filters it by the partner from the URL.
"""

from contextlib import ExitStack

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, generics
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.views import exception_handler as drf_exception_handler

from pine import selectors, services
from pine.models import Membership, Partner, Role
from pine.tenancy import partner_scope, practice_scope, user_scope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` with a personal token from the profile page."""

    keyword = "Token"

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Token <token>.")
        try:
            key = auth[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from None
        user = services.api_token_authenticate(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return user, "token"

    def authenticate_header(self, request):
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "pine.api.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <key>"}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ScopedAPIView(generics.GenericAPIView):
    """Root of our API views."""

    _final = ("get_queryset", "get_object", "initial", "finalize_response")
    lookup_field = "code"
    lookup_url_kwarg = "code"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("_is_scope_base", False):
            for name in cls._final:
                if name in cls.__dict__:
                    raise TypeError(f"{cls.__name__} may not override {name}(): the tenant scope is set there.")

    def scoped_queryset(self):
        raise NotImplementedError("Supply scoped_queryset() from a selector.")

    def enter_scope(self, request, **kwargs):
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._scope_stack = ExitStack()
        self.enter_scope(request, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        stack = getattr(self, "_scope_stack", None)
        try:
            return super().finalize_response(request, response, *args, **kwargs)
        finally:
            if stack is not None:
                stack.close()

    def get_queryset(self):
        return self.scoped_queryset()

    def get_object(self):
        return super().get_object()


class UserAPIView(ScopedAPIView):
    """The signed-in user's own resources (tokens, memberships)."""

    _is_scope_base = True

    def enter_scope(self, request, **kwargs):
        self._scope_stack.enter_context(user_scope(request.user.pk))


class PartnerAPIView(ScopedAPIView):
    """``/api/v1/partners/<partner_slug>/...``: for the partner's members only."""

    _is_scope_base = True
    required_role: str = Role.VIEWER
    write_role: str = Role.CONTRIBUTOR
    partner: Partner
    membership: Membership

    def enter_scope(self, request, **kwargs):
        with user_scope(request.user.pk):
            membership = selectors.membership_get(user=request.user, partner_slug=kwargs.get("partner_slug", ""))
        if membership is None:
            raise exceptions.NotFound()
        needed = self.required_role if request.method in SAFE_METHODS else self.write_role
        if not membership.allows(needed):
            raise exceptions.PermissionDenied(f"You need the {Role(needed).label.lower()} role to do this.")
        self.membership, self.partner = membership, membership.partner
        self._scope_stack.enter_context(partner_scope(self.partner.pk, user_id=request.user.pk))

    def get_queryset(self):
        # The first wall, whatever the hook returns: only this partner's rows.
        return self.scoped_queryset().filter(partner=self.partner)


class PracticeAPIView(ScopedAPIView):
    """``/api/v1/practice/...``: the practice team. A session must be verified with a second factor;
    a token counts as verified (practice-team tokens can be made only from a verified session)."""

    _is_scope_base = True
    practice_roles: frozenset[str] = frozenset({"practice_admin", "reviewer", "analyst"})

    def enter_scope(self, request, **kwargs):
        user = request.user
        if not user.is_practice_team:
            raise exceptions.NotFound()
        if request.auth != "token" and not getattr(request._request.user, "is_verified", lambda: False)():
            raise exceptions.PermissionDenied("Verify your session with your authenticator app first.")
        if user.practice_role not in self.practice_roles:
            raise exceptions.PermissionDenied("Your practice-team role does not allow this.")
        self._scope_stack.enter_context(practice_scope(user_id=user.pk))
