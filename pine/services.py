"""Writes of the platform core: partners, users, memberships, invitations, API tokens."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from pine import ratelimit, selectors
from pine.access import require_practice_admin
from pine.audit import audit_record, audited_create, audited_update, snapshot
from pine.models import AgencyType, ApiToken, Invitation, Membership, Partner, PartnerAgency, Role, User
from pine.notifications import email_after_commit, notify, partner_recipients
from pine.ratelimit import Limit, exceeded
from pine.selectors import partner_match_list
from pine.slugs import unique_slug
from pine.tenancy import partner_scope
from pine.validators import validate_new_password

logger = logging.getLogger(__name__)

INVITATION_DAYS = 14
INVITATION_SALT = "pine.invitation"
VERIFICATION_DAYS = 7
VERIFICATION_SALT = "pine.email_verification"

# Registering, and sending the link that confirms an address, email an address a stranger typed.
REGISTRATIONS_PER_CLIENT = Limit("registration:ip", count=10, seconds=24 * 3600)
VERIFICATION_EMAILS = (
    Limit("verification:email", count=3, seconds=3600),
    Limit("verification:ip", count=10, seconds=3600),
)
TOO_MANY_REGISTRATIONS = "There have been too many registrations from your network today. Try again tomorrow."
TOO_MANY_EMAILS = "We have sent this email too many times in the last hour. Wait an hour, then ask again."


def _limit_exceeded(*checks) -> bool:
    """``ratelimit.exceeded``, failing closed: without the counts (Redis away) a registration or a
    verification email is refused with a clear message. Both email an address a stranger typed,
    and either can be done again in a few minutes."""
    try:
        return exceeded(*checks)
    except ratelimit.Unavailable:
        logger.warning("Refused a registration or verification email: the rate limits cannot be checked", exc_info=True)
        raise ValidationError(ratelimit.UNAVAILABLE, code="unavailable") from None


@transaction.atomic
def partner_create(
    *,
    actor: User | None,
    name: str,
    lead_agency_type: str,
    la_code: str = "",
    region: str = "",
    agencies: list[tuple[str, str]] | None = None,
    slug: str | None = None,
    registration_note: str = "",
) -> Partner:
    """A new partner with its member agencies; the first agency listed is the lead. With a
    ``registration_note`` (why), it waits for the practice team to confirm it before it can apply."""
    partner = Partner(
        name=name.strip(),
        slug=slug or unique_slug(Partner, name, fallback="partner"),
        lead_agency_type=lead_agency_type,
        la_code=la_code,
        region=region,
        registration=Partner.Registration.WAITING if registration_note else Partner.Registration.CONFIRMED,
        registration_note=registration_note,
    )
    partner.full_clean()
    partner.save()
    # A new partner's first rows, written in its own scope: no one is its member yet.
    with partner_scope(partner.pk, user_id=getattr(actor, "pk", None)):
        for index, (agency_name, agency_type) in enumerate(agencies or [(partner.name, lead_agency_type)]):
            agency = PartnerAgency(partner=partner, name=agency_name, agency_type=agency_type, is_lead=index == 0)
            agency.full_clean()
            agency.save()
        audit_record(actor=actor, partner=partner, action="partner.create", obj=partner, changes=snapshot(partner))
    return partner


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str,
    password: str | None,
    practice_role: str = "",
    actor: User | None = None,
    email_verified: bool = True,
) -> User:
    """A new account. A password must pass AUTH_PASSWORD_VALIDATORS. ``email_verified``: the
    address is already shown to be theirs (they came from an emailed invitation, or the practice
    team made the account); if not, they cannot sign in until they follow the emailed link."""
    user = User(email=User.objects.normalize_email(email).lower(), full_name=full_name.strip())
    user.practice_role = practice_role
    user.is_staff = bool(practice_role)
    user.email_verified_at = timezone.now() if email_verified else None
    if password:
        try:
            validate_new_password(password, user=user)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    audited_create(
        user, actor=actor, partner=None, action="user.create", changes={"email": user.email, "practice_role": practice_role}
    )
    return user


@transaction.atomic
def membership_add(*, partner: Partner, actor: User | None, user: User, role: str) -> Membership:
    """Add a user to a partner (in the partner's scope). Practice-team staff cannot join a partner."""
    if user.is_practice_team:
        raise ValidationError("Practice-team members cannot belong to a partner.")
    membership, created = Membership.objects.get_or_create(user=user, partner=partner, defaults={"role": role})
    if not created and membership.role != role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            partner=partner,
            action="membership.update",
            obj=membership,
            changes={"role": [old, role], "user": user.email},
        )
    elif created:
        audit_record(
            actor=actor, partner=partner, action="membership.create", obj=membership, changes={"role": role, "user": user.email}
        )
    return membership


