"""Letters of support attached to an application: one from each agency of the partnership (PDF or
DOCX, the type checked by the file's content, not its name)."""

import uuid

from django.db import models
from django.utils import timezone

KIND_LABELS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document (DOCX)",
}


class SupportLetter(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("pine.Partner", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey("cohorts.Application", on_delete=models.CASCADE, related_name="letters")
    agency = models.ForeignKey("pine.PartnerAgency", on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_by = models.ForeignKey("pine.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["application", "agency__name"]
        constraints = [models.UniqueConstraint(fields=["application", "agency"], name="support_letter_one_per_agency")]

    def __str__(self):
        return f"Letter of support from {self.agency} ({self.filename})"

    @property
    def kind_label(self) -> str:
        """Its type in words: "PDF" or "Word document (DOCX)"."""
        return KIND_LABELS.get(self.content_type, self.content_type)
