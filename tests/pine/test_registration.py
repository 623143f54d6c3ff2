"""Registering an agency: the email address is confirmed before the account is live; passwords pass
Django's validators wherever one is set; a registration like a partner already known waits for a
practice admin to confirm it before it can apply (security issue, Medium 7)."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Application
from cohorts.services import applications as application_services
from pine import selectors, services
from pine.models import AuditEvent, Invitation, Notification, Partner, User
from tests import factories
from tests.conftest import in_scope_of, token_client, verified_client
from tests.pine.invitations import invite

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long-password-1"


def _registration(**changes) -> dict:
    return {
        "name": "Eastmere Safeguarding Partnership",
        "lead_agency_type": "local_authority",
        "la_code": "884",
        "region": "west_midlands",
        "other_agencies": "",
        "full_name": "Morgan Reid",
        "email": "morgan@eastmere.example",
        "password": GOOD_PASSWORD,
        **changes,
    }


def _register(client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("register"), _registration(**changes))


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/confirm-email/\S+/)", message.body).group(1)


def _sign_in(client, email, password=GOOD_PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


def _verified_lead(client, django_capture_on_commit_callbacks, **changes) -> Partner:
    """Register, follow the emailed link and sign in: the lead's client, and their partner."""
    _register(client, django_capture_on_commit_callbacks, **changes)
    client.post(_link(mail.outbox[-1]))
    assert _sign_in(client, _registration(**changes)["email"]).status_code == 302
    return Partner.objects.get(name=_registration(**changes)["name"])


# --- the email address is confirmed first ------------------------------------------------------------


def test_a_new_account_cannot_sign_in_until_the_emailed_link_is_followed(client, django_capture_on_commit_callbacks):
    response = _register(client, django_capture_on_commit_callbacks, other_agencies="Eastmere Police")
    partner = Partner.objects.get(name="Eastmere Safeguarding Partnership")
    user = User.objects.get(email="morgan@eastmere.example")
    assert response.status_code == 302 and response.url == reverse("email_verification_sent")
    assert not user.email_verified and "_auth_user_id" not in client.session  # not signed in
    page = client.get(response.url).content.decode()
    assert "We have sent a link to <strong>morgan@eastmere.example</strong>" in page
    assert "Until you confirm your address you cannot sign in" in page and "Send the email again" in page

    # The email holds none of the words the stranger typed.
    (message,) = mail.outbox
    assert message.to == ["morgan@eastmere.example"] and message.subject == "Confirm your email address for PINE"
    assert message.body.startswith("Confirm your email address to finish registering with PINE.")
    assert "Morgan" not in message.body and "Eastmere" not in message.body.replace("morgan@eastmere.example", "")

    # Signing in: the right password is told to confirm the address (and nothing else is let in).
    stranger = Client()
    wrong = _sign_in(stranger, user.email, "wrong-password")
    assert wrong.status_code == 200 and "There is a problem" in wrong.content.decode()  # as for any wrong password
    refused = _sign_in(stranger, user.email)
    assert refused.status_code == 302 and refused.url == reverse("email_verification_sent")
    assert "_auth_user_id" not in stranger.session
    assert stranger.get(reverse("partner_home", args=[partner.slug])).status_code == 302  # to sign in

    # Opening the link (as a mail scanner does) changes nothing: the button does.
    link = _link(message)
    page = client.get(link).content.decode()
    assert "Confirm that <strong>morgan@eastmere.example</strong> is your email address" in page
    user.refresh_from_db()
    assert not user.email_verified
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.url == reverse("login")
    user.refresh_from_db()
    assert user.email_verified
    assert AuditEvent.objects.filter(action="user.email_verify", object_code=str(user.pk)).exists()
    assert "already confirmed" in client.get(link).content.decode()

    signed_in = _sign_in(client, user.email)
    assert signed_in.status_code == 302 and signed_in.url == reverse("home")
    assert partner.name in client.get(reverse("partner_home", args=[partner.slug])).content.decode()


def test_a_forged_or_stale_link_confirms_nothing(client, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks)
    user = User.objects.get(email="morgan@eastmere.example")
    link = _link(mail.outbox[0])
    for bad in (link[:-3] + "xx/", reverse("email_verify", args=["not-a-token"])):
        assert "This link has expired" in client.get(bad).content.decode()
        assert "This link has expired" in client.post(bad).content.decode()
    # A link sent to the address the account had before is void.
    User.objects.filter(pk=user.pk).update(email="someone.else@eastmere.example")
    assert "This link has expired" in client.post(link).content.decode()
    user.refresh_from_db()
    assert not user.email_verified


