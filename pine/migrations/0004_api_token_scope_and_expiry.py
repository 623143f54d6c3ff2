"""API tokens get a scope (read, or read and write), an expiry, and the stamp of the password they
were made under (a password change ends them).

Tokens made before this keep working as they did, as write tokens, until they expire: 30 days
after this migration for the practice team's, 90 for everyone else's (the defaults of
API_TOKEN_PRACTICE_MAX_DAYS and API_TOKEN_MAX_DAYS). Their stamp is that of the password their
user has now."""

import hashlib
from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone

PRACTICE_DAYS, PARTNER_DAYS = 30, 90


def existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("pine", "ApiToken")
    now = timezone.now()
    for token in ApiToken.objects.select_related("user"):
        days = PRACTICE_DAYS if token.user.practice_role else PARTNER_DAYS
        token.scope = "write"
        token.expires_at = max(now, token.created_at) + timedelta(days=days)
        token.password_stamp = hashlib.sha256(token.user.password.encode()).hexdigest()  # ApiToken.stamp
        token.save(update_fields=["scope", "expires_at", "password_stamp"])


class Migration(migrations.Migration):
    dependencies = [("pine", "0003_notifications")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(choices=[("read", "Read only"), ("write", "Read and write")], max_length=5, null=True),
        ),
        migrations.AddField(model_name="apitoken", name="expires_at", field=models.DateTimeField(null=True)),
        migrations.AddField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(help_text="A hash of the user's password hash when it was made.", max_length=64, null=True),
        ),
        migrations.RunPython(existing_tokens, migrations.RunPython.noop),
        # Check the deferred constraints now, so that the columns can be altered in this transaction.
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(choices=[("read", "Read only"), ("write", "Read and write")], max_length=5),
        ),
        migrations.AlterField(model_name="apitoken", name="expires_at", field=models.DateTimeField()),
        migrations.AlterField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(help_text="A hash of the user's password hash when it was made.", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(condition=models.Q(scope__in=["read", "write"]), name="apitoken_scope_valid"),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="apitoken_expires_after_created"
            ),
        ),
    ]
