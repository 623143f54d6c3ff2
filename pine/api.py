"""Scoped base classes for API views, token authentication and the error format.

Every API view derives from :class:`PartnerAPIView` or :class:`PracticeAPIView` (or, for a
user's own resources, :class:`UserAPIView`). As in PostHog's ``TeamAndOrgViewSetMixin``,
subclasses may not override ``get_queryset``/``get_object``/``initial``: they supply
``scoped_queryset()`` and the base filters it by the partner from the URL.
"""

from contextlib import ExitStack

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pine import access, notifications, selectors, services
from pine.access import Access
from pine.models import ApiToken


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, DjangoPermissionDenied):  # its reason, as the pages show it (pine.errors)
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ScopedAPIView(generics.GenericAPIView):
    """Root of our API views. ``initial`` resolves who may call (``pine.access``, the resolver the
    pages use too) and enters the database scope that goes with it; ``finalize_response`` leaves it."""

    _final = ("get_queryset", "get_object", "initial", "finalize_response", "resolve_access", "check_token_scope")
    lookup_field = "code"
    lookup_url_kwarg = "code"
    access: Access
    # False: with an API token this view only reads; changes need a signed-in session.
    tokens_may_change = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("_is_scope_base", False):
            for name in cls._final:
                if name in cls.__dict__:
                    raise TypeError(f"{cls.__name__} may not override {name}(): the tenant scope is set there.")

    def scoped_queryset(self):
        raise NotImplementedError("Supply scoped_queryset() from a selector.")

    def resolve_access(self, request, **kwargs) -> Access:
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_token_scope(request)
        try:
            self.access = self.resolve_access(request, **kwargs)
        except access.NotSignedIn:
            raise exceptions.NotAuthenticated() from None
        except access.NotVerified:
            raise exceptions.PermissionDenied("Verify your session with your authenticator app first.") from None
        self._scope_stack = ExitStack()
        self._scope_stack.enter_context(self.access.scope())

    def check_token_scope(self, request) -> None:
        """A request made with an API token changes something only with a write token, and only
        where the view lets tokens change things."""
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None or request.method in access.SAFE_METHODS:
            return
        if not self.tokens_may_change:
            raise exceptions.PermissionDenied(
                "API tokens cannot do this: sign in to PINE and do it on your profile page (or with that session)."
            )
        if not token.can_write:
            raise exceptions.PermissionDenied(
                f"This token (“{token.name}”) is read-only: it can read but not change anything. "
                "Make a read and write token on your profile page to do this."
            )

    def finalize_response(self, request, response, *args, **kwargs):
        stack = getattr(self, "_scope_stack", None)
        try:
            return super().finalize_response(request, response, *args, **kwargs)
        finally:
            if stack is not None:
                stack.close()

    def get_queryset(self):
        return self.scoped_queryset()

    def paginated(self, queryset, serializer_class):
        """A page of the queryset, as ``?limit=&offset=`` ask."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def get_object(self):
        return super().get_object()


class UserAPIView(access.SignedInAccess, ScopedAPIView):
    """The signed-in user's own resources (tokens, memberships)."""

    _is_scope_base = True


class PartnerAPIView(access.PartnerAccess, ScopedAPIView):
    """``/api/v1/partners/<partner_slug>/...``: for the partner's members only."""

    _is_scope_base = True

    def get_queryset(self):
        # The first wall, whatever the hook returns: only this partner's rows.
        return self.scoped_queryset().filter(partner=self.partner)


class PracticeAPIView(access.PracticeAccess, ScopedAPIView):
    """``/api/v1/practice/...``: the practice team, with a session verified by a second factor (or a
    token)."""

    _is_scope_base = True


# --- the signed-in user's own resources ----------------------------------------------------------


class MembershipOut(serializers.Serializer):
    partner = serializers.SlugField(source="partner.slug")
    partner_name = serializers.CharField(source="partner.name")
    role = serializers.CharField()


class MeOut(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    practice_role = serializers.CharField()
    memberships = MembershipOut(many=True)


class MeView(UserAPIView):
    serializer_class = MeOut

    @extend_schema(responses=MeOut)
    def get(self, request):
        user = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "practice_role": user.practice_role,
            "memberships": list(selectors.membership_list_for_user(user=user)),
        }
        return Response(MeOut(data).data)


class TokenIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(
        choices=ApiToken.Scope.choices, help_text="`read`: it can only read; `write`: it can read and change."
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Days until it expires: by default, and at most, the longest allowed (90 days unless the "
        "server sets `API_TOKEN_MAX_DAYS`; 30 at most for the practice team's tokens).",
    )


class TokenOut(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    expired = serializers.BooleanField(source="is_expired")
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(help_text="Shown once. Store it now.")


class TokenListView(UserAPIView):
    """The signed-in user's tokens. Tokens are made and revoked only from a signed-in session, never
    with a token: a token that could make tokens could outlive its own expiry and revocation."""

    serializer_class = TokenOut
    tokens_may_change = False

    def scoped_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(responses=TokenOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), TokenOut)

    @extend_schema(request=TokenIn, responses={201: TokenCreatedOut})
    def post(self, request):
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(user=request.user, **data.validated_data)
        return Response({**TokenOut(token).data, "token": key}, status=status.HTTP_201_CREATED)


class TokenDetailView(UserAPIView):
    serializer_class = TokenOut
    tokens_may_change = False

    def scoped_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(responses={204: None})
    def delete(self, request, code):
        services.api_token_revoke(user=request.user, token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationOut(serializers.Serializer):
    code = serializers.UUIDField()
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField(help_text="A path on this site, or empty.")
    kind = serializers.CharField(help_text="Its kind (plans, data, applications, reviews, reports, events, other), or empty.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationReadIn(serializers.Serializer):
    codes = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=500,
        help_text="The notifications to mark read; leave out to mark all of them.",
    )


class NotificationReadOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
    unread = serializers.IntegerField()


class NotificationListView(UserAPIView):
    """The signed-in user's notifications, newest first."""

    serializer_class = NotificationOut

    def scoped_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(responses=NotificationOut(many=True))
    def get(self, request):
        return self.paginated(self.get_queryset(), NotificationOut)


class NotificationReadView(UserAPIView):
    serializer_class = NotificationReadIn

    def scoped_queryset(self):
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=NotificationReadIn, responses=NotificationReadOut)
    def post(self, request):
        data = NotificationReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notifications.notification_mark_read(user=request.user, codes=data.validated_data.get("codes"))
        unread = selectors.notification_unread_count(user=request.user)
        return Response(NotificationReadOut({"marked": marked, "unread": unread}).data)
