from django.db import migrations

from pine.tenancy import EnableRowLevelSecurity

# Submitted revisions are snapshots: no role may change one (deleting goes with its application).
IMMUTABLE = """
CREATE OR REPLACE FUNCTION cohorts_revision_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a submitted revision cannot be changed';
END $$;
CREATE TRIGGER cohorts_revision_immutable BEFORE UPDATE ON cohorts_applicationrevision
    FOR EACH ROW EXECUTE FUNCTION cohorts_revision_immutable();
"""
IMMUTABLE_REVERSE = """
DROP TRIGGER IF EXISTS cohorts_revision_immutable ON cohorts_applicationrevision;
DROP FUNCTION IF EXISTS cohorts_revision_immutable();
"""

# Applications submitted before sections existed: their answers become revision 1. The old
# "practice_summary" and "outcomes_summary" keep their text (now "What the practice is" and
# "Other outcomes"); the new sections start empty.
FIRST_REVISIONS = """
SELECT set_config('pine.practice', 'on', true);
INSERT INTO cohorts_applicationrevision
    (code, partner_id, application_id, number, answers, in_reply_to, submitted_by_id, submitted_at)
SELECT gen_random_uuid(), a.partner_id, a.id, 1,
       jsonb_build_object(
           'practice_title', a.practice_title,
           'practice_summary', a.practice_summary,
           'outcomes_summary', a.outcomes_summary
       ),
       '', a.created_by_id, coalesce(a.submitted_at, a.created_at)
FROM cohorts_application a
WHERE a.status <> 'draft'
  AND NOT EXISTS (SELECT 1 FROM cohorts_applicationrevision r WHERE r.application_id = a.id);
UPDATE cohorts_application SET updated_at = coalesce(submitted_at, created_at);
SELECT set_config('pine.practice', '', true);
"""


class Migration(migrations.Migration):
    dependencies = [("cohorts", "0005_application_sections")]

    operations = [
        EnableRowLevelSecurity("cohorts_applicationrevision"),
        migrations.RunSQL(IMMUTABLE, IMMUTABLE_REVERSE),
        migrations.RunSQL(FIRST_REVISIONS, migrations.RunSQL.noop),
    ]
