"""The evaluation workspace: onboarding (the data sharing agreement gates uploads), milestones, meetings."""

import re
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from evaluations import selectors, services
from evaluations.models import Meeting, Milestone, Onboarding
from pine.models import AuditEvent
from tests import factories
from tests.conftest import token_client, verified_client

pytestmark = pytest.mark.django_db


def test_a_new_evaluation_gets_an_onboarding_record_and_the_standard_milestones(accepted):
    assert Onboarding.objects.filter(evaluation=accepted).exists()
    kinds = list(Milestone.objects.filter(evaluation=accepted).values_list("kind", flat=True))
    assert kinds[0] == "toc_workshop" and kinds[-1] == "publication" and len(kinds) == 8
    due = Milestone.objects.get(evaluation=accepted, kind="final_report").due_on
    start = timezone.localdate(accepted.created_at)
    assert (due.year - start.year) * 12 + due.month - start.month == 12


def test_uploads_are_blocked_until_a_data_sharing_agreement_is_in_force(accepted, partner, lead):
    today = timezone.localdate()
    assert "data sharing agreement" in selectors.evaluation_upload_blocker(partner=partner, evaluation=accepted)
    services.onboarding_update(
        partner=partner, actor=lead, evaluation=accepted, dsa_file=("dsa.pdf", b"%PDF-1.4 signed"),
        dsa_signed_on=today - timedelta(days=30), dsa_expires_on=today + timedelta(days=335),
    )  # fmt: skip
    # Recorded and in force, but the practice team has not verified it yet.
    assert "waiting for the practice team" in selectors.evaluation_upload_blocker(partner=partner, evaluation=accepted)
    services.onboarding_agreement_verify(actor=factories.PracticeUserFactory(), evaluation=accepted)
    assert selectors.evaluation_upload_blocker(partner=partner, evaluation=accepted) is None
    services.onboarding_update(partner=partner, actor=lead, evaluation=accepted, dsa_expires_on=today)
    assert "expired" in selectors.evaluation_upload_blocker(partner=partner, evaluation=accepted)


def test_the_onboarding_page_records_the_agreement_and_shows_the_checklist(client, contributor, partner, accepted):
    client.force_login(contributor)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    page = client.get(url).content.decode()
    assert "Record your signed data sharing agreement" in page and "Incomplete" in page
    response = client.post(url, {
        "document": SimpleUploadedFile("Signed DSA.pdf", b"%PDF-1.4 x"),
        "dsa_signed_on-day": "5", "dsa_signed_on-month": "1", "dsa_signed_on-year": "2026",
        "dsa_expires_on-day": "4", "dsa_expires_on-month": "1", "dsa_expires_on-year": "2099",
        "dpia_completed_on-day": "6", "dpia_completed_on-month": "1", "dpia_completed_on-year": "2026",
        "data_lead_name": "Jo Evans", "data_lead_email": "jo@northshire.example", "sponsor_name": "Sam Patel",
    })  # fmt: skip
    assert response.status_code == 302
    onboarding = Onboarding.objects.get(evaluation=accepted)
    assert onboarding.dsa_filename == "Signed DSA.pdf" and onboarding.dsa_signed_on == date(2026, 1, 5)
    # One form: every item it held is saved by one press of the button.
    assert onboarding.dpia_completed_on == date(2026, 1, 6) and onboarding.data_lead_name == "Jo Evans"
    page = client.get(url).content.decode()
    assert "Record your signed" not in page and "waiting for the practice team" in page
    assert "Waiting for the practice team to verify it" in page  # the checklist's agreement: not "Incomplete"
    # The dates come back as day, month and year boxes.
    assert 'name="dsa_signed_on-day"' in page and 'value="2099"' in page
    document = client.get(reverse("evaluations:dsa_document", args=[partner.slug, accepted.code]))
    assert document.content == b"%PDF-1.4 x" and document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"].startswith("inline;")  # a PDF opens in the browser
    event = AuditEvent.objects.get(action="onboarding.update")
    assert event.changes["dsa_filename"] == ["", "Signed DSA.pdf"] and event.actor == contributor


