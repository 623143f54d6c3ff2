"""The row-level security policies' function may run in PostgreSQL's parallel workers.

Declared without a parallel label it was PARALLEL UNSAFE, and so was every query of a tenant table:
none could use a second core. It only reads settings (``current_setting``, itself parallel safe),
which PostgreSQL copies to every worker of a parallel query, so each worker sees the scope the query
runs in.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("pine", "0006_notification_kinds_and_email_preferences")]

    operations = [
        migrations.RunSQL(
            "ALTER FUNCTION pine_partner_visible(bigint) PARALLEL SAFE;",
            "ALTER FUNCTION pine_partner_visible(bigint) PARALLEL UNSAFE;",
        ),
    ]
