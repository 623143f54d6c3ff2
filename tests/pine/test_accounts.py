"""Signing in, brute-force protection, two-factor, password reset, invitations, registration,
API tokens, the audit trail and /healthz."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pine.models import AuditEvent, Invitation, Membership, Partner, User
from tests import factories
from tests.conftest import in_scope_of, verified_client
from tests.pine.invitations import invite

pytestmark = pytest.mark.django_db


def test_a_partner_user_signs_in_with_email_and_lands_on_their_partner(client, lead, partner):
    response = client.post(reverse("login"), {"username": lead.email, "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("partner_home", args=[partner.slug])
    assert partner.name in response.content.decode()


def test_a_wrong_password_shows_an_error_summary(client, lead):
    response = client.post(reverse("login"), {"username": lead.email, "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_repeated_failures_lock_the_username_from_that_address(client, lead, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": lead.email, "password": "wrong"})
    response = client.post(reverse("login"), {"username": lead.email, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # Another username from the same address is not locked.
    other = factories.UserFactory()
    ok = client.post(reverse("login"), {"username": other.email, "password": factories.PASSWORD})
    assert ok.status_code == 302


def test_logout_needs_a_post_and_signs_out(client, lead):
    client.force_login(lead)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(("role", "landing"), [("reviewer", "cohorts:review_list"), ("practice_admin", "practice_home")])
def test_the_practice_team_signs_in_to_their_own_landing_page(client, role, landing):
    """A reviewer's work is their queue of reviews: the password, then the code, then the queue
    (not the practice home, which holds only a link to it); the rest land on the practice home."""
    user = factories.PracticeUserFactory(email=f"{role}@pine.example", practice_role=role)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    response = client.post(reverse("login"), {"username": user.email, "password": factories.PASSWORD})
    assert response.url == f"{reverse('two_factor')}?next={reverse(landing).replace('/', '%2F')}"
    response = client.post(response.url, {"token": f"{TOTP(device.bin_key).token():06d}"})
    assert response.status_code == 302 and response.url == reverse(landing)
    assert client.get(response.url).status_code == 200


def test_practice_team_must_pass_the_second_factor_before_practice_pages(client, practice_admin):
    client.post(reverse("login"), {"username": practice_admin.email, "password": factories.PASSWORD})
    response = client.get(reverse("practice_home"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor"))
    # First time: the page offers a QR code and creates an unconfirmed device.
    page = client.get(reverse("two_factor"))
    assert "Set up your authenticator app" in page.content.decode()
    device = TOTPDevice.objects.get(user=practice_admin)
    wrong = client.post(reverse("two_factor"), {"token": "000000" if TOTP(device.bin_key).token() != 0 else "111111"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the next try wait a moment
    code = f"{TOTP(device.bin_key).token():06d}"
    response = client.post(reverse("two_factor"), {"token": code})
    # Set up: the recovery codes for a lost authenticator, shown once, then on.
    page = response.content.decode()
    assert response.status_code == 200 and "Your recovery codes" in page
    assert len(re.findall(r'<code class="pine-token">[a-z0-9]{5}-[a-z0-9]{5}</code>', page)) == 10
    assert client.get(reverse("practice_home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_a_recovery_code_signs_in_once_instead_of_the_authenticator(client, practice_admin):
    from pine import services

    TOTPDevice.objects.create(user=practice_admin, name="Phone", confirmed=True)
    codes = services.recovery_codes_create(user=practice_admin)
    client.post(reverse("login"), {"username": practice_admin.email, "password": factories.PASSWORD})
    page = client.get(reverse("two_factor")).content.decode()
    assert "Enter one of your recovery codes instead" in page
    response = client.post(reverse("two_factor"), {"token": codes[0].upper()}, follow=True)
    assert response.redirect_chain and "You have 9 left" in response.content.decode()
    assert client.get(reverse("practice_home")).status_code == 200
    # A used code does not work again, in a new session.
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": practice_admin.email, "password": factories.PASSWORD})
    again = client.post(reverse("two_factor"), {"token": codes[0]}).content.decode()
    assert "That recovery code is not right, or it has been used" in again
    # New codes from the account page replace the old ones.
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.get(user=practice_admin).throttle_reset()
    client.post(reverse("two_factor"), {"token": codes[1]})
    page = client.get(reverse("profile")).content.decode()
    assert "You have 8 unused" in page
    fresh = client.post(reverse("recovery_codes")).content.decode()
    assert "Your recovery codes" in fresh and codes[2] not in fresh
    assert services.recovery_codes_left(user=practice_admin) == 10
    assert AuditEvent.objects.filter(action="two_factor.recovery_codes").count() == 2


def test_partner_users_have_no_recovery_codes(client, lead):
    client.force_login(lead)
    client.post(reverse("recovery_codes"))
    assert "Recovery codes" not in client.get(reverse("profile")).content.decode()


def test_partner_users_get_404_from_practice_pages(client, lead):
    client.force_login(lead)
    assert client.get(reverse("practice_home")).status_code == 404
    assert client.get(reverse("cohorts_api:api_practice_applications")).status_code == 404


def test_password_reset_sends_a_link_that_sets_a_new_password(client, lead):
    client.post(reverse("password_reset"), {"email": lead.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.check_password("a-brand-new-pass-42")


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_a_lead_invites_a_colleague_who_creates_an_account_and_joins(client, lead, partner, django_capture_on_commit_callbacks):
    client.force_login(lead)
    response, link = invite(
        client, partner, django_capture_on_commit_callbacks, email="New.Person@Northshire.example", role="contributor"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@northshire.example"]
    page = client.get(link)
    assert f"Join {partner.name}" in page.content.decode()
    response = client.post(
        link, {"full_name": "New Person", "email": "new.person@northshire.example", "password": "long-enough-pass"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@northshire.example")
    assert Membership.objects.get(user=user, partner=partner).role == "contributor"
    assert Invitation.objects.get(email=user.email).accepted_at is not None
    # The link works once.
    assert "expired or has already been used" in client.get(link).content.decode()


def test_a_tampered_invitation_link_is_a_404(client):
    assert client.get(reverse("invitation_accept", args=["not-a-signed-token"])).status_code == 404


def test_contributors_cannot_invite(client, contributor, partner):
    client.force_login(contributor)
    response = client.post(reverse("partner_members", args=[partner.slug]), {"email": "x@example.org", "role": "lead"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_practice_admin_invites_a_partners_lead(practice_client, partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = practice_client.post(
            reverse("practice_invite", args=[partner.slug]), {"email": "lead@new.example", "role": "lead"}
        )
    assert response.status_code == 302
    assert Invitation.objects.get(email="lead@new.example").partner == partner
    assert "invited you to join" in mail.outbox[0].body


def test_an_agency_registers_and_becomes_the_lead_of_its_new_partner(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("register"),
            {
                "name": "Eastmere Safeguarding Partnership",
                "lead_agency_type": "local_authority",
                "la_code": "884",
                "region": "west_midlands",
                "agency_1_name": "Eastmere Police",
                "agency_1_type": "police",
                "agency_2_name": "Eastmere NHS Trust",
                "agency_2_type": "health",
                "full_name": "Morgan Reid",
                "email": "morgan@eastmere.example",
                "password": "a-long-password-1",
            },
        )
    partner = Partner.objects.get(name="Eastmere Safeguarding Partnership")
    # Not signed in yet: first the lead confirms their email address (tests/pine/test_registration.py).
    assert response.status_code == 302 and response.url == reverse("email_verification_sent")
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    client.post(link)
    signed_in = client.post(
        reverse("login"), {"username": "morgan@eastmere.example", "password": "a-long-password-1"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == reverse("partner_home", args=[partner.slug])
    assert Membership.objects.get(partner=partner).role == "lead"
    assert sorted(partner.agencies.values_list("name", flat=True)) == [
        "Eastmere NHS Trust",
        "Eastmere Police",
        "Eastmere Safeguarding Partnership",
    ]


def test_registering_with_a_taken_email_is_refused_with_a_message(client, lead):
    response = client.post(
        reverse("register"),
        {
            "name": "Another",
            "lead_agency_type": "police",
            "full_name": "X",
            "email": lead.email,
            "password": "a-long-password-1",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_users_create_and_revoke_api_tokens_on_their_profile(client, lead, partner):
    client.force_login(lead)
    page = client.post(reverse("profile"), {"name": "case system", "scope": "write", "days": "90"})
    key = re.search(r'id="new-token">(pine_[^<]+)<', page.content.decode()).group(1)
    api = client.__class__()
    assert api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {key}").json()["email"] == lead.email
    token = lead.api_tokens.get()
    client.post(reverse("api_token_revoke", args=[token.code]))
    assert api.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_api_token_command_prints_a_working_token(client, lead, capsys):
    call_command("api_token", lead.email)
    key = capsys.readouterr().out.strip()
    assert client.get(reverse("api_me"), HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_api_tokens_are_stored_only_as_hashes(lead):
    from pine import services

    token, key = services.api_token_create(user=lead, name="x")
    assert key not in token.key_hash and token.key_hash != key


def test_every_service_write_is_audited_with_actor_partner_and_changes(client, lead, partner, django_capture_on_commit_callbacks):
    client.force_login(lead)
    client.post(reverse("partner_members", args=[partner.slug]), {"email": "a@b.example", "role": "viewer"})
    event = AuditEvent.objects.get(action="invitation.create")
    assert (event.actor, event.partner, event.changes) == (lead, partner, {"email": "a@b.example", "role": "viewer"})


def test_healthz_reports_database_redis_workers_and_beat(client):
    from django.core.cache import cache

    from pine.tasks import heartbeat

    cache.delete("pine:heartbeat")
    assert client.get("/healthz").json()["celery"] == "no workers"
    beat = heartbeat()
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["database"] == "ok" and data["redis"] == "ok"
    # Read from what the heartbeat recorded: no broadcast ping to the workers per request.
    assert data["celery"].startswith("ok (")
    assert data["beat"] == f"last heartbeat {beat}"


def test_healthz_asks_no_worker_and_a_stale_heartbeat_means_no_worker(client, monkeypatch):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from pine.celery import app as celery_app

    monkeypatch.setattr(celery_app.control, "ping", lambda *a, **k: pytest.fail("a broadcast ping per request"))
    old = (timezone.now() - timedelta(minutes=10)).isoformat()
    cache.set("pine:heartbeat", {"at": old, "worker": "celery@w1"}, timeout=600)
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["celery"] == f"no worker seen since {old}"


def test_the_status_page_says_in_words_what_healthz_says(client):
    from pine.tasks import heartbeat

    heartbeat()
    page = client.get(reverse("service_status")).content.decode()
    assert "PINE is working" in page and "Background work (uploads, reports, emails)" in page and "Problem" not in page
    home = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("service_status")}">Service status' in home


def test_a_wrong_password_gets_a_govuk_message(client, lead):
    page = client.post(reverse("login"), {"username": lead.email, "password": "not it"}).content.decode()
    assert "There is a problem" in page and "Enter the email address and password of your PINE account" in page
    assert "Please enter a correct" not in page
    page = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert "Enter your email address" in page and "Enter your password" in page


def test_the_practice_team_gets_practice_wording_when_refused(client, lead, partner):
    from tests import factories
    from tests.conftest import verified_client

    analyst = verified_client(client, factories.PracticeUserFactory(practice_role="analyst"))
    evaluation = factories.EvaluationFactory(application__partner=partner)
    response = analyst.post(reverse("evaluations:practice_plan_sign_off", args=[evaluation.code]))
    page = response.content.decode()
    assert response.status_code == 403 and "Ask a practice admin" in page and "partnership's lead" not in page


def test_the_api_rejects_a_session_without_csrf(client, lead, partner):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(lead)
    response = csrf_client.post(reverse("api_tokens"), {"name": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_partner_users_are_never_staff():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create(email="x@example.org", full_name="X", is_staff=True)


def test_staff_cannot_join_a_partner(partner, practice_admin):
    from django.core.exceptions import ValidationError

    from pine import services

    with pytest.raises(ValidationError):
        services.membership_add(partner=partner, actor=practice_admin, user=practice_admin, role="lead")


def test_a_verified_practice_session_can_read_practice_api(client, practice_admin):
    verified_client(client, practice_admin)
    assert client.get(reverse("cohorts_api:api_practice_cohorts")).status_code == 200


def test_an_unverified_practice_session_reaches_only_the_second_factor(client, practice_admin):
    """With the password alone, a practice-team session reaches the two-factor page and sign-out:
    not its notifications (which quote conflict-of-interest declarations), profile or API."""
    client.force_login(practice_admin)
    two_factor = reverse("two_factor")
    for name in ("notifications", "profile", "home"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(two_factor), name
    assert client.post(reverse("notifications_read")).url.startswith(two_factor)
    for name in ("api_me", "api_notifications", "api_tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 403 and "authenticator" in response.json()["detail"], name
    assert client.post(reverse("api_tokens"), {"name": "x"}, content_type="application/json").status_code == 403
    assert client.get(two_factor).status_code == 200
    verified_client(client, practice_admin)
    assert client.get(reverse("notifications")).status_code == 200
    assert client.get(reverse("api_me")).status_code == 200


def test_a_signed_in_user_opening_another_addresss_invitation_is_told_so(client, lead, partner, other_lead):
    from pine import services as pine_services

    invitation = pine_services.invitation_create(partner=partner, actor=lead, email="someone.else@example.org", role="viewer")
    link = reverse("invitation_accept", args=[pine_services.invitation_token(invitation)])
    client.force_login(other_lead)
    page = client.get(link)
    assert page.status_code == 200 and "someone.else@example.org" in page.content.decode()
    response = client.post(link)
    assert response.status_code == 200
    assert "This invitation was sent to someone.else@example.org" in response.content.decode()
    assert not Membership.objects.filter(user=other_lead, partner=partner).exists()


def test_inviting_a_practice_team_address_looks_like_inviting_anyone(
    client, lead, partner, practice_admin, django_capture_on_commit_callbacks
):
    """The lead learns nothing about who is in the practice team; the practice account gets no link
    and could not join anyway."""
    from django.core.exceptions import ValidationError

    from pine import services as pine_services

    client.force_login(lead)
    url = reverse("partner_members", args=[partner.slug])
    for address in (practice_admin.email, "someone@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"email": address, "role": "viewer"})
        assert response.status_code == 302 and response.url == url
        page = client.get(url).content.decode()
        assert f"Invitation sent to {address}." in page and "practice-team" not in page and "practice team" not in page
    assert [m.to for m in mail.outbox] == [["someone@example.org"]]
    invitation = Invitation.objects.get(email=practice_admin.email)
    with pytest.raises(ValidationError):
        pine_services.invitation_accept(invitation=invitation, user=practice_admin)


def test_a_lead_changes_roles_removes_members_and_keeps_a_lead(client, lead, contributor, partner):
    from pine.models import Membership

    client.force_login(lead)
    url = reverse("partner_members", args=[partner.slug])
    page = client.get(url).content.decode()
    assert "What each role can do" in page and "Reads everything of the partnership, changes nothing" in page
    client.post(url, {"action": "change_role", "member": contributor.email, "new_role": "viewer"})
    assert Membership.objects.get(user=contributor, partner=partner).role == "viewer"
    assert AuditEvent.objects.filter(action="membership.update", partner=partner).exists()
    # The only lead cannot step down or be removed.
    response = client.post(url, {"action": "change_role", "member": lead.email, "new_role": "viewer"}, follow=True)
    assert "is the only lead" in response.content.decode()
    client.post(url, {"action": "remove", "member": lead.email})
    assert Membership.objects.filter(user=lead, partner=partner, role="lead").exists()
    client.post(url, {"action": "remove", "member": contributor.email})
    assert not Membership.objects.filter(user=contributor, partner=partner).exists()
    assert AuditEvent.objects.filter(action="membership.delete", partner=partner).count() == 1
    # Someone else's members cannot be named: nothing changes.
    other = factories.MembershipFactory(role="contributor")
    response = client.post(url, {"action": "remove", "member": other.user.email}, follow=True)
    assert "not a member" in response.content.decode()
    with in_scope_of():
        assert Membership.objects.filter(pk=other.pk).exists()


def test_a_lead_resends_or_cancels_an_invitation(client, lead, partner, django_capture_on_commit_callbacks):
    from pine import services
    from pine.models import Invitation

    invitation = services.invitation_create(partner=partner, actor=lead, email="new@northshire.example", role="viewer")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(lead)
    url = reverse("partner_members", args=[partner.slug])
    assert "Expired" in client.get(url).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "resend", "invitation": str(invitation.code)})
    invitation.refresh_from_db()
    assert invitation.is_pending and [m.to for m in mail.outbox] == [["new@northshire.example"]]
    client.post(url, {"action": "cancel", "invitation": str(invitation.code)})
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert client.post(url, {"action": "cancel", "invitation": "not-a-code"}).status_code == 302  # a message, not a 500


def test_only_a_lead_manages_members(client, contributor, lead, partner):
    from pine.models import Membership

    client.force_login(contributor)
    url = reverse("partner_members", args=[partner.slug])
    assert client.post(url, {"action": "remove", "member": lead.email}).status_code == 403
    assert Membership.objects.filter(user=lead, partner=partner).exists()