def test_the_onboarding_form_keeps_every_item_when_one_is_wrong(client, contributor, partner, accepted):
    client.force_login(contributor)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    response = client.post(url, {
        "dsa_signed_on-day": "1", "dsa_signed_on-month": "2", "dsa_signed_on-year": "2026",
        "dsa_expires_on-day": "1", "dsa_expires_on-month": "1", "dsa_expires_on-year": "2026",
        "data_lead_name": "Jo Evans", "sponsor_name": "Sam Patel",
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Choose the signed agreement to upload" in page and "must be after the date" in page
    assert "Enter the data lead&#x27;s name and email address" in page
    # What was typed elsewhere is still on the page, not lost.
    assert 'value="Sam Patel"' in page and 'value="Jo Evans"' in page
    assert not Onboarding.objects.filter(evaluation=accepted, sponsor_name="Sam Patel").exists()


def test_the_onboarding_dates_are_checked_part_by_part(client, contributor, partner, accepted):
    client.force_login(contributor)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    page = client.post(url, {"dpia_completed_on-day": "31", "dpia_completed_on-month": "2", "dpia_completed_on-year": "2026"})
    assert "The DPIA date must be a real date" in page.content.decode()
    page = client.post(url, {"dpia_completed_on-day": "3", "dpia_completed_on-year": "2026"})
    assert "The DPIA date must include a month" in page.content.decode()
    assert (
        client.post(
            url, {"dpia_completed_on-day": "3", "dpia_completed_on-month": "2", "dpia_completed_on-year": "2026"}
        ).status_code
        == 302
    )
    assert Onboarding.objects.get(evaluation=accepted).dpia_completed_on == date(2026, 2, 3)


def test_an_agreement_signed_in_the_future_is_refused_and_never_in_force(client, contributor, partner, lead, accepted):
    """An agreement is in force from the day it was signed: a signing date still to come is a
    mistake the page names, and no such agreement lets data in."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    client.force_login(contributor)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    page = client.post(
        url,
        {
            "document": SimpleUploadedFile("dsa.pdf", b"%PDF-1.4 signed"),
            **{f"dsa_signed_on-{part}": str(getattr(tomorrow, part)) for part in ("day", "month", "year")},
            **{f"dsa_expires_on-{part}": str(getattr(today + timedelta(days=365), part)) for part in ("day", "month", "year")},
        },
    )
    assert page.status_code == 200 and "The date the agreement was signed must be today or in the past" in page.content.decode()
    with pytest.raises(DjangoValidationError, match="today or in the past"):
        services.onboarding_update(
            partner=partner, actor=lead, evaluation=accepted, dsa_file=("dsa.pdf", b"%PDF-1.4 signed"),
            dsa_signed_on=tomorrow, dsa_expires_on=today + timedelta(days=365),
        )  # fmt: skip
    onboarding = Onboarding(dsa_filename="dsa.pdf", dsa_signed_on=tomorrow, dsa_expires_on=today + timedelta(days=365))
    assert not onboarding.dsa_in_force(today) and onboarding.dsa_in_force(tomorrow)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("agreement.pdf", b"This is a text file, whatever its name says.\n"),
        ("agreement.docx", b"PK\x03\x04 not really a zip"),
        ("agreement.pdf", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_the_agreement_is_checked_by_its_content_not_its_name(client, contributor, partner, accepted, name, content):
    client.force_login(contributor)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    page = client.post(url, {
        "document": SimpleUploadedFile(name, content),
        "dsa_signed_on-day": "5", "dsa_signed_on-month": "1", "dsa_signed_on-year": "2026",
        "dsa_expires_on-day": "4", "dsa_expires_on-month": "1", "dsa_expires_on-year": "2099",
    }).content.decode()  # fmt: skip
    assert "The file must be a PDF or a Word (.docx) document" in page
    assert Onboarding.objects.get(evaluation=accepted).dsa_filename == ""


def test_a_word_document_is_accepted_by_its_package_parts(partner, lead, accepted):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    today = timezone.localdate()
    services.onboarding_update(
        partner=partner, actor=lead, evaluation=accepted, dsa_file=("agreement.docx", buffer.getvalue()),
        dsa_signed_on=today, dsa_expires_on=today + timedelta(days=365),
    )  # fmt: skip
    assert Onboarding.objects.get(evaluation=accepted).dsa_filename == "agreement.docx"
    with pytest.raises(Exception, match="PDF or a Word"):
        services.onboarding_update(partner=partner, actor=lead, evaluation=accepted, dsa_file=("a.pdf", b"plain text"))


def test_the_checklist_completes_item_by_item(partner, lead, accepted):
    today = timezone.localdate()
    services.onboarding_update(partner=partner, actor=lead, evaluation=accepted, dpia_completed_on=today, ethics_required=False)
    services.onboarding_update(
        partner=partner, actor=lead, evaluation=accepted, data_lead_name="Jo", data_lead_email="jo@x.example", sponsor_name="Sam"
    )
    checklist = dict(Onboarding.objects.get(evaluation=accepted).checklist(today))
    assert checklist == {
        "Data sharing agreement": False,
        "Data protection impact assessment": True,
        "Ethics or governance approval": True,
        "Named data lead and senior sponsor": True,
    }


def test_viewers_cannot_change_onboarding(client, viewer, partner, accepted):
    client.force_login(viewer)
    url = reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
    assert client.post(url, {"dpia_completed_on": "2026-01-01"}).status_code == 403


def test_milestones_are_updated_and_overdue_ones_flagged(client, lead, partner, accepted):
    milestone = Milestone.objects.get(evaluation=accepted, kind="toc_workshop")
    Milestone.objects.filter(pk=milestone.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    client.force_login(lead)
    page = client.get(reverse("evaluations:milestones", args=[partner.slug, accepted.code])).content.decode()
    assert page.count("Overdue") == 1
    response = client.post(reverse("evaluations:milestone_edit", args=[partner.slug, milestone.code]), {
        "status": "done", "due_on": "2026-02-01", "owner": "Jo Evans", "notes": "Held with the practice team.",
    })  # fmt: skip
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "done" and milestone.completed_on == timezone.localdate() and milestone.owner == "Jo Evans"
    assert "Overdue" not in client.get(reverse("evaluations:milestones", args=[partner.slug, accepted.code])).content.decode()


def test_partner_and_practice_team_log_meetings(client, lead, partner, accepted, practice_admin):
    from tests.conftest import verified_client

    practice_client = verified_client(Client(), practice_admin)
    client.force_login(lead)
    client.post(reverse("evaluations:meeting_create", args=[partner.slug, accepted.code]), {
        "held_on": "2026-03-02", "attendees": "Sam Patel, Priya Shah", "notes": "Theory of change.", "actions": "Draft the plan",
    })  # fmt: skip
    response = practice_client.post(reverse("evaluations:practice_evaluation", args=[accepted.code]), {
        "held_on": "2026-04-06", "attendees": "Priya Shah", "notes": "Plan review",
    })  # fmt: skip
    assert response.status_code == 302
    page = practice_client.get(reverse("evaluations:practice_evaluation", args=[accepted.code])).content.decode()
    assert "Theory of change." in page and "Plan review" in page and "Data sharing agreement" in page
    assert list(Meeting.objects.values_list("held_on", flat=True)) == [date(2026, 4, 6), date(2026, 3, 2)]


def test_the_workspace_through_the_api(lead, partner, accepted):
    api = token_client(lead)
    base = f"/api/v1/partners/{partner.slug}/evaluations/{accepted.code}"
    state = api.get(f"{base}/onboarding/").json()
    assert state["checklist"]["Data sharing agreement"] is False and state["upload_blocker"]
    body = encode_multipart(BOUNDARY, {
        "dsa_document": SimpleUploadedFile("dsa.pdf", b"%PDF"), "dsa_signed_on": "2026-01-01", "dsa_expires_on": "2099-01-01",
    })  # fmt: skip
    updated = api.patch(f"{base}/onboarding/", body, content_type=MULTIPART_CONTENT)
    assert updated.status_code == 200, updated.content
    assert "waiting for the practice team" in updated.json()["upload_blocker"] and updated.json()["dsa_filename"] == "dsa.pdf"
    milestones = api.get(f"{base}/milestones/").json()["results"]
    assert len(milestones) == 8 and milestones[0]["overdue"] is False
    done = api.put(f"/api/v1/partners/{partner.slug}/milestones/{milestones[0]['code']}/",
                   {"status": "done", "due_on": milestones[0]["due_on"]}, content_type="application/json")  # fmt: skip
    assert done.json()["status"] == "done" and done.json()["completed_on"]
    logged = api.post(f"{base}/meetings/", {"held_on": "2026-05-01", "attendees": "Everyone"}, content_type="application/json")
    assert logged.status_code == 201
    assert api.get(f"{base}/meetings/").json()["count"] == 1


def test_the_other_partner_gets_404_for_the_workspace(client, other_lead, other_partner, partner, accepted):
    milestone = Milestone.objects.filter(evaluation=accepted).first()
    client.force_login(other_lead)
    for url in [
        reverse("evaluations:onboarding", args=[partner.slug, accepted.code]),
        reverse("evaluations:onboarding", args=[other_partner.slug, accepted.code]),
        reverse("evaluations:dsa_document", args=[other_partner.slug, accepted.code]),
        reverse("evaluations:milestones", args=[other_partner.slug, accepted.code]),
        reverse("evaluations:milestone_edit", args=[other_partner.slug, milestone.code]),
        reverse("evaluations:meeting_create", args=[other_partner.slug, accepted.code]),
    ]:
        assert client.get(url).status_code == 404, url
    api = token_client(other_lead)
    for url in [
        f"/api/v1/partners/{other_partner.slug}/evaluations/{accepted.code}/onboarding/",
        f"/api/v1/partners/{other_partner.slug}/evaluations/{accepted.code}/milestones/",
        f"/api/v1/partners/{other_partner.slug}/milestones/{milestone.code}/",
        f"/api/v1/partners/{other_partner.slug}/evaluations/{accepted.code}/meetings/",
    ]:
        assert api.get(url).status_code == 404, url
    assert client.get(reverse("evaluations:practice_evaluation", args=[accepted.code])).status_code == 404


def test_overdue_milestones_are_emailed_once_a_day_to_the_partner_and_practice_admins(
    accepted, partner, lead, contributor, viewer, practice_admin, other_evaluation, django_capture_on_commit_callbacks
):
    from django.core import mail

    from evaluations.tasks import send_milestone_reminders

    today = timezone.localdate()
    Milestone.objects.filter(evaluation=accepted, kind__in=["toc_workshop", "plan_sign_off"]).update(
        due_on=today - timedelta(days=3)
    )
    Milestone.objects.filter(evaluation=accepted, kind="toc_workshop").update(status="done")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_milestone_reminders.run() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([lead.email, contributor.email, practice_admin.email])  # not the viewer
    assert "Evaluation plan signed off" in message.body and "Theory of change workshop" not in message.body
    assert partner.name in message.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert send_milestone_reminders.run() == 0  # not twice in a day
    assert len(mail.outbox) == 1


def test_without_an_agreement_in_force_no_upload_gets_in_by_page_api_or_service(client, contributor, partner, lead):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from outcomes import services as outcome_services
    from outcomes.models import Submission

    evaluation = factories.EvaluationFactory(application__partner=partner, onboarding=None)
    data = b"measure,period_start,period_end,group,value\nre_referrals_12m,01/04/2025,30/04/2025,all,20\n"
    client.force_login(contributor)
    page = client.get(reverse("reports:evaluation", args=[partner.slug, evaluation.code])).content.decode()
    assert "Record your signed data sharing agreement" in page and "Go to onboarding" in page and "Upload file" not in page
    response = client.post(
        reverse("reports:evaluation", args=[partner.slug, evaluation.code]), {"file": SimpleUploadedFile("d.csv", data)}
    )
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    api = token_client(lead)
    refused = api.post(
        f"/api/v1/partners/{partner.slug}/evaluations/{evaluation.code}/submissions/", {"file": SimpleUploadedFile("d.csv", data)}
    )
    assert refused.status_code == 400 and "data sharing agreement" in str(refused.json())
    with pytest.raises(DjangoValidationError, match="data sharing agreement"):
        outcome_services.submission_upload(partner=partner, actor=lead, evaluation=evaluation, filename="d.csv", content=data)
    assert not Submission.objects.exists()


def test_the_first_stored_data_completes_the_baseline_data_milestone(partner, lead, practice_admin, accepted):
    from outcomes import services as outcome_services
    from tests.outcomes.test_uploads import BAD, GOOD

    today = timezone.localdate()
    services.onboarding_update(
        partner=partner, actor=lead, evaluation=accepted, dsa_file=("dsa.pdf", b"%PDF-1.4 signed"),
        dsa_signed_on=today - timedelta(days=30), dsa_expires_on=today + timedelta(days=335),
    )  # fmt: skip
    services.onboarding_agreement_verify(actor=practice_admin, evaluation=accepted)
    baseline = Milestone.objects.get(evaluation=accepted, kind="baseline_data")
    outcome_services.submission_upload(partner=partner, actor=lead, evaluation=accepted, filename="a.csv", content=BAD.encode())
    baseline.refresh_from_db()
    assert baseline.status == "not_started"  # a refused file stores nothing
    outcome_services.submission_upload(partner=partner, actor=lead, evaluation=accepted, filename="b.csv", content=GOOD.encode())
    baseline.refresh_from_db()
    assert baseline.status == "done" and baseline.completed_on == today
    assert AuditEvent.objects.filter(action="milestone.update", changes__because="outcome data stored").count() == 1


def test_the_practice_team_hears_of_an_agreement_to_verify_and_the_partner_when_it_is_verified(
    client, partner, lead, practice_admin, accepted
):
    from pine.models import Notification

    analyst = factories.PracticeUserFactory(practice_role="analyst", email="analyst@pine.example")
    Notification.objects.all().delete()
    today = timezone.localdate()
    services.onboarding_update(
        partner=partner, actor=lead, evaluation=accepted, dsa_file=("dsa.pdf", b"%PDF-1.4 signed"),
        dsa_signed_on=today - timedelta(days=30), dsa_expires_on=today + timedelta(days=335),
    )  # fmt: skip
    to_verify = Notification.objects.filter(subject__contains="waiting to be verified")
    assert {n.recipient for n in to_verify} == {practice_admin, analyst}
    assert to_verify[0].link == reverse("evaluations:practice_agreement", args=[accepted.code]) and to_verify[0].kind == "data"
    services.onboarding_update(partner=partner, actor=lead, evaluation=accepted, dpia_completed_on=today)
    assert Notification.objects.filter(subject__contains="waiting to be verified").count() == 2  # no change to the agreement
    practice_page = reverse("evaluations:practice_evaluation", args=[accepted.code])
    verified_client(client, analyst)
    assert "Waiting for you to verify it" in client.get(practice_page).content.decode()
    # The onboarding tab of the evaluation's practice pages says the same of its agreement row.
    onboarding_tab = reverse("reports:practice_evaluation_onboarding", args=[accepted.code])
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">([^<]+)</dt><dd class="govuk-summary-list__value"><strong[^>]*>([^<]+)<',
        client.get(onboarding_tab).content.decode(),
    )
    assert rows[:2] == [
        ("Data sharing agreement", "Waiting for the practice team to verify it"),
        ("Data protection impact assessment", "Completed"),
    ]
    services.onboarding_agreement_verify(actor=analyst, evaluation=accepted)
    assert "Waiting for you to verify it" not in client.get(practice_page).content.decode()
    assert "Waiting for the practice team to verify it" not in client.get(onboarding_tab).content.decode()
    verified = Notification.objects.get(recipient=lead, subject__contains="is verified")
    assert verified.link == reverse("evaluations:onboarding", args=[partner.slug, accepted.code])
