"""API tokens: a scope (read, or read and write), an expiry (30 days at most for the practice team),
made and revoked only from a signed-in session, and ended by a password change or reset."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Application
from pine import services
from pine.models import ApiToken, AuditEvent
from tests import factories
from tests.conftest import in_scope_of, verified_client

pytestmark = pytest.mark.django_db


def _api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_read_token_reads_but_is_refused_any_change_with_a_clear_message(lead, partner):
    factories.CohortFactory(slug="open-round")
    _, key = services.api_token_create(user=lead, name="reporting", scope=ApiToken.Scope.READ)
    api = _api(key)
    assert api.get(reverse("api_me")).status_code == 200
    assert api.get(reverse("cohorts_api:api_applications", args=[partner.slug])).status_code == 200
    for response in (
        api.post(reverse("api_notifications_read"), {}, content_type="application/json"),
        api.post(
            reverse("cohorts_api:api_applications", args=[partner.slug]),
            {"cohort": "open-round"},
            content_type="application/json",
        ),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert "“reporting”) is read-only" in response.json()["detail"]
    assert not Application.objects.exists()


def test_a_write_token_may_change_things(lead):
    _, key = services.api_token_create(user=lead, name="case system", scope=ApiToken.Scope.WRITE)
    response = _api(key).post(reverse("api_notifications_read"), {}, content_type="application/json")
    assert response.status_code == 200


def test_tokens_cannot_make_or_revoke_tokens_only_a_signed_in_session_can(client, lead):
    token, key = services.api_token_create(user=lead, name="case system", scope=ApiToken.Scope.WRITE)
    api = _api(key)
    assert api.get(reverse("api_tokens")).status_code == 200  # reading the list is fine
    made = api.post(reverse("api_tokens"), {"name": "another", "scope": "write"}, content_type="application/json")
    assert made.status_code == 403 and "sign in" in made.json()["detail"]
    revoked = api.delete(reverse("api_token", args=[token.code]))
    assert revoked.status_code == 403 and "sign in" in revoked.json()["detail"]
    assert ApiToken.objects.filter(user=lead).count() == 1 and ApiToken.objects.get().revoked_at is None

    client.force_login(lead)
    made = client.post(reverse("api_tokens"), {"name": "another", "scope": "read", "days": 7}, content_type="application/json")
    assert made.status_code == 201
    body = made.json()
    assert body["scope"] == "read" and body["expired"] is False
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=7) - timedelta(minutes=1) < expires - timezone.now() <= timedelta(days=7)
    assert client.delete(reverse("api_token", args=[token.code])).status_code == 204


def test_an_unknown_a_revoked_and_an_inactive_users_token_are_refused_alike(lead):
    token, key = services.api_token_create(user=lead, name="gone")
    assert _api(key).get(reverse("api_me")).status_code == 200
    refusals = [_api(key + "x").get(reverse("api_me"))]
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    refusals.append(_api(key).get(reverse("api_me")))
    _, other = services.api_token_create(user=lead, name="inactive")
    type(lead).objects.filter(pk=lead.pk).update(is_active=False)
    refusals.append(_api(other).get(reverse("api_me")))
    assert [r.status_code for r in refusals] == [401, 401, 401]
    assert {r.json()["detail"] for r in refusals} == {"Invalid or revoked token."}


def test_a_token_is_read_in_one_query_that_neither_orders_nor_sorts(lead):
    # Every API request makes this query: no ORDER BY to compile or for the database to sort.
    _, key = services.api_token_create(user=lead, name="reads")
    services.api_token_authenticate(key)  # the first use records when it was used
    with CaptureQueriesContext(connection) as queries:
        assert services.api_token_authenticate(key).user == lead
    assert len(queries) == 1
    assert "ORDER BY" not in queries[0]["sql"]


def test_an_expired_token_is_refused_with_a_clear_401(lead):
    token, key = services.api_token_create(user=lead, name="old", days=1)
    assert _api(key).get(reverse("api_me")).status_code == 200
    past = timezone.now() - timedelta(days=2)
    ApiToken.objects.filter(pk=token.pk).update(created_at=past - timedelta(days=1), expires_at=past)
    response = _api(key).get(reverse("api_me"))
    assert response.status_code == 401
    assert response.json()["detail"].startswith("This token expired on ")
    assert "Make a new one" in response.json()["detail"]


def test_practice_tokens_last_at_most_30_days_and_partner_tokens_the_configured_maximum(lead, practice_admin, settings):
    practice_token, _ = services.api_token_create(user=practice_admin, name="x")
    assert practice_token.expires_at - practice_token.created_at == timedelta(days=30)
    with pytest.raises(ValidationError, match="from 1 to 30 days"):
        services.api_token_create(user=practice_admin, name="x", days=31)
    partner_token, _ = services.api_token_create(user=lead, name="x")
    assert partner_token.expires_at - partner_token.created_at == timedelta(days=90)
    settings.API_TOKEN_MAX_DAYS = 10
    with pytest.raises(ValidationError, match="from 1 to 10 days"):
        services.api_token_create(user=lead, name="x", days=11)
    with pytest.raises(ValidationError):
        services.api_token_create(user=lead, name="x", days=0)


def test_a_practice_token_made_by_the_api_cannot_outlive_30_days(client, practice_admin):
    verified_client(client, practice_admin)
    response = client.post(reverse("api_tokens"), {"name": "x", "scope": "read", "days": 90}, content_type="application/json")
    assert response.status_code == 400 and "from 1 to 30 days" in str(response.json())


def test_a_password_reset_revokes_the_users_tokens(client, lead):
    _, key = services.api_token_create(user=lead, name="case system")
    client.post(reverse("password_reset"), {"email": lead.email})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"})
    assert ApiToken.objects.get(user=lead).revoked_at is not None
    with in_scope_of():  # a partner-less record: the practice team reads it
        assert AuditEvent.objects.filter(action="api_token.revoke_all").count() == 1
    response = _api(key).get(reverse("api_me"))
    assert response.status_code == 401 and response.json()["detail"] == "Invalid or revoked token."


def test_changing_the_password_on_the_account_page_revokes_the_users_tokens(client, lead):
    _, key = services.api_token_create(user=lead, name="case system")
    client.force_login(lead)
    new = "another-long-pass-7"
    response = client.post(
        reverse("password_change"), {"old_password": factories.PASSWORD, "new_password1": new, "new_password2": new}, follow=True
    )
    assert "Your API tokens are revoked with the old password" in response.content.decode()
    assert ApiToken.objects.get(user=lead).revoked_at is not None
    assert _api(key).get(reverse("api_me")).status_code == 401


def test_a_password_changed_any_other_way_stops_the_tokens(client, lead):
    """However the password changes (here as ``manage.py changepassword`` would), a token made under
    the old one no longer signs in, and the token page says why."""
    _, key = services.api_token_create(user=lead, name="case system")
    lead.set_password("another-long-password-7")
    lead.save()
    response = _api(key).get(reverse("api_me"))
    assert response.status_code == 401 and "password changed" in response.json()["detail"]
    client.force_login(lead)
    assert "your password has changed" in client.get(reverse("profile")).content.decode()


def test_the_token_page_makes_a_token_with_its_scope_and_expiry_and_lists_them(client, lead):
    client.force_login(lead)
    page = client.get(reverse("profile")).content.decode()
    assert "At most 90 days" in page and 'value="90"' in page
    refused = client.post(reverse("profile"), {"name": "export", "scope": "read", "days": "91"})
    assert "A token can last from 1 to 90 days" in refused.content.decode()
    assert "There is a problem" in refused.content.decode()
    unchosen = client.post(reverse("profile"), {"name": "export", "days": "30"})
    assert "Choose what the token can do" in unchosen.content.decode()
    assert not ApiToken.objects.filter(user=lead).exists()

    made = client.post(reverse("profile"), {"name": "export", "scope": "read", "days": "30"}).content.decode()
    token = ApiToken.objects.get(user=lead)
    assert token.scope == "read" and token.expires_at - token.created_at == timedelta(days=30)
    assert re.search(r'id="new-token">pine_[^<]+<', made)
    listed = client.get(reverse("profile")).content.decode()
    assert "Read only" in listed and timezone.localtime(token.expires_at).strftime("%-d %b %Y") in listed


def test_the_practice_teams_token_page_offers_at_most_30_days(client, practice_admin):
    verified_client(client, practice_admin)
    page = client.get(reverse("profile")).content.decode()
    assert "At most 30 days" in page
    refused = client.post(reverse("profile"), {"name": "x", "scope": "read", "days": "31"})
    assert "A token can last from 1 to 30 days" in refused.content.decode()


def test_the_command_makes_a_read_token_unless_asked_for_write(lead, capsys):
    call_command("api_token", lead.email)
    read_key = capsys.readouterr().out.strip()
    call_command("api_token", lead.email, "--scope", "write", "--days", "5")
    write_key = capsys.readouterr().out.strip()
    assert _api(read_key).post(reverse("api_notifications_read"), {}, content_type="application/json").status_code == 403
    assert _api(write_key).post(reverse("api_notifications_read"), {}, content_type="application/json").status_code == 200
    assert sorted(ApiToken.objects.filter(user=lead).values_list("scope", flat=True)) == ["read", "write"]
