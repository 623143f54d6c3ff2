"""What the operators' commands that store outcome data share (import_outcomes, import_return)."""

from django.core.management.base import CommandError

from pine import selectors as pine_selectors
from pine.models import Partner, Role, User
from pine.tenancy import practice_scope


def command_uploader(*, partner: str, user: str | None) -> tuple[Partner, User]:
    """The partner with slug ``partner`` and whom a command records as the uploader: the member
    with email ``user``, or else the partner's first lead (never a viewer). CommandError if either
    is missing. Call inside a transaction."""
    with practice_scope():
        found = pine_selectors.partner_get(slug=partner)
        if found is None:
            raise CommandError(f"No partner {partner!r}.")
        members = pine_selectors.membership_list(partner=found).select_related("user")
        members = members.filter(user__email__iexact=user) if user else members.filter(role=Role.LEAD)
        member = members.order_by("pk").first()
        if member is None or member.role == Role.VIEWER:
            raise CommandError(f"No contributor or lead {user or ''} at {partner!r} to record as the uploader.")
    return found, member.user
