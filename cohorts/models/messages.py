"""Messages between a partner and the practice team about its application: the practice team's
questions ("more information requested") and the partner's answers. Each is kept for good: the
application's history shows both sides the whole thread, after resubmission as before."""

import uuid

from django.db import models
from django.utils import timezone


class ApplicationMessage(models.Model):
    class Kind(models.TextChoices):
        QUESTION = "question", "Question from the practice team"
        ANSWER = "answer", "Answer from the applicant"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey("cohorts.Application", on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField()
    author = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    created_at = models.DateTimeField(default=timezone.now)
    # A question: when the partner's answer was received.
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "created_at", "pk"]
        indexes = [models.Index(fields=["application", "created_at"], name="application_message_thread")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="question", in_reply_to__isnull=True)
                | models.Q(kind="answer", in_reply_to__isnull=False),
                name="application_message_answer_replies",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.application}"


class CallEnquiry(models.Model):
    """ "Discuss your application": a message to the practice team about an open call, before
    applying, from a partner's signed-in member (``partner`` set) or from a visitor without an
    account (``partner`` empty: only the practice team reads it), and the practice team's reply.
    A partner's enquiries are shown with its application to the cohort once it exists."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="enquiries")
    partner = models.ForeignKey("pine.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    organisation = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey("pine.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["replied_at", "created_at"], name="call_enquiry_waiting")]

    def __str__(self):
        return f"Enquiry about {self.cohort} from {self.name}"
