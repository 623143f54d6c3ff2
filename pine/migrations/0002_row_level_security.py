"""The second wall: row-level security on every table of the core that has a partner_id."""

from django.db import migrations

from pine.tenancy import VISIBLE_FUNCTION, EnableRowLevelSecurity

AUDIT_RLS = """
ALTER TABLE pine_auditevent ENABLE ROW LEVEL SECURITY;
ALTER TABLE pine_auditevent FORCE ROW LEVEL SECURITY;
-- Anyone may append a record of their own partner (or a partner-less one, e.g. a new API token);
-- only the practice scope reads the partner-less records. (The app appends without RETURNING.)
CREATE POLICY tenant_isolation ON pine_auditevent FOR SELECT USING (pine_partner_visible(partner_id));
CREATE POLICY tenant_append ON pine_auditevent FOR INSERT
    WITH CHECK (partner_id IS NULL OR pine_partner_visible(partner_id));

-- The trail is append-only, whoever asks.
CREATE OR REPLACE FUNCTION pine_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END $$;
CREATE TRIGGER pine_audit_immutable BEFORE UPDATE OR DELETE ON pine_auditevent
    FOR EACH ROW EXECUTE FUNCTION pine_audit_immutable();
"""

AUDIT_RLS_REVERSE = """
DROP TRIGGER IF EXISTS pine_audit_immutable ON pine_auditevent;
DROP FUNCTION IF EXISTS pine_audit_immutable();
DROP POLICY IF EXISTS tenant_isolation ON pine_auditevent;
DROP POLICY IF EXISTS tenant_append ON pine_auditevent;
ALTER TABLE pine_auditevent NO FORCE ROW LEVEL SECURITY;
ALTER TABLE pine_auditevent DISABLE ROW LEVEL SECURITY;
"""


class Migration(migrations.Migration):
    dependencies = [("pine", "0001_initial")]

    operations = [
        migrations.RunSQL(VISIBLE_FUNCTION, "DROP FUNCTION IF EXISTS pine_partner_visible(bigint);"),
        EnableRowLevelSecurity("pine_partneragency"),
        EnableRowLevelSecurity("pine_invitation"),
        # A user may always read their own memberships: that is how a request finds its partner.
        EnableRowLevelSecurity(
            "pine_membership",
            also_readable_when="user_id = nullif(current_setting('pine.user_id', true), '')::bigint",
        ),
        migrations.RunSQL(AUDIT_RLS, AUDIT_RLS_REVERSE),
    ]