@transaction.atomic
def partner_register(
    *,
    name: str,
    lead_agency_type: str,
    la_code: str,
    region: str,
    agencies: list[tuple[str, str]],
    full_name: str,
    email: str,
    password: str,
    client_ip: str | None = None,
) -> tuple[Partner, User]:
    """Self-registration of an agency that wants to apply: the partner and its lead user.

    The lead cannot sign in until they follow the link emailed to them (``user_email_verify``). A
    partner whose name is like, or whose local authority code is, that of a partner already known
    (``selectors.partner_match_list``) waits for the practice team to confirm it before it can
    apply; its note says why, without naming the other partner. At most
    ``REGISTRATIONS_PER_CLIENT`` a day from one client address."""
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this email address already exists. Sign in instead."})
    if lead_agency_type not in AgencyType.statutory():
        raise ValidationError({"lead_agency_type": "The lead agency must be a statutory agency."})
    if _limit_exceeded((REGISTRATIONS_PER_CLIENT, client_ip)):
        raise ValidationError(TOO_MANY_REGISTRATIONS, code="rate_limited")
    user = user_create(email=email, full_name=full_name, password=password, email_verified=False)
    matches = partner_match_list(name=name, la_code=la_code)
    reasons = []
    if any(match.same_la_code for match in matches):
        reasons.append(f"the same local authority code ({la_code})")
    if any(match.same_name for match in matches):
        reasons.append("a name like this one")
    note = f"An organisation already registered with PINE has {' and '.join(reasons)}." if reasons else ""
    partner = partner_create(
        actor=user,
        name=name,
        lead_agency_type=lead_agency_type,
        la_code=la_code,
        region=region,
        agencies=agencies or [(name, lead_agency_type)],
        registration_note=note,
    )
    with partner_scope(partner.pk, user_id=user.pk):
        membership_add(partner=partner, actor=user, user=user, role=Role.LEAD)
    verification_email_send(user=user, client_ip=client_ip)
    return partner, user


# --- showing an email address is yours -----------------------------------------------------------


def verification_token(user: User) -> str:
    """The signed link's token: the user and the address it was sent to (a changed address voids it)."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFICATION_SALT)


def verification_token_read(token: str) -> User | None:
    """The user a verification token names, if it is genuine, unexpired and their address is
    still the one it was sent to; else None."""
    try:
        data = signing.loads(token, salt=VERIFICATION_SALT, max_age=timedelta(days=VERIFICATION_DAYS))
        user_id, email = int(data["u"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return User.objects.filter(pk=user_id, email=email, is_active=True).first()


def verification_email_send(*, user: User, client_ip: str | None = None) -> None:
    """Email the user the link that confirms their address (after commit). At most three an hour
    to one address, and ten an hour from one client address (``VERIFICATION_EMAILS``). The email
    holds no words a stranger typed: not their name, nor their organisation's."""
    by_email, by_ip = VERIFICATION_EMAILS
    if _limit_exceeded((by_email, user.email), (by_ip, client_ip)):
        raise ValidationError(TOO_MANY_EMAILS, code="rate_limited")
    link = settings.SITE_URL.rstrip("/") + reverse("email_verify", args=[verification_token(user)])
    email_after_commit(to=[user.email], template="email_verification", context={"link": link, "days": VERIFICATION_DAYS})