def test_the_link_is_sent_again_at_most_three_times_an_hour(client, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            again = client.post(reverse("email_verification_sent"), follow=True)
            assert "We have sent the email again to morgan@eastmere.example" in again.content.decode()
        refused = client.post(reverse("email_verification_sent"), follow=True).content.decode()
    assert "We have sent this email too many times in the last hour" in refused
    assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {"morgan@eastmere.example"}
    # Without a registration (or a right password) in the session, the page sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("email_verification_sent"))
    assert len(mail.outbox) == 3


def test_one_client_address_registers_at_most_ten_agencies_a_day(client, django_capture_on_commit_callbacks):
    for n in range(10):
        response = _register(
            client, django_capture_on_commit_callbacks, name=f"Agency {n}", la_code="", email=f"lead{n}@x.example"
        )
        assert response.status_code == 302, n
    refused = _register(client, django_capture_on_commit_callbacks, name="Agency 10", la_code="", email="lead10@x.example")
    assert refused.status_code == 200
    assert "too many registrations from your network" in refused.content.decode()
    assert not User.objects.filter(email="lead10@x.example").exists() and Partner.objects.count() == 10
    other = Client(REMOTE_ADDR="203.0.113.5")
    assert (
        _register(other, django_capture_on_commit_callbacks, name="Agency 11", la_code="", email="lead11@x.example").status_code
        == 302
    )


def test_a_password_reset_link_also_shows_the_address_is_theirs(client, django_capture_on_commit_callbacks):
    _register(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": "morgan@eastmere.example"})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"})
    assert User.objects.get(email="morgan@eastmere.example").email_verified
    assert _sign_in(client, "morgan@eastmere.example", "another-long-pass-7").status_code == 302
    assert AuditEvent.objects.filter(action="user.password_reset").exists()


@pytest.mark.django_db(transaction=True)
def test_accounts_from_before_keep_signing_in():
    """Everyone who could sign in before addresses were confirmed still can: the migration counts
    their address as shown when they joined."""
    heads = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [("pine", "0004_api_token_scope_and_expiry")]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO pine_user (email, full_name, password, practice_role, is_staff, is_active, is_superuser, "
                "date_joined) VALUES ('old@example.org', 'Old Hand', '', '', false, true, false, '2024-05-01T09:00:00Z')"
            )
        MigrationExecutor(connection).migrate(heads)
        user = User.objects.get(email="old@example.org")
        assert user.email_verified and user.email_verified_at.year == 2024
    finally:
        MigrationExecutor(connection).migrate(heads)


# --- Django's password validators, with GOV.UK messages, wherever a password is set -----------------

WEAK_PASSWORDS = [
    ("1234567890", "Your password must not be only numbers"),
    ("password123", "Your password is too common: choose one that is harder to guess"),
    ("short1", "Your password must be at least 10 characters"),
    ("morgan reid!", "Your password must not be like your full name"),
    ("morgan@eastmere", "Your password must not be like your email address"),
]


@pytest.mark.parametrize("password, message", WEAK_PASSWORDS)
def test_registration_refuses_a_weak_password_with_a_clear_message(client, password, message):
    response = client.post(reverse("register"), _registration(password=password))
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert message in page
    assert not User.objects.exists() and not Partner.objects.filter(name__startswith="Eastmere").exists()
    with pytest.raises(ValidationError, match=message):
        services.user_create(email="morgan@eastmere.example", full_name="Morgan Reid", password=password)


def test_accepting_an_invitation_refuses_a_weak_password(client, lead, partner, django_capture_on_commit_callbacks):
    client.force_login(lead)
    _, link = invite(client, partner, django_capture_on_commit_callbacks, email="new.person@northshire.example", role="viewer")
    data = {"full_name": "New Person", "email": "new.person@northshire.example"}
    refused = client.post(link, {**data, "password": "1234567890"})
    assert "Your password must not be only numbers" in refused.content.decode()
    assert not User.objects.filter(email="new.person@northshire.example").exists()
    # The invitation was emailed to the address: the new account is live at once.
    assert client.post(link, {**data, "password": GOOD_PASSWORD}).status_code == 302
    assert User.objects.get(email="new.person@northshire.example").email_verified
    assert Invitation.objects.get(email="new.person@northshire.example").accepted_at is not None


