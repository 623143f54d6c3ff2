"""Notifications: one per recipient, listed in the app and emailed."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# A notification is read (and marked read) by its recipient in any scope that names them, and by
# the scope of the partner it is about (which is where it is written, e.g. when a partner submits).
# A partner-less one is written in the practice scope or by the recipient's own request.
OWN = "recipient_id = nullif(current_setting('pine.user_id', true), '')::bigint"
NOTIFICATION_RLS = f"""
ALTER TABLE pine_notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE pine_notification FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pine_notification
    USING (pine_partner_visible(partner_id) OR {OWN})
    WITH CHECK (pine_partner_visible(partner_id) OR {OWN});
"""
NOTIFICATION_RLS_REVERSE = """
DROP POLICY IF EXISTS tenant_isolation ON pine_notification;
ALTER TABLE pine_notification NO FORCE ROW LEVEL SECURITY;
ALTER TABLE pine_notification DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pine", "0002_row_level_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("subject", models.CharField(max_length=300)),
                ("body", models.TextField()),
                (
                    "link",
                    models.CharField(blank=True, help_text="A page of this site: a path such as /p/northshire/.", max_length=500),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                (
                    "partner",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="pine.partner"
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
                    models.Index(
                        condition=models.Q(("read_at__isnull", True)), fields=["recipient"], name="notification_recipient_unread"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("link", ""),
                            models.Q(
                                ("link__startswith", "/"),
                                models.Q(("link__startswith", "//"), _negated=True),
                                models.Q(("link__startswith", "/\\"), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="notification_link_site_relative",
                    )
                ],
            },
        ),
        migrations.RunSQL(NOTIFICATION_RLS, NOTIFICATION_RLS_REVERSE),
    ]