@transaction.atomic
def user_email_verify(*, user: User) -> User:
    """The user has followed the emailed link (and pressed its button): their account is live.
    Doing it again changes nothing."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified_at is None:
        audited_update(user, {"email_verified_at": timezone.now()}, actor=user, partner=None, action="user.email_verify")
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str, reset: bool = False) -> User:
    """Set a new password, as the user (changing it, or from an emailed reset link: ``reset``). It
    must pass AUTH_PASSWORD_VALIDATORS. A reset link was emailed to the address, so following it
    also shows the address is theirs."""
    user = User.objects.select_for_update().get(pk=user.pk)
    try:
        validate_new_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    fields = ["password"]
    if reset and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    audit_record(
        actor=user,
        partner=None,
        action="user.password_reset" if reset else "user.password_change",
        obj=user,
        changes={"email_verified_at": str(user.email_verified_at)} if "email_verified_at" in fields else {},
    )
    return user


# --- the practice team confirms a registration like a partner already known ------------------------


def _registration_decide(*, actor: User, partner: Partner, to: str, note: str, action: str, template: str) -> Partner:
    require_practice_admin(actor, "confirm or reject a registration")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.registration != Partner.Registration.WAITING:
        raise ValidationError(f"{partner.name}’s registration is already {partner.get_registration_display().lower()}.")
    audited_update(partner, {"registration": to, "registration_note": note}, actor=actor, partner=partner, action=action)
    notify(
        recipients=partner_recipients(partner=partner),
        template=template,
        context={"partner_name": partner.name, "note": note},
        link=reverse("partner_home", args=[partner.slug]),
        partner=partner,
    )
    return partner


@transaction.atomic
def partner_registration_confirm(*, actor: User, partner: Partner) -> Partner:
    """A practice admin confirms a waiting registration is who it says: it can apply. Its leads
    and contributors are told."""
    return _registration_decide(
        actor=actor,
        partner=partner,
        to=Partner.Registration.CONFIRMED,
        note="",
        action="partner.registration_confirm",
        template="registration_confirmed",
    )


@transaction.atomic
def partner_registration_reject(*, actor: User, partner: Partner, reason: str) -> Partner:
    """A practice admin finds a waiting registration is not who it says (``reason``, shown to the
    partner): it cannot apply. Its leads and contributors are told why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Enter why the registration is not confirmed"})
    return _registration_decide(
        actor=actor,
        partner=partner,
        to=Partner.Registration.REJECTED,
        note=reason,
        action="partner.registration_reject",
        template="registration_rejected",
    )


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"p": invitation.partner_id, "i": str(invitation.code)}, salt=INVITATION_SALT)


def invitation_token_read(token: str) -> tuple[int, str] | None:
    """(partner id, invitation code) from a signed token, or None if it was tampered with."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=INVITATION_DAYS + 1))
        return int(data["p"]), str(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


@transaction.atomic
def invitation_create(*, partner: Partner, actor: User, email: str, role: str) -> Invitation:
    """Invite someone to join the partner, and email them a link once the transaction commits."""
    email = User.objects.normalize_email(email).lower()
    if Membership.objects.filter(partner=partner, user__email=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {partner.name}."})
    invitation = Invitation(
        partner=partner,
        email=email,
        role=role,
        invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audited_create(invitation, actor=actor, partner=partner, action="invitation.create", changes={"email": email, "role": role})
    # A practice-team account never joins a partner (membership_add refuses it): it is sent no link,
    # and the lead is told nothing different from any other address.
    if not User.objects.filter(email=email, practice_role__gt="").exists():
        link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation_token(invitation)])
        email_after_commit(to=[email], template="invitation", context={"invitation": invitation, "link": link})
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Accept an invitation as the signed-in (or just registered) user whose email it was sent to."""
    if not invitation.is_pending:
        raise ValidationError("This invitation has expired or has already been used.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(f"This invitation was sent to {invitation.email}. Sign in with that address.")
    membership = membership_add(partner=invitation.partner, actor=user, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=user, partner=invitation.partner, action="invitation.accept", obj=invitation)
    return membership


def _lock_members(partner: Partner) -> list[Membership]:
    return list(Membership.objects.select_for_update().select_related("user").filter(partner=partner))


def _membership_of(members: list[Membership], email: str) -> Membership:
    found = next((m for m in members if m.user.email.lower() == (email or "").lower()), None)
    if found is None:
        raise ValidationError("That person is not a member of this partner.")
    return found


@transaction.atomic
def membership_role_change(*, partner: Partner, actor: User, email: str, role: str) -> Membership:
    """A lead gives a member another role. The partner always keeps a lead."""
    if role not in Role.values:
        raise ValidationError("Choose a role.")
    members = _lock_members(partner)
    membership = _membership_of(members, email)
    leads = [m for m in members if m.role == Role.LEAD]
    if membership.role == Role.LEAD and role != Role.LEAD and len(leads) == 1:
        raise ValidationError(f"{membership.user.full_name} is the only lead. Make someone else a lead first.")
    return membership_add(partner=partner, actor=actor, user=membership.user, role=role)


@transaction.atomic
def membership_remove(*, partner: Partner, actor: User, email: str) -> None:
    """A lead removes a member: they can no longer see or change anything of the partner. The
    partner always keeps a lead."""
    members = _lock_members(partner)
    membership = _membership_of(members, email)
    if membership.role == Role.LEAD and sum(1 for m in members if m.role == Role.LEAD) == 1:
        raise ValidationError(f"{membership.user.full_name} is the only lead. Make someone else a lead first.")
    audit_record(
        actor=actor, partner=partner, action="membership.delete", obj=membership,
        changes={"user": membership.user.email, "role": membership.role},
    )  # fmt: skip
    membership.delete()


def _pending_invitation(partner: Partner, code) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(partner=partner, code=code, accepted_at__isnull=True).first()
    if invitation is None:
        raise ValidationError("That invitation has been accepted or cancelled.")
    return invitation


@transaction.atomic
def invitation_resend(*, partner: Partner, actor: User, code) -> Invitation:
    """Email the invitation again, valid for another INVITATION_DAYS days from now."""
    invitation = _pending_invitation(partner, code)
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["expires_at"])
    audit_record(actor=actor, partner=partner, action="invitation.resend", obj=invitation, changes={"email": invitation.email})
    if not User.objects.filter(email=invitation.email, practice_role__gt="").exists():
        link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation_token(invitation)])
        email_after_commit(to=[invitation.email], template="invitation", context={"invitation": invitation, "link": link})
    return invitation