def test_a_password_reset_refuses_a_weak_password(client, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": lead.email})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    refused = client.post(form_url, {"new_password1": "1234567890", "new_password2": "1234567890"})
    page = refused.content.decode()
    assert "Your password must not be only numbers" in page and 'href="#id_new_password1"' in page
    mismatch = client.post(form_url, {"new_password1": "another-long-pass-7", "new_password2": "another-long-pass-8"})
    assert "The passwords do not match" in mismatch.content.decode()
    lead.refresh_from_db()
    assert lead.check_password(factories.PASSWORD)


def test_a_signed_in_user_changes_their_password_and_weak_ones_are_refused(client, lead):
    client.force_login(lead)
    assert 'href="/accounts/password/"' in client.get(reverse("profile")).content.decode()
    url = reverse("password_change")
    weak = client.post(url, {"old_password": factories.PASSWORD, "new_password1": "password123", "new_password2": "password123"})
    assert "Your password is too common" in weak.content.decode()
    wrong = client.post(
        url, {"old_password": "not-it", "new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"}
    )
    assert "Your current password is not right" in wrong.content.decode()
    lead.refresh_from_db()
    assert lead.check_password(factories.PASSWORD)
    changed = client.post(
        url, {"old_password": factories.PASSWORD, "new_password1": "another-long-pass-7", "new_password2": "another-long-pass-7"}
    )
    assert changed.status_code == 302 and changed.url == reverse("profile")
    lead.refresh_from_db()
    assert lead.check_password("another-long-pass-7")
    assert client.get(reverse("profile")).status_code == 200  # still signed in
    with in_scope_of():  # the practice team reads the trail of a user's own records
        assert AuditEvent.objects.filter(action="user.password_change", object_code=str(lead.pk)).exists()


def test_signed_out_people_are_sent_to_sign_in_to_change_a_password(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- a registration like a partner already known waits for the practice team --------------------------


@pytest.mark.parametrize(
    "name, like",
    [
        ("Northshire County Council", "Northshire"),
        ("northshire council", "NORTHSHIRE"),
        ("Council of Northshire", "The Northshire Council"),
        ("London Borough of Camden", "Camden Council"),
        ("Brighton & Hove City Council", "Brighton and Hove"),
        ("St. Helen’s Borough Council", "St Helens Council"),
        ("Bracknell Forest Council", "Bracknell-Forest"),
    ],
)
def test_names_are_alike_whatever_their_case_punctuation_and_council_words(name, like):
    assert selectors.partner_name_key(name) == selectors.partner_name_key(like)


@pytest.mark.parametrize(
    "name, unlike", [("Northshire County Council", "Southshire County Council"), ("Northshire", "Northshire Police")]
)
def test_different_names_are_not_alike(name, unlike):
    assert selectors.partner_name_key(name) != selectors.partner_name_key(unlike)


@pytest.fixture
def northshire():
    return factories.PartnerFactory(name="Northshire County Council", la_code="933", slug="northshire-cc")


@pytest.mark.parametrize(
    "changes, note",
    [
        ({"name": "Northshire Council", "la_code": ""}, "An organisation already registered with PINE has a name like this one."),
        ({"la_code": "933"}, "An organisation already registered with PINE has the same local authority code (933)."),
        (
            {"name": "NORTHSHIRE COUNTY COUNCIL", "la_code": "933"},
            "An organisation already registered with PINE has the same local authority code (933) and a name like this one.",
        ),
    ],
)
def test_a_registration_like_a_known_partner_waits_and_says_why(
    client, northshire, changes, note, django_capture_on_commit_callbacks
):
    _register(client, django_capture_on_commit_callbacks, **changes)
    partner = Partner.objects.get(name=_registration(**changes)["name"], registration=Partner.Registration.WAITING)
    assert partner.registration_note == note
    assert "Northshire County Council" not in partner.registration_note  # the other partner is not named to them
    create = AuditEvent.objects.get(action="partner.create", object_code=str(partner.code))
    assert create.changes["registration"] == "waiting" and create.changes["registration_note"] == note


def test_an_unlike_registration_can_apply_at_once(client, northshire, django_capture_on_commit_callbacks):
    partner = _verified_lead(client, django_capture_on_commit_callbacks)
    assert partner.registration == Partner.Registration.CONFIRMED and partner.apply_refusal is None
    cohort = factories.CohortFactory()
    assert 'id="registration-banner"' not in client.get(reverse("partner_home", args=[partner.slug])).content.decode()
    response = client.post(reverse("cohorts:application_create", args=[partner.slug, cohort.slug]), {"practice_title": "FGC"})
    assert response.status_code == 302 and Application.objects.filter(partner=partner).exists()


def test_a_waiting_partner_sees_why_and_cannot_apply_by_page_or_api(client, northshire, django_capture_on_commit_callbacks):
    partner = _verified_lead(client, django_capture_on_commit_callbacks, name="Northshire Council", la_code="933")
    cohort = factories.CohortFactory()
    home = client.get(reverse("partner_home", args=[partner.slug])).content.decode()
    assert 'id="registration-banner"' in home
    assert "The practice team is checking Northshire Council’s registration before it can apply." in home
    assert "the same local authority code (933)" in home
    start_url = reverse("cohorts:application_create", args=[partner.slug, cohort.slug])
    start = client.get(start_url).content.decode()
    assert "cannot start an application yet" in start and "Save and continue" not in start
    refused = client.post(start_url, {"practice_title": "FGC"})
    assert refused.status_code == 200 and "is checking Northshire Council’s registration" in refused.content.decode()
    lead = User.objects.get(email="morgan@eastmere.example")
    api = token_client(lead).post(
        reverse("cohorts_api:api_applications", args=[partner.slug]),
        {"cohort": cohort.slug, "practice_title": "FGC"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "is checking Northshire Council’s registration" in str(api.json())
    with pytest.raises(ValidationError, match="is checking"):
        application_services.application_create(partner=partner, actor=lead, cohort=cohort, practice_title="FGC")
    assert not Application.objects.filter(partner=partner).exists()


def _waiting(django_capture_on_commit_callbacks, **changes) -> Partner:
    _register(Client(), django_capture_on_commit_callbacks, **changes)
    return Partner.objects.get(name=_registration(**changes)["name"])


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_a_practice_admin_sees_waiting_registrations_and_confirms_one(
    practice_client, northshire, django_capture_on_commit_callbacks
):
    waiting = _waiting(django_capture_on_commit_callbacks, name="Northshire Council", la_code="933")
    home = practice_client.get(reverse("practice_home"), follow=True).content.decode()
    assert 'id="nav-registrations"' in home and "Registrations to check" in home
    one = _queries(practice_client, reverse("practice_registrations"))
    for n in range(3):  # more registrations to check: no more queries
        _waiting(
            django_capture_on_commit_callbacks, name=f"Northshire CC {n}", la_code="933", email=f"sam{n}@northshire-cc.example"
        )
    assert _queries(practice_client, reverse("practice_registrations")) == one
    listing = practice_client.get(reverse("practice_registrations")).content.decode()
    assert "Northshire Council (933)" in listing and "Northshire CC 2 (933)" in listing
    assert "Northshire County Council (933): name and code" in listing and "Email not confirmed" in listing

    url = reverse("practice_registration", args=[waiting.slug])
    page = practice_client.get(url).content.decode()
    assert "Northshire County Council (933)" in page and "the same name and local authority code" in page
    lead = User.objects.get(email="morgan@eastmere.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = practice_client.post(url, {"decision": "confirm"})
    assert response.status_code == 302 and response.url == reverse("practice_registrations")
    waiting.refresh_from_db()
    assert waiting.registration == Partner.Registration.CONFIRMED and waiting.apply_refusal is None
    event = AuditEvent.objects.get(action="partner.registration_confirm", object_code=str(waiting.code))
    assert event.changes["registration"] == ["waiting", "confirmed"]
    assert Notification.objects.filter(recipient=lead, subject="Your registration is confirmed: Northshire Council").exists()
    assert any(m.to == [lead.email] and "You can now apply" in m.body for m in mail.outbox)
    # Decided once: it has left the list and its page.
    assert f'href="{url}"' not in practice_client.get(reverse("practice_registrations")).content.decode()
    assert practice_client.get(url).status_code == 404
    # Now it applies.
    application_services.application_create(partner=waiting, actor=lead, cohort=factories.CohortFactory(), practice_title="FGC")


def test_a_practice_admin_rejects_a_registration_with_a_reason_the_partner_sees(
    practice_client, northshire, django_capture_on_commit_callbacks
):
    client = Client()
    partner = _verified_lead(client, django_capture_on_commit_callbacks, name="Northshire Council", la_code="933")
    url = reverse("practice_registration", args=[partner.slug])
    no_reason = practice_client.post(url, {"decision": "reject", "reason": " "})
    assert "Enter why the registration is not confirmed" in no_reason.content.decode()
    assert practice_client.post(url, {}).content.decode().count("Choose whether to confirm the registration") >= 1
    reason = "Northshire County Council is already registered: ask its lead to invite you."
    with django_capture_on_commit_callbacks(execute=True):
        practice_client.post(url, {"decision": "reject", "reason": reason})
    partner.refresh_from_db()
    assert partner.registration == Partner.Registration.REJECTED and partner.registration_note == reason
    assert AuditEvent.objects.filter(action="partner.registration_reject", object_code=str(partner.code)).exists()
    home = client.get(reverse("partner_home", args=[partner.slug])).content.decode()
    assert (
        "did not confirm Northshire Council’s registration, so it cannot apply." in home and "ask its lead to invite you" in home
    )
    with pytest.raises(ValidationError, match="did not confirm"):
        application_services.application_create(
            partner=partner,
            actor=User.objects.get(email="morgan@eastmere.example"),
            cohort=factories.CohortFactory(),
            practice_title="X",
        )
    # A rejected registration is not "already known": another like it is compared with the council only.
    assert [m.partner for m in selectors.partner_match_list(name="Northshire Council", la_code="")] == [northshire]


def test_only_practice_admins_reach_the_registrations_to_check(northshire, lead, other_lead, django_capture_on_commit_callbacks):
    waiting = _waiting(django_capture_on_commit_callbacks, name="Northshire Council", la_code="933")
    pages = [reverse("practice_registrations"), reverse("practice_registration", args=[waiting.slug])]
    for user in (lead, other_lead):
        client = Client()
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 404
            assert client.post(page, {"decision": "confirm"}).status_code == 404
    for role in ("analyst", "reviewer"):
        client = verified_client(Client(), factories.PracticeUserFactory(practice_role=role))
        for page in pages:
            assert client.get(page).status_code == 403
        assert 'id="nav-registrations"' not in client.get(reverse("notifications")).content.decode()
    waiting.refresh_from_db()
    assert waiting.registration == Partner.Registration.WAITING
    with pytest.raises(Exception, match="Only a practice admin"):
        services.partner_registration_confirm(actor=factories.PracticeUserFactory(practice_role="analyst"), partner=waiting)
    # A confirmed partner's slug has no registration page.
    admin = verified_client(Client(), factories.PracticeUserFactory())
    assert admin.get(reverse("practice_registration", args=[northshire.slug])).status_code == 404


# --- each agency's type, asked with radios ---------------------------------------------------------


def test_registration_asks_each_agencys_type_with_radios_and_nothing_chosen(client):
    html = client.get(reverse("register")).content.decode()
    assert 'name="lead_agency_type" type="radio"' in html
    assert 'name="agency_1_name"' in html and 'name="agency_1_type" type="radio"' in html
    assert " checked" not in html  # nothing pre-selected
    lead_choices = html.split('name="lead_agency_type"', 1)[1].split('name="la_code"', 1)[0]
    assert "voluntary" not in lead_choices and "<select" not in lead_choices  # radios; the lead must be statutory


def test_each_agency_is_stored_with_the_type_chosen_and_the_real_lead(client, django_capture_on_commit_callbacks):
    response = _register(
        client,
        django_capture_on_commit_callbacks,
        lead_agency_name="Eastmere County Council",
        agency_1_name="Eastmere Police",
        agency_1_type="police",
        agency_2_name="Eastmere Family Trust",
        agency_2_type="voluntary",
    )
    assert response.status_code == 302
    partner = Partner.objects.get(name="Eastmere Safeguarding Partnership")
    with in_scope_of(None):
        agencies = list(partner.agencies.order_by("-is_lead", "name").values_list("name", "agency_type", "is_lead"))
    assert agencies == [
        ("Eastmere County Council", "local_authority", True),
        ("Eastmere Family Trust", "voluntary", False),
        ("Eastmere Police", "police", False),
    ]


def test_an_agency_without_a_type_or_a_voluntary_lead_is_refused_with_a_message(client, django_capture_on_commit_callbacks):
    response = _register(client, django_capture_on_commit_callbacks, agency_1_name="Eastmere Police")
    assert "Choose the type of Eastmere Police" in response.content.decode()
    response = _register(client, django_capture_on_commit_callbacks, lead_agency_type="voluntary")
    assert "Choose the type of lead agency" in response.content.decode()
    assert not Partner.objects.filter(name="Eastmere Safeguarding Partnership").exists()
    with pytest.raises(ValidationError, match="statutory"):
        services.partner_register(
            name="Voluntary lead",
            lead_agency_type="voluntary",
            la_code="",
            region="",
            agencies=[],
            full_name="V",
            email="v@example.org",
            password=GOOD_PASSWORD,
        )
