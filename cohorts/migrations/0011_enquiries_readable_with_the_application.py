"""A visitor's message about an open call (no partner) becomes readable by a partner once it has an
application in that cohort and the message's email address is one of its members' verified, active
accounts (case-insensitively): it is shown with that application
(``cohorts.selectors.enquiries.enquiry_list_for_application``). Reading only: a second, SELECT-only
policy, so the tenant policy still decides every write."""

from django.db import migrations

READ_POLICY = """
CREATE POLICY applicant_members_read ON cohorts_callenquiry FOR SELECT
    USING (
        partner_id IS NULL
        AND EXISTS (
            SELECT 1
            FROM cohorts_application a
            JOIN pine_membership m ON m.partner_id = a.partner_id
            JOIN pine_user u ON u.id = m.user_id
            WHERE a.cohort_id = cohorts_callenquiry.cohort_id
              AND a.partner_id = nullif(current_setting('pine.partner_id', true), '')::bigint
              AND u.is_active
              AND u.email_verified_at IS NOT NULL
              AND lower(u.email) = lower(cohorts_callenquiry.email)
        )
    );
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0010_call_enquiries"),
    ]

    operations = [
        migrations.RunSQL(READ_POLICY, "DROP POLICY IF EXISTS applicant_members_read ON cohorts_callenquiry;"),
    ]
