"""Notifications: emails rendered from templates and sent after commit by a retrying Celery task,
and each user's own in-app list (page, header count and API)."""

import smtplib
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from pine import notifications
from pine.models import Invitation, Notification
from pine.tasks import send_email
from pine.tenancy import partner_scope, user_scope
from tests import factories
from tests.conftest import in_scope_of, token_client

pytestmark = pytest.mark.django_db

EMAIL_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "email"


class Boom(Exception):
    pass


class FlakyBackend(EmailBackend):
    """The mail server: down for the first ``failures`` sends (raising ``error``), then up."""

    failures = 0
    error: Exception = OSError("Connection refused")
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            raise type(self).error
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.pine.test_notifications.FlakyBackend"
    # Eager tasks (the tests' worker) then retry in-process, as a worker would, instead of raising Retry.
    monkeypatch.setitem(send_email.app.conf, "task_eager_propagates", False)
    FlakyBackend.attempts, FlakyBackend.failures, FlakyBackend.error = 0, 0, OSError("Connection refused")
    return FlakyBackend


def _notification(user, partner=None, **fields):
    fields.setdefault("subject", "Something happened")
    fields.setdefault("body", "Details.")
    with in_scope_of():  # setup: any user's notification, about any partner
        return Notification.objects.create(recipient=user, partner=partner, **fields)


# --- templates ------------------------------------------------------------------------------------


def test_every_email_template_has_a_one_line_subject_template():
    bodies = [p for p in EMAIL_TEMPLATES.glob("*.txt") if not p.stem.endswith("_subject")]
    assert {"invitation", "milestones_overdue", "application_submitted", "information_requested"} <= {p.stem for p in bodies}
    for body in bodies:
        assert (EMAIL_TEMPLATES / f"{body.stem}_subject.txt").exists(), body.name


def test_emails_render_as_plain_text_with_the_subject_on_one_line(partner, lead):
    partner.name = "St Mary's & Holy Cross <Partnership>"
    invitation = Invitation(
        partner=partner, email="x@example.org", role="contributor", invited_by=lead, expires_at=timezone.now()
    )
    subject, body = notifications.render_email("invitation", {"invitation": invitation, "link": "http://testserver/x/"})
    assert subject == "You are invited to join St Mary's & Holy Cross <Partnership> on PINE"
    assert "\n" not in subject
    assert "St Mary's & Holy Cross <Partnership> on PINE as contributor" in body  # not HTML-escaped
    assert "&amp;" not in body and "&#x27;" not in body


# --- sent after commit, never after a rollback -----------------------------------------------------


def test_an_email_is_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks, lead, partner):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.email_after_commit(
            to=[lead.email],
            template="milestones_overdue",
            context={"partner": partner, "milestones": []},
            attachments=[("milestones.csv", "kind,due\n", "text/csv")],
        )
        assert mail.outbox == []  # nothing is sent inside the transaction
    assert len(callbacks) == 1
    callbacks[0]()
    message = mail.outbox[0]
    assert message.to == [lead.email]
    assert message.subject == f"PINE: 0 overdue milestones for {partner.name}"
    assert message.attachments == [("milestones.csv", "kind,due\n", "text/csv")]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_or_recorded_when_the_transaction_rolls_back():
    partner = factories.PartnerFactory()
    lead = factories.MembershipFactory(partner=partner, role="lead").user
    with pytest.raises(Boom), transaction.atomic():
        notifications.notify(recipients=[lead], template="milestones_overdue", context={"partner": partner}, partner=partner)
        notifications.email_after_commit(to=[lead.email], template="milestones_overdue", context={"partner": partner})
        raise Boom
    assert mail.outbox == []
    assert not Notification.objects.exists()

    with transaction.atomic():  # a real commit: now the worker (eager in tests) sends both
        notifications.notify(recipients=[lead], template="milestones_overdue", context={"partner": partner}, partner=partner)
        notifications.email_after_commit(to=[lead.email], template="milestones_overdue", context={"partner": partner})
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [[lead.email], [lead.email]]
    assert Notification.objects.filter(recipient=lead).count() == 1


