"""The platform core: users, partners (the tenants), memberships, invitations, API tokens, audit."""

import hashlib
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        extra.setdefault("email_verified_at", timezone.now())  # an operator's command: the address is trusted
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("practice_role", User.PracticeRole.PRACTICE_ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. Practice-team members are staff with a practice role; partner users never are."""

    class PracticeRole(models.TextChoices):
        PRACTICE_ADMIN = "practice_admin", "Practice admin"
        REVIEWER = "reviewer", "Reviewer"
        ANALYST = "analyst", "Analyst"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    practice_role = models.CharField(max_length=20, choices=PracticeRole.choices, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the address was shown to be theirs (the link emailed on registering was followed, or
    # they joined from an emailed invitation or reset link). Until then the account cannot sign in.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # The kinds of notification (pine.notifications.KINDS) this user does not want emailed: they
    # still see them in PINE. Empty: every kind is emailed.
    email_muted_kinds = models.JSONField(default=list, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            # Staff status and a practice role go together, so a partner user can never be staff.
            models.CheckConstraint(
                condition=(Q(is_staff=True) & ~Q(practice_role="")) | (Q(is_staff=False) & Q(practice_role="")),
                name="user_staff_iff_practice_role",
            )
        ]

    def __str__(self):
        return self.full_name or self.email

    @property
    def is_practice_team(self) -> bool:
        return bool(self.practice_role)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class AgencyType(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", "Local authority children's services"
    POLICE = "police", "Police"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    OTHER_STATUTORY = "other_statutory", "Other statutory agency"
    VOLUNTARY = "voluntary", "Voluntary or community organisation"

    @classmethod
    def statutory(cls) -> set[str]:
        return {c.value for c in cls} - {cls.VOLUNTARY}


class Region(models.TextChoices):
    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE = "yorkshire", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST = "east", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class Partner(models.Model):
    """The tenant: an agency, or a multi-agency partnership, that applies and evaluates.

    A partner that registered itself with the name or local authority code of one already known
    waits (``registration``) until the practice team confirms it is who it says; until then, and
    if it is rejected, it cannot apply (``apply_refusal``)."""

    class Registration(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITING = "waiting", "Waiting for the practice team to confirm"
        REJECTED = "rejected", "Not confirmed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    lead_agency_type = models.CharField(max_length=20, choices=AgencyType.choices)
    la_code = models.CharField("Local authority code", max_length=3, blank=True, help_text="Three digits, e.g. 933")
    region = models.CharField(max_length=20, choices=Region.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    registration = models.CharField(max_length=10, choices=Registration.choices, default=Registration.CONFIRMED)
    registration_note = models.CharField(
        max_length=500, blank=True, help_text="Shown to the partner: why it waits, or why it was not confirmed."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration__in=["confirmed", "waiting", "rejected"]), name="partner_registration_valid"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def apply_refusal(self) -> str | None:
        """Why the partner cannot apply to a call (None: it can)."""
        if self.registration == self.Registration.WAITING:
            return (
                f"The practice team is checking {self.name}’s registration before it can apply. {self.registration_note} "
                "They will let your lead know when it is confirmed."
            )
        if self.registration == self.Registration.REJECTED:
            return f"The practice team did not confirm {self.name}’s registration, so it cannot apply. {self.registration_note}"
        return None

    @property
    def is_statutory_lead(self) -> bool:
        return self.lead_agency_type in AgencyType.statutory()


class PartnerAgency(models.Model):
    """One member agency of a partnership (e.g. the council, the police force, the NHS trust)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(max_length=200)
    agency_type = models.CharField(max_length=20, choices=AgencyType.choices)
    is_lead = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_lead", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="partner_agency_unique_name")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"


# What each role may do, as the members page and the invitation form say it.
ROLE_DESCRIPTIONS = {
    "lead": "Everything a contributor can do, and manages members: invites people, changes their roles, removes them",
    "contributor": "Writes applications, onboarding, the plan and theory of change, and uploads outcome data",
    "viewer": "Reads everything of the partnership, changes nothing",
}

# What each partner role may do, from least to most.
ROLE_RANK = {Role.VIEWER: 1, Role.CONTRIBUTOR: 2, Role.LEAD: 3}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "partner"], name="membership_unique_user_partner")]

    def __str__(self):
        return f"{self.user} — {self.partner} ({self.get_role_display()})"

    def allows(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class Invitation(models.Model):
    """An emailed invitation to join a partner. The link carries a signed token, never the row id."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.partner}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the token is shown once, when it is made.

    A token reads, or reads and writes (``scope``); it expires (``expires_at``); and it works only
    while its user's password is the one it was made under (``password_stamp``): a password change
    or reset, however it is made, ends it."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=Scope.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    password_stamp = models.CharField(max_length=64, help_text="A hash of the user's password hash when it was made.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(scope__in=["read", "write"]), name="apitoken_scope_valid"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="apitoken_expires_after_created"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def stamp(user: User) -> str:
        """What ``password_stamp`` holds: it changes whenever the user's password does."""
        return hashlib.sha256(user.password.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def password_changed(self) -> bool:
        """The user's password has changed since the token was made: it no longer works."""
        return self.password_stamp != ApiToken.stamp(self.user)

    @property
    def can_write(self) -> bool:
        return self.scope == ApiToken.Scope.WRITE


class AuditEvent(models.Model):
    """Who did what to which object, when, and which fields changed. Append-only (a trigger refuses
    UPDATE and DELETE). partner is null for the practice team's own records."""

    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_code = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partner", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}"


class Notification(models.Model):
    """Something a user should know (a submission received, a question asked, a deadline coming):
    listed in the app and emailed. It belongs to its recipient; ``partner`` is the partner it is
    about, when there is one (row-level security then keeps it inside that partner's scope, and
    the recipient always reads their own)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True, help_text="A page of this site: a path such as /p/northshire/.")
    kind = models.CharField(max_length=30, blank=True, help_text="Its kind (pine.notifications.KINDS), for email preferences.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_recipient_unread"),
        ]
        constraints = [
            # A path on this site only: never another site (``//host`` and ``/\host`` are other sites to a browser).
            models.CheckConstraint(
                condition=Q(link="") | (Q(link__startswith="/") & ~Q(link__startswith="//") & ~Q(link__startswith="/\\")),
                name="notification_link_site_relative",
            ),
        ]

    def __str__(self):
        return f"{self.subject} (to {self.recipient})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