@transaction.atomic
def invitation_cancel(*, partner: Partner, actor: User, code) -> None:
    """Withdraw an invitation not yet accepted: its link stops working."""
    invitation = _pending_invitation(partner, code)
    audit_record(actor=actor, partner=partner, action="invitation.cancel", obj=invitation, changes={"email": invitation.email})
    invitation.delete()


RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def recovery_code_normalise(text: str) -> str:
    return "".join(c for c in (text or "").lower() if c.isalnum())


@transaction.atomic
def recovery_codes_create(*, user: User) -> list[str]:
    """New recovery codes for a practice-team account's second step (any earlier ones stop
    working). Each works once, instead of the authenticator app. Returned once, to be shown once;
    the audit trail records that they were made, not the codes."""
    if not user.is_practice_team:
        raise ValidationError("Only practice-team accounts have a second step and recovery codes.")
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    audit_record(actor=user, partner=None, action="two_factor.recovery_codes", obj=user, changes={"count": len(codes)})
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scope: str = ApiToken.Scope.WRITE, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for the user, ``scope`` read or write, expiring after ``days`` (at most, and by
    default, the user's maximum: ``selectors.api_token_max_days``). The plain key is returned once
    and never stored."""
    longest = selectors.api_token_max_days(user=user)
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise ValidationError({"days": f"A token can last from 1 to {longest} days"})
    key = "pine_" + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name.strip() or "API token",
        prefix=key[5:13],
        key_hash=_hash_key(key),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
        password_stamp=ApiToken.stamp(user),
    )
    audited_create(
        token,
        actor=user,
        partner=None,
        action="api_token.create",
        changes={"name": token.name, "scope": token.scope, "expires_at": token.expires_at.isoformat()},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise ValidationError("Not your token.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=user, partner=None, action="api_token.revoke", obj=token)


@transaction.atomic
def api_token_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every token of the user (their password has changed: ``reason`` says how). A token
    also stops working by itself when the password changes (``ApiToken.password_changed``); this
    records it, and the profile page then lists none of them."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit_record(
            actor=user, partner=None, action="api_token.revoke_all", obj=user, changes={"revoked": revoked, "reason": reason}
        )
    return revoked


class TokenRefused(Exception):
    """An API token that does not sign in: the message says why."""


def api_token_authenticate(key: str) -> ApiToken:
    """The token with this key, if it may sign in now; else :class:`TokenRefused`, saying why."""
    try:
        # key_hash is unique: get() reads the one row with no ORDER BY to compile or sort (first()
        # would order by the model's ordering), as every API request does.
        token = ApiToken.objects.select_related("user").get(
            key_hash=_hash_key(key), revoked_at__isnull=True, user__is_active=True
        )
    except ApiToken.DoesNotExist:
        raise TokenRefused("Invalid or revoked token.") from None
    if token.is_expired:
        raise TokenRefused(
            f"This token expired on {timezone.localtime(token.expires_at):%-d %B %Y at %H:%M}. "
            "Make a new one on your profile page."
        )
    if token.password_changed:
        raise TokenRefused("This token stopped working when your password changed. Make a new one on your profile page.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