# --- the task: retried when the mail server fails ---------------------------------------------------


def test_the_task_retries_when_the_mail_server_is_down_and_then_sends_once(flaky):
    flaky.failures = 2
    send_email.delay(to=["a@example.org"], subject="Hello", body="Body", attachments=[["a.txt", "text", "text/plain"]])
    assert flaky.attempts == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Hello"


def test_the_task_retries_an_smtp_refusal_too(flaky):
    flaky.failures, flaky.error = 1, smtplib.SMTPServerDisconnected("gone")
    send_email.delay(to=["a@example.org"], subject="Hello", body="Body")
    assert flaky.attempts == 2 and len(mail.outbox) == 1


def test_the_task_gives_up_after_a_bounded_number_of_retries(flaky):
    flaky.failures = 1000
    result = send_email.delay(to=["a@example.org"], subject="Hello", body="Body")
    assert result.failed() and isinstance(result.result, OSError)
    assert flaky.attempts == send_email.max_retries + 1
    assert mail.outbox == []


def test_the_task_acknowledges_late_and_backs_off():
    assert send_email.acks_late is True
    assert send_email.retry_backoff and 0 < send_email.max_retries <= 10
    assert set(send_email.autoretry_for) >= {OSError, smtplib.SMTPException}


# --- notify ---------------------------------------------------------------------------------------


def test_notify_records_one_notification_per_recipient_and_emails_each(
    django_capture_on_commit_callbacks, partner, lead, contributor
):
    inactive = factories.MembershipFactory(partner=partner, role="lead", user__is_active=False).user
    with django_capture_on_commit_callbacks(execute=True):
        made = notifications.notify(
            recipients=[lead, contributor, lead, inactive],
            template="milestones_overdue",
            context={"partner": partner, "milestones": []},
            link=f"/p/{partner.slug}/",
            partner=partner,
        )
    assert [n.recipient for n in made] == [lead, contributor]
    rows = Notification.objects.filter(partner=partner).order_by("recipient__email")
    assert [(n.recipient, n.link, n.read_at) for n in rows] == [
        (contributor, f"/p/{partner.slug}/", None),
        (lead, f"/p/{partner.slug}/", None),
    ]
    assert rows[0].subject == f"PINE: 0 overdue milestones for {partner.name}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lead.email, contributor.email])  # one email each


def test_partner_recipients_are_the_active_leads_and_contributors(partner, lead, contributor, viewer, other_lead):
    factories.MembershipFactory(partner=partner, role="contributor", user__is_active=False)
    assert notifications.partner_recipients(partner=partner) == sorted([lead, contributor], key=lambda u: u.email)
    assert notifications.practice_admins() == []


def test_a_link_must_be_a_path_on_this_site(lead, partner):
    for link in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            notifications.notify(recipients=[lead], template="milestones_overdue", context={"partner": partner}, link=link)
    assert not Notification.objects.exists()


# --- the second wall ----------------------------------------------------------------------------------


def test_row_level_security_shows_a_user_their_own_and_a_partner_only_its_own(partner, other_partner, lead, other_lead):
    mine = _notification(lead, partner)
    theirs = _notification(other_lead, other_partner)
    admin_note = _notification(factories.PracticeUserFactory())  # about no partner
    with user_scope(lead.pk):
        assert list(Notification.objects.values_list("pk", flat=True)) == [mine.pk]  # no filter at all
        assert Notification.objects.filter(pk=theirs.pk).update(read_at="2026-01-01T00:00Z") == 0
    with partner_scope(other_partner.pk, user_id=other_lead.pk):
        assert set(Notification.objects.values_list("pk", flat=True)) == {theirs.pk}
        assert not Notification.objects.filter(pk=admin_note.pk).exists()
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            # about another partner, for someone else
            Notification.objects.create(recipient=lead, partner=partner, subject="Not yours", body="No.")


