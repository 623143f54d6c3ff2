"""Reads of the platform core."""

from django.conf import settings
from django.db.models import QuerySet

from pine.models import ApiToken, AuditEvent, Invitation, Membership, Notification, Partner, Role, User


def membership_get(*, user: User, partner_slug: str) -> Membership | None:
    """The user's membership of the partner with this slug, or None (missing or not theirs alike).
    Runs in the user scope: RLS shows a user only their own memberships."""
    return (
        Membership.objects.select_related("partner").filter(user=user, partner__slug=partner_slug, user__is_active=True).first()
    )


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.select_related("partner").filter(user=user).order_by("partner__name")


def membership_list(*, partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(partner=partner).order_by("user__full_name")


def invitation_list(*, partner: Partner) -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by").filter(partner=partner, accepted_at__isnull=True)


def invitation_get(*, partner_id: int, code) -> Invitation | None:
    return Invitation.objects.select_related("partner").filter(partner_id=partner_id, code=code).first()


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.order_by("name")


def partner_get(*, slug: str) -> Partner | None:
    return Partner.objects.filter(slug=slug).first()


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's tokens not revoked, newest first: expired ones too (the page says so)."""
    return ApiToken.objects.select_related("user").filter(user=user, revoked_at__isnull=True)


def api_token_max_days(*, user: User) -> int:
    """The longest a new token of this user may live: a practice-team token at most 30 days."""
    return settings.API_TOKEN_PRACTICE_MAX_DAYS if user.is_practice_team else settings.API_TOKEN_MAX_DAYS


def audit_event_list(*, partner: Partner | None) -> QuerySet[AuditEvent]:
    """A partner's trail, or (partner=None) the whole trail for the practice team."""
    qs = AuditEvent.objects.select_related("actor", "partner")
    return qs if partner is None else qs.filter(partner=partner)


def practice_admin_list() -> QuerySet[User]:
    return User.objects.filter(is_active=True, practice_role=User.PracticeRole.PRACTICE_ADMIN)


def partner_contact_list(*, partner: Partner) -> QuerySet[User]:
    """Who hears about a partner's applications and deadlines: its active leads and contributors."""
    return User.objects.filter(
        is_active=True, memberships__partner=partner, memberships__role__in=(Role.LEAD, Role.CONTRIBUTOR)
    ).order_by("email")


def partner_contact_emails(*, partner: Partner) -> list[str]:
    return list(partner_contact_list(partner=partner).values_list("email", flat=True))


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first (never anyone else's, whatever the scope)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
