"""The library measures the CIN census feeds that it lacked: referrals and child protection plans
started (counts). Written out here, not read from measures.library, so the migration means the
same whatever the library later says."""

from django.db import migrations

NEW = [
    {
        "code": "cin_referrals",
        "name": "Referrals to children's social care",
        "definition": "Number of referrals in the period: each episode of need whose referral date (CINreferralDate) is in "
        "the period counts once, so a child referred twice counts twice. Formula: count of referrals; placed in a period "
        "by CINreferralDate; statistic: a count (no denominator).",
        "unit": "count",
        "polarity": "lower",
        "numerator": "Referrals with CINreferralDate in the period",
        "denominator": "(a count: no denominator)",
        "frequency": "monthly",
        "source": "cin",
        "source_fields": "LAchildID, CINreferralDate",
        "child_aggregation": "count",
    },
    {
        "code": "cp_plans_started",
        "name": "Child protection plans started",
        "definition": "Number of child protection plans starting in the period (CPPstartDate in the period). Formula: count "
        "of plans; placed in a period by CPPstartDate; statistic: a count (no denominator).",
        "unit": "count",
        "polarity": "lower",
        "numerator": "Child protection plans with CPPstartDate in the period",
        "denominator": "(a count: no denominator)",
        "frequency": "monthly",
        "source": "cin",
        "source_fields": "LAchildID, CPPstartDate",
        "child_aggregation": "count",
    },
]


def add(apps, schema_editor):
    measure_model = apps.get_model("measures", "Measure")
    for fields in NEW:
        fields = dict(fields)
        code = fields.pop("code")
        if not measure_model.objects.filter(code=code, partner__isnull=True).exists():
            measure_model.objects.create(code=code, **fields)


class Migration(migrations.Migration):
    dependencies = [("measures", "0002_child_aggregation")]

    # Going back leaves them (as the library's earlier migrations do): data may use them.
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