# --- the in-app list -----------------------------------------------------------------------------


def test_the_list_shows_only_my_notifications_newest_first_with_unread_marked(client, partner, lead, other_lead):
    older = _notification(lead, partner, subject="Older news", link=f"/p/{partner.slug}/")
    newer = _notification(lead, partner, subject="Newer news")
    _notification(other_lead, subject="Someone else's news")
    Notification.objects.filter(pk=older.pk).update(read_at=newer.created_at)
    client.force_login(lead)
    page = client.get(reverse("notifications")).content.decode()
    assert page.index("Newer news") < page.index("Older news")
    assert "Someone else" not in page
    # Through the page that marks it read, then on to the page it is about.
    assert f'href="{reverse("notification_open", args=[older.code])}">Older news</a>' in page
    assert page.count(">Unread</strong>") == 1


def test_the_header_shows_my_unread_count_in_one_query(client, partner, lead, other_lead, django_assert_num_queries):
    _notification(lead, partner)
    _notification(lead, partner)
    _notification(other_lead)
    client.force_login(lead)
    page = client.get(reverse("partner_home", args=[partner.slug])).content.decode()
    assert 'id="nav-notifications">Notifications <strong class="govuk-tag govuk-tag--red">2<' in page
    from pine.context_processors import _unread_count

    request = client.get(reverse("notifications")).wsgi_request
    with transaction.atomic(), user_scope(lead.pk), django_assert_num_queries(1):
        assert _unread_count(request) == 2


def test_the_header_shows_no_count_on_public_pages_or_when_all_are_read(client, partner, lead):
    _notification(lead, partner)
    client.force_login(lead)
    public = client.get(reverse("cohorts:public_list")).content.decode()
    assert 'id="nav-notifications">Notifications</a>' in public
    client.post(reverse("notifications_read"))
    assert 'id="nav-notifications">Notifications</a>' in client.get(reverse("notifications")).content.decode()


def test_mark_all_as_read_marks_only_mine(client, partner, lead, other_lead):
    mine = _notification(lead, partner)
    theirs = _notification(other_lead)
    client.force_login(lead)
    response = client.post(reverse("notifications_read"), follow=True)
    assert "1 notification marked as read" in response.content.decode()
    with in_scope_of():  # across users
        mine.refresh_from_db()
        theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


def test_the_list_needs_a_signed_in_user_and_pages_bad_input_safely(client, lead):
    assert client.get(reverse("notifications")).status_code == 302
    client.force_login(lead)
    for n in range(30):
        _notification(lead, subject=f"News {n}")
    assert "News 29" in client.get(reverse("notifications")).content.decode()
    for page in ("2", "999", "nonsense", "-1"):
        assert client.get(reverse("notifications"), {"page": page}).status_code == 200


def test_another_partners_member_gets_a_404_for_the_partner_a_notification_links_to(client, partner, lead, other_lead):
    note = _notification(lead, partner, link=f"/p/{partner.slug}/")
    client.force_login(other_lead)
    assert note.subject not in client.get(reverse("notifications")).content.decode()
    assert client.get(note.link).status_code == 404


# --- the API ------------------------------------------------------------------------------------------


