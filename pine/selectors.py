"""Reads of the platform core."""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from pine.models import ApiToken, AuditEvent, Invitation, Membership, Notification, Partner, Role, User


def membership_get(*, user: User, partner_slug: str) -> Membership | None:
    """The user's membership of the partner with this slug, or None (missing or not theirs alike).
    Runs in the user scope: RLS shows a user only their own memberships."""
    if not user.is_active:  # the user's own row, read for this request (no join to read it again)
        return None
    # At most one row (unique user and partner; unique slug): get() reads it with no ORDER BY to
    # compile or sort, as every request to a partner's pages and API does.
    try:
        return Membership.objects.select_related("partner").get(user=user, partner__slug=partner_slug)
    except Membership.DoesNotExist:
        return None


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


# --- is a registration like a partner already known? ---------------------------------------------

# Words left out when names are compared: "Northshire County Council", "Council of Northshire" and
# "NORTHSHIRE" are alike; "London Borough of Camden" and "Camden Council" too.
NAME_NOISE = frozenset(
    {"the", "of", "and", "council", "county", "borough", "city", "district", "metropolitan", "london", "royal"}
)


def partner_name_key(name: str) -> str:
    """A name as it is compared for likeness: in lower case, without accents, apostrophes or other
    punctuation, and without the words in NAME_NOISE (unless nothing else is left)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", re.sub(r"'", "", text.replace("&", " and ")))
    return " ".join([word for word in words if word not in NAME_NOISE] or words)


@dataclass(frozen=True)
class PartnerMatch:
    """A partner already known that a registration is like, and in what."""

    partner: Partner
    same_name: bool
    same_la_code: bool


def _matches(name: str, la_code: str, candidates, *, exclude_pk: int | None = None) -> list[PartnerMatch]:
    key = partner_name_key(name)
    found = []
    for partner in candidates:
        if partner.pk == exclude_pk:
            continue
        same_name = bool(key) and partner_name_key(partner.name) == key
        same_la_code = bool(la_code) and partner.la_code == la_code
        if same_name or same_la_code:
            found.append(PartnerMatch(partner, same_name, same_la_code))
    return found


def _known_partners() -> QuerySet[Partner]:
    """Partners a registration may be mistaken for: all but registrations already rejected."""
    return Partner.objects.exclude(registration=Partner.Registration.REJECTED).only("id", "name", "slug", "la_code", "created_at")


def partner_match_list(*, name: str, la_code: str) -> list[PartnerMatch]:
    """Partners already known with a name like ``name`` (``partner_name_key``) or the local
    authority code ``la_code``."""
    return _matches(name, la_code, _known_partners())


@dataclass(frozen=True)
class RegistrationCheck:
    """A self-registration waiting for the practice team: its leads and the partners it is like."""

    partner: Partner
    leads: list[User]
    matches: list[PartnerMatch]


def registration_check_list(*, slug: str | None = None) -> list[RegistrationCheck]:
    """Registrations waiting for the practice team, oldest first (only the one with ``slug``, if
    given), in three queries. Read in the practice scope (memberships are tenant rows)."""
    waiting = Partner.objects.filter(registration=Partner.Registration.WAITING).order_by("created_at", "id")
    if slug is not None:
        waiting = waiting.filter(slug=slug)
    leads = Membership.objects.filter(role=Role.LEAD).select_related("user").order_by("created_at")
    waiting = list(waiting.prefetch_related(Prefetch("memberships", queryset=leads, to_attr="lead_memberships")))
    if not waiting:
        return []
    known = list(_known_partners())
    return [
        RegistrationCheck(
            partner=partner,
            leads=[membership.user for membership in partner.lead_memberships],
            matches=_matches(partner.name, partner.la_code, known, exclude_pk=partner.pk),
        )
        for partner in waiting
    ]


def registration_waiting_count() -> int:
    return Partner.objects.filter(registration=Partner.Registration.WAITING).count()


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


def practice_data_team_list() -> QuerySet[User]:
    """The practice team's admins and analysts: who checks partners' agreements and data."""
    roles = (User.PracticeRole.PRACTICE_ADMIN, User.PracticeRole.ANALYST)
    return User.objects.filter(is_active=True, practice_role__in=roles).order_by("email")


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
