"""Accounts show their email address is theirs before they sign in; a self-registered partner like
one already known waits for the practice team to confirm it."""

from django.db import migrations, models

# Everyone who could sign in before this migration keeps signing in: their address counts as shown.
VERIFY_EXISTING = "UPDATE pine_user SET email_verified_at = date_joined WHERE email_verified_at IS NULL"


class Migration(migrations.Migration):
    dependencies = [
        ("pine", "0004_api_token_scope_and_expiry"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(VERIFY_EXISTING, migrations.RunSQL.noop),
        migrations.AddField(
            model_name="partner",
            name="registration",
            field=models.CharField(
                choices=[
                    ("confirmed", "Confirmed"),
                    ("waiting", "Waiting for the practice team to confirm"),
                    ("rejected", "Not confirmed"),
                ],
                default="confirmed",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="partner",
            name="registration_note",
            field=models.CharField(
                blank=True,
                help_text="Shown to the partner: why it waits, or why it was not confirmed.",
                max_length=500,
            ),
        ),
        migrations.AddConstraint(
            model_name="partner",
            constraint=models.CheckConstraint(
                condition=models.Q(("registration__in", ["confirmed", "waiting", "rejected"])),
                name="partner_registration_valid",
            ),
        ),
    ]