def test_the_api_lists_my_notifications_paginated(partner, lead, other_lead):
    for n in range(3):
        _notification(lead, partner, subject=f"News {n}", link="/home/")
    _notification(other_lead, subject="Not yours")
    api = token_client(lead)
    body = api.get(reverse("api_notifications"), {"limit": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["results"][0]["subject"] == "News 2" and body["results"][0]["read_at"] is None
    assert set(body["results"][0]) == {"code", "subject", "body", "link", "kind", "created_at", "read_at"}
    assert "Not yours" not in str(api.get(reverse("api_notifications")).json())


def test_the_api_marks_chosen_or_all_of_my_notifications_read(lead, other_lead, partner):
    first = _notification(lead, partner)
    second = _notification(lead, partner)
    theirs = _notification(other_lead)
    api = token_client(lead)
    url = reverse("api_notifications_read")
    response = api.post(url, {"codes": [str(first.code), str(theirs.code)]}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"marked": 1, "unread": 1}
    with in_scope_of():  # across users
        theirs.refresh_from_db()
    assert theirs.read_at is None  # someone else's code changes nothing
    assert api.post(url, {}, content_type="application/json").json() == {"marked": 1, "unread": 0}
    with in_scope_of():
        second.refresh_from_db()
    assert second.read_at is not None


def test_the_api_refuses_bad_input_with_field_errors_and_strangers(client, lead):
    api = token_client(lead)
    url = reverse("api_notifications_read")
    response = api.post(url, {"codes": ["not-a-uuid"]}, content_type="application/json")
    assert response.status_code == 400 and "codes" in response.json()
    assert api.post(url, {"codes": "x"}, content_type="application/json").status_code == 400
    assert client.get(reverse("api_notifications")).status_code in (401, 403)
    assert client.post(url).status_code in (401, 403)


def test_the_notification_table_has_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'pine_notification'")
        assert cursor.fetchone() == (True, True)


# --- kinds, email choices, opening one ----------------------------------------------------------------


def test_each_template_has_a_kind_and_every_kind_a_label():
    assert notifications.kind_of("plan_signed_off") == "plans"
    assert notifications.kind_of("period_approved") == "data"
    assert notifications.kind_of("submission_needs_explanation_practice") == "data"
    assert notifications.kind_of("review_assigned") == "reviews"
    assert notifications.kind_of("milestones_overdue") == "other"
    kinds = {notifications.kind_of(path.name.removesuffix(".txt")) for path in EMAIL_TEMPLATES.glob("*.txt")}
    assert kinds <= set(notifications.KINDS)


def test_a_user_chooses_which_kinds_are_emailed_and_still_sees_the_rest(
    client, django_capture_on_commit_callbacks, lead, partner
):
    client.force_login(lead)
    url = reverse("notification_settings")
    page = client.get(url).content.decode()
    assert "Evaluation plans" in page and page.count("checked") == len(notifications.KINDS)  # all emailed at first
    emailed = [kind for kind in notifications.KINDS if kind != "plans"]
    assert client.post(url, {"emailed": emailed}).status_code == 302
    lead.refresh_from_db()
    assert lead.email_muted_kinds == ["plans"]
    context = {"partner": partner, "milestones": []}
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[lead], template="milestones_overdue", context=context, partner=partner)
        notifications.notify(recipients=[lead], template="milestones_overdue", context=context, partner=partner, kind="plans")
    assert len(mail.outbox) == 1  # the plans one is listed, not emailed
    assert sorted(Notification.objects.filter(recipient=lead).values_list("kind", flat=True)) == ["other", "plans"]
    assert client.post(url, {"emailed": ["made_up"]}).status_code == 200  # refused with a message, not a 500


def test_opening_a_notification_marks_it_read_and_shows_its_page(client, lead, other_lead, partner):
    (notification,) = notifications.notify(
        recipients=[lead], template="milestones_overdue", context={"partner": partner, "milestones": []},
        link=f"/p/{partner.slug}/", partner=partner,
    )  # fmt: skip
    client.force_login(lead)
    listing = client.get(reverse("notifications")).content.decode()
    open_url = reverse("notification_open", args=[notification.code])
    assert f'href="{open_url}"' in listing and "Choose which notifications are emailed to you" in listing
    response = client.get(open_url)
    assert response.status_code == 302 and response["Location"] == f"/p/{partner.slug}/"
    notification.refresh_from_db()
    assert notification.is_read
    client.force_login(other_lead)
    assert client.get(open_url).status_code == 404  # another user's notification
