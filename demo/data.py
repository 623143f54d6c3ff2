"""Demo data: two cohorts, four partners (one a council + police + health partnership), users for
every role, applications in several states, and two evaluations, each with a signed-off plan and a
built report: Northshire's (three years of monthly aggregates, difference-in-differences) and
Southbrook's (four years of child-level rows, interrupted time series).
``demo_seed`` is idempotent: run it again and it changes nothing (except passwords). Dev and test
only: the ``seed_demo`` command and the benchmarks call it."""

import math
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cohorts.models import Application
from cohorts.selectors import applications as cohort_selectors
from cohorts.selectors import events as event_selectors
from cohorts.selectors import reviews as review_selectors
from cohorts.services import applications as cohort_services
from cohorts.services import decisions as decision_services
from cohorts.services import events as event_services
from cohorts.services import reviews as review_services
from demo.totp import DEMO_TOTP_SECRET_HEX
from evaluations import selectors as evaluation_selectors
from evaluations import services as evaluation_services
from outcomes import approval_services
from outcomes import selectors as outcome_selectors
from outcomes import services as outcome_services
from outcomes.models import Submission
from pine import services as pine_services
from pine.models import AgencyType, Membership, Partner, Role, User
from pine.tenancy import partner_scope, practice_scope
from reports import selectors as report_selectors
from reports import services as report_services
from reports.dashboards import services as dashboard_services

PRACTICE_USERS = [
    ("admin@pine.example", "Priya Shah", "practice_admin"),
    ("reviewer@pine.example", "Tom Okafor", "reviewer"),
    ("analyst@pine.example", "Grace Lin", "analyst"),
]

PARTNERS = [
    {
        "slug": "northshire",
        "name": "Northshire County Council",
        "type": AgencyType.LOCAL_AUTHORITY,
        "la_code": "931",
        "region": "east_midlands",
        "agencies": [("Northshire County Council Children's Services", AgencyType.LOCAL_AUTHORITY)],
        "users": [
            ("lead@northshire.example", "Sam Patel", Role.LEAD),
            ("analyst@northshire.example", "Jo Evans", Role.CONTRIBUTOR),
            ("viewer@northshire.example", "Alex Brown", Role.VIEWER),
        ],
    },
    {
        "slug": "eastmere",
        "name": "Eastmere Safeguarding Partnership",
        "type": AgencyType.LOCAL_AUTHORITY,
        "la_code": "884",
        "region": "west_midlands",
        "agencies": [
            ("Eastmere Borough Council", AgencyType.LOCAL_AUTHORITY),
            ("Eastmere Police", AgencyType.POLICE),
            ("Eastmere and District NHS Trust", AgencyType.HEALTH),
        ],
        "users": [
            ("lead@eastmere.example", "Morgan Reid", Role.LEAD),
            ("contributor@eastmere.example", "Chris Wood", Role.CONTRIBUTOR),
        ],
    },
    {
        "slug": "westvale-police",
        "name": "Westvale Police",
        "type": AgencyType.POLICE,
        "la_code": "",
        "region": "south_west",
        "agencies": [("Westvale Police", AgencyType.POLICE)],
        "users": [("lead@westvale.example", "Dana Hughes", Role.LEAD)],
    },
    {
        "slug": "southbrook",
        "name": "Southbrook City Council",
        "type": AgencyType.LOCAL_AUTHORITY,
        "la_code": "872",
        "region": "south_east",
        "agencies": [("Southbrook City Council Children's Services", AgencyType.LOCAL_AUTHORITY)],
        "users": [("lead@southbrook.example", "Rowan Price", Role.LEAD)],
    },
]

# (partner slug, cohort key, title, final status)
APPLICATIONS = [
    ("northshire", "first", "Early parenting assessment programme", Application.Status.ACCEPTED),
    ("eastmere", "first", "Thematic practice weeks", Application.Status.DECLINED),
    ("eastmere", "multi", "Multi-agency front door triage", Application.Status.MORE_INFORMATION),
    ("westvale-police", "multi", "Joint police and social work strategy discussions", Application.Status.ELIGIBLE),
    ("southbrook", "multi", "Co-located team for care leavers", Application.Status.DRAFT),
    ("southbrook", "first", "A redesigned front door and assessment service", Application.Status.ACCEPTED),
    ("westvale-police", "first", "Joint police and social work visits after domestic abuse", Application.Status.ACCEPTED),
]


def demo_pdf(text: str) -> bytes:
    """A one-page PDF showing one line of text: the demo's stand-in for a signed agreement (the
    upload is checked by content, so it must really be a PDF)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# A stand-in for the signed agreement.
DEMO_AGREEMENT = demo_pdf("Demo data sharing agreement between Northshire County Council and the PINE practice team.")

DEMO_MEASURES = ["re_referrals_12m", "assessments_45_days", "cp_plans_rate"]


def demo_seed(*, password: str | None = None) -> list[dict]:
    """Load the demo data; the demo users as [{"email", "role", "partner"}]. Every demo user gets
    ``password`` when one is given."""
    # One hash for every demo user: hashing is deliberately slow, and they share the password.
    password_hash = make_password(password) if password else None
    with transaction.atomic(), practice_scope():
        return _seed(password_hash)


def _seed(password_hash):
    listing = []
    admin = None
    for email, name, role in PRACTICE_USERS:
        user = _user(email, name, password_hash, practice_role=role)
        TOTPDevice.objects.get_or_create(
            user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_SECRET_HEX, "confirmed": True}
        )
        admin = admin or user
        listing.append({"email": email, "role": role, "partner": None})

    partners = {}
    for spec in PARTNERS:
        partner = Partner.objects.filter(slug=spec["slug"]).first() or pine_services.partner_create(
            actor=admin,
            name=spec["name"],
            slug=spec["slug"],
            lead_agency_type=spec["type"],
            la_code=spec["la_code"],
            region=spec["region"],
            agencies=spec["agencies"],
        )
        partners[spec["slug"]] = partner
        for email, name, role in spec["users"]:
            user = _user(email, name, password_hash)
            with partner_scope(partner.pk):
                if not Membership.objects.filter(user=user, partner=partner).exists():
                    pine_services.membership_add(partner=partner, actor=admin, user=user, role=role)
            listing.append({"email": email, "role": str(role), "partner": partner.slug})

    now = timezone.now()
    # The first cohort is history: it is created open, applied to, decided, then given its real dates.
    cohorts = {
        "first": _cohort(
            admin,
            "PINE cohort 1",
            "",
            now - timedelta(days=1),
            now + timedelta(days=1),
            "Our first call: councils and safeguarding partners evaluating a promising practice of their own.",
        ),
        "multi": _cohort(
            admin,
            "PINE round 2: multi-agency practice",
            "Multi-agency practice",
            _uk(now.date() - timedelta(days=14), 9),
            _uk(now.date() + timedelta(days=45), 17),
            "Any statutory agency whose practice has measurable outcomes in children's social care can apply: "
            "front doors and MASH, co-located teams, strategy discussions, services for care leavers.",
            multi_agency=True,
            eligibility="Statutory agencies in England (councils' children's services, police forces, NHS bodies, "
            "schools), applying alone or as the lead of a partnership.\n\nThe practice must already be running.",
            guidance="Answer every section; you can save as you go and come back.\n\n"
            "Choose at least one outcome from the measure library that you can report each month.",
        ),
    }

    for slug, cohort_key, title, status in APPLICATIONS:
        partner, cohort = partners[slug], cohorts[cohort_key]
        lead = User.objects.get(
            email=next(e for e, _, r in next(p for p in PARTNERS if p["slug"] == slug)["users"] if r == Role.LEAD)
        )
        with partner_scope(partner.pk):
            application = Application.objects.filter(partner=partner, cohort=cohort).first()
            if application is None and cohort.status != cohort.Status.OPEN:
                continue  # demo data loaded before this application was added: its round has closed
            if application is None:
                application = _application(partner, lead, cohort, title)
            if status != Application.Status.DRAFT and application.status == Application.Status.DRAFT:
                application = cohort_services.application_submit(partner=partner, actor=lead, application=application)
        if application.status != Application.Status.SUBMITTED:
            continue
        if status in (Application.Status.ACCEPTED, Application.Status.DECLINED):
            # As the practice team decides: screened, the decision recorded, then released.
            application = cohort_services.application_screen(
                actor=admin, application=application, decision="eligible", reason="A statutory lead, measurable outcomes."
            )
            accept = status == Application.Status.ACCEPTED
            decision_services.decision_record(
                actor=admin,
                application=application,
                decision="accept" if accept else "decline",
                note="" if accept else "The round's places went to practices with more outcome data already collected.",
                confirm_without_reviews=True,  # the demo's earlier rounds keep no reviews
            )
            decision_services.decisions_release(actor=admin, cohort=cohort)
        elif status == Application.Status.ELIGIBLE:
            cohort_services.application_screen(
                actor=admin, application=application, decision="eligible", reason="A statutory lead, measurable outcomes."
            )
        elif status == Application.Status.MORE_INFORMATION:
            cohort_services.application_request_information(
                actor=admin,
                application=application,
                question="How many children went through the front door last year, and how many were re-referred?",
            )

    # The open round has its rubric ready for review and a webinar for applicants.
    multi = cohorts["multi"]
    if not review_selectors.criterion_list(cohort=multi).exists():
        review_services.rubric_use_standard(actor=admin, cohort=multi)
    if not event_selectors.event_list(cohort=multi).exists():
        webinar = event_services.event_create(
            actor=admin,
            cohort=multi,
            title="Applicants' webinar: multi-agency practice",
            description="The practice team explains the round, what a good application looks like, and answers questions.",
            starts_at=_uk(now.date() + timedelta(days=10), 14),
            ends_at=_uk(now.date() + timedelta(days=10), 15),
            joining_details="Join online: https://meet.example.org/pine-round-2 (passcode 2468).",
            capacity=100,
        )
        event_services.event_register(
            event=webinar, name="Sam Patel", email="sam.patel@southbrook.example", organisation="Southbrook City Council"
        )

    first = cohorts["first"]
    if first.status == first.Status.OPEN:
        cohort_services.cohort_update(
            actor=admin, cohort=first, opens_at=_uk(date(2023, 3, 1), 9), deadline_at=_uk(date(2023, 4, 28), 17)
        )
        for stage in (first.Status.REVIEWING, first.Status.DECIDED, first.Status.ACTIVE):
            first = cohort_services.cohort_transition(actor=admin, cohort=first, to=stage, confirm=True)

    northshire = partners["northshire"]
    with partner_scope(northshire.pk):
        evaluation = evaluation_selectors.evaluation_list(partner=northshire).first()
        if outcome_selectors.outcome_value_count(partner=northshire, evaluation=evaluation) == 0:
            lead = User.objects.get(email="lead@northshire.example")
            # Onboarding done in 2023: the signed agreement is what lets data flow.
            submission = _onboard_and_upload(
                admin,
                lead,
                evaluation,
                agreement=("Northshire data sharing agreement.pdf", DEMO_AGREEMENT),
                signed_on=date(2023, 5, 2),
                dpia_completed_on=date(2023, 5, 10),
                data_lead=("Jo Evans", "analyst@northshire.example"),
                sponsor=("Chris Morgan", "Director of Children's Services"),
                upload=("northshire-2023-2026.csv", demo_outcome_csv()),
            )
            assert submission.status == "accepted", submission.errors
            # The practice team's analyst sent one period back with a question: the work queue and
            # the approval page show it waiting, and the lead has it in their notifications.
            approval_services.period_query_send(
                actor=User.objects.get(email="analyst@pine.example"),
                evaluation=evaluation,
                period_start=date(2025, 9, 1),
                question="September's re-referrals for the intervention group are well above the months around it. "
                "Is that right, or should the period be uploaded again?",
            )
    _northshire_plan(admin, northshire)
    _southbrook_evaluation(admin, partners["southbrook"])
    _westvale_evaluation(admin, partners["westvale-police"])
    _demo_report(northshire, User.objects.get(email="lead@northshire.example"))
    _demo_report(partners["southbrook"], User.objects.get(email="lead@southbrook.example"))
    _demo_report(partners["westvale-police"], User.objects.get(email="lead@westvale.example"))
    # Every demo evaluation's dashboard figures, worked out by a worker once the seed commits.
    for evaluation in evaluation_selectors.evaluation_list_for_practice():
        dashboard_services.figures_request_refresh(partner_id=evaluation.partner_id, evaluation_id=evaluation.pk)
    return listing


def _uk(day: date, hour: int) -> datetime:
    """That day at that hour, UK local time (GMT or BST as the date requires)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/London"))


def _user(email, name, password_hash, practice_role=""):
    user = User.objects.filter(email=email).first() or pine_services.user_create(
        email=email, full_name=name, password=None, practice_role=practice_role
    )
    if password_hash:
        user.password = password_hash
        user.save(update_fields=["password"])
    return user


def _cohort(admin, name, theme, opens_at, deadline_at, description, **details):
    existing = next((c for c in cohort_selectors.cohort_list() if c.name == name), None)
    return existing or cohort_services.cohort_create(
        actor=admin,
        name=name,
        theme=theme,
        description=description,
        opens_at=opens_at,
        deadline_at=deadline_at,
        publish=True,
        **details,
    )


def _application(partner, lead, cohort, title):
    """An application with every section answered (joint working only where the cohort asks)."""
    return cohort_services.application_create(
        partner=partner,
        actor=lead,
        cohort=cohort,
        practice_title=title,
        partnership_confirmed=True,
        partnership_roles=f"{partner.name} leads the practice and holds the data.",
        practice_summary=f"{title}: a practice {partner.name} believes improves children's outcomes.",
        practice_evidence="Practitioners and families report better plans; re-referrals fell in the first year.",
        children_description="Children referred to children's social care and their families.",
        children_count=450,
        joint_working="A daily meeting of social workers, police and health staff; shared case notes."
        if cohort.multi_agency
        else "",
        outcome_measures=["re_referrals_12m", "assessments_45_days"],
        outcomes_summary="Fewer re-referrals within 12 months; more assessments completed within 45 working days.",
        data_available="Referrals, assessments and plans for every child since 2019.",
        data_systems="Liquidlogic case management; a council data warehouse.",
        staff_time="A practice lead for two days a month; a data officer for one.",
        analyst_available="yes",
        senior_sponsor="Director of Children's Services",
        data_protection="Public task (UK GDPR article 6(1)(e)); a data protection impact assessment is done.",
        safeguarding="Staff follow the local safeguarding partnership's procedures.",
    )


# Children aged 0 to 17 in each group's localities at the start (the denominator of a rate per 10,000).
NORTHSHIRE_CHILDREN = {"intervention": 41_800, "comparison": 39_600}


def demo_outcome_csv(start=date(2023, 4, 1), months=36, seed=7) -> str:
    """Three years of monthly values for three measures, intervention and comparison groups, with the
    practice starting after 12 months and improving the intervention group's figures."""
    rng = random.Random(seed)
    lines = ["measure,period_start,period_end,group,value,numerator,denominator"]
    for index in range(months):
        first = _add_months(start, index)
        last = _add_months(start, index + 1) - timedelta(days=1)
        after = max(0, index - 11)
        for group in ("intervention", "comparison"):
            effect = min(after, 12) / 12 if group == "intervention" else 0
            seasonal = math.sin(index / 12 * 2 * math.pi)
            referrals = rng.randint(150, 190)
            rereferred = round(referrals * (0.23 - 0.05 * effect + 0.01 * seasonal + rng.uniform(-0.01, 0.01)))
            period = f"{first:%d/%m/%Y},{last:%d/%m/%Y},{group}"
            lines.append(f"re_referrals_12m,{period},{100 * rereferred / referrals:.2f},{rereferred},{referrals}")
            assessments = rng.randint(120, 160)
            on_time = round(assessments * (0.78 + 0.10 * effect + rng.uniform(-0.03, 0.03)))
            lines.append(f"assessments_45_days,{period},{100 * on_time / assessments:.2f},{on_time},{assessments}")
            rate = 48 - 6 * effect + 1.5 * seasonal + rng.uniform(-1, 1)
            # Children on a plan out of the group's children aged 0 to 17 (growing slowly), so the rate
            # can be checked against its counts and shown: a rate without its numerator is hidden.
            children = NORTHSHIRE_CHILDREN[group] + 15 * index
            on_plan = round(rate * children / 10_000)
            lines.append(f"cp_plans_rate,{period},{10_000 * on_plan / children:.2f},{on_plan},{children}")
    return "\n".join(lines) + "\n"


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


# --- Evaluation plans and built reports ------------------------------------------------------------
#
# A new user finds a finished report of each design: Northshire's difference-in-differences,
# Southbrook's interrupted time series and Westvale's time to event. The effects the demo data were made with, which the reports
# should recover (approximately: the data carry noise):
# - Northshire (demo_outcome_csv): the programme starts in April 2024 and is phased in over its first
#   year, then holds; in the intervention group re-referrals fall by 5 percentage points,
#   assessments within 45 days rise by 10 points and child protection plans fall by 6 per 10,000.
#   The comparison group has no change; both share the seasonal pattern.
# - Southbrook (demo_children_csv): the whole service's front door and assessment are redesigned in
#   April 2024; the typical (median) days from referral to a completed assessment drop by 7 at once
#   and stay down; entries to care do not change.
# - Westvale (demo_time_to_event_csv): from April 2024 families in the north division get a joint
#   police and social work visit after a child's referral following domestic abuse; the children are
#   referred again later. Of the children in the south division (no visits) about 45% are referred
#   again within a year, of those in the north about 29% (WESTVALE_TRUE_EFFECT: the difference).
NORTHSHIRE_TRUE_EFFECTS = {"re_referrals_12m": -5.0, "assessments_45_days": 10.0, "cp_plans_rate": -6.0}
SOUTHBROOK_TRUE_EFFECTS = {"days_referral_to_assessment": -7.0, "entries_to_care": 0.0}
SOUTHBROOK_SEED = 12
# Time to the next referral, per group: (the share referred again soon, mean 25 days; the others'
# mean days, exponential). A year's horizon.
WESTVALE_TIMES = {"intervention": (0.10, 1500.0), "comparison": (0.18, 900.0)}
WESTVALE_HORIZON_DAYS = 365
WESTVALE_SEED = 3
WESTVALE_FOLLOW_UP = (date(2024, 4, 1), date(2026, 3, 31))


def _referred_again_by(days: float, soon: float, mean: float) -> float:
    return soon * (1 - math.exp(-days / 25.0)) + (1 - soon) * (1 - math.exp(-days / mean))


WESTVALE_TRUE_EFFECT = 100 * (
    _referred_again_by(WESTVALE_HORIZON_DAYS, *WESTVALE_TIMES["intervention"])
    - _referred_again_by(WESTVALE_HORIZON_DAYS, *WESTVALE_TIMES["comparison"])
)
WESTVALE_AGREEMENT = demo_pdf("Demo data sharing agreement between Westvale Police, Westvale Council and the PINE practice team.")
SOUTHBROOK_AGREEMENT = demo_pdf("Demo data sharing agreement between Southbrook City Council and the PINE practice team.")


def _northshire_plan(admin, northshire) -> None:
    """A signed-off difference-in-differences plan. The follow-up window is the year after the
    programme's year of roll-out, when its effect is fully in place."""
    with partner_scope(northshire.pk):
        evaluation = evaluation_selectors.evaluation_list(partner=northshire).first()
        if evaluation_selectors.plan_versions(partner=northshire, evaluation=evaluation).exists():
            return
        plan = evaluation_services.plan_save_draft(
            partner=northshire,
            actor=User.objects.get(email="lead@northshire.example"),
            evaluation=evaluation,
            research_questions="Do families in the early parenting assessment programme's localities have fewer "
            "re-referrals within 12 months than they would have had without it?\n\n"
            "Exploratory: does it change how many assessments finish within 45 working days, and the rate of "
            "child protection plans?",
            design="did",
            intervention_start=date(2024, 4, 1),
            baseline_start=date(2023, 4, 1),
            baseline_end=date(2024, 3, 31),
            follow_up_start=date(2025, 4, 1),
            follow_up_end=date(2026, 3, 31),
            comparison_group="Families in the two localities where the programme has not started (the west and south teams).",
            comparison_how_chosen="The two localities whose referral numbers and re-referral rates were closest to "
            "the programme's localities in 2022-23; the programme reaches them after the evaluation.",
            groups_exclusive=True,
            intervention_rows="intervention",
            comparison_rows="comparison",
            measures=[
                {"code": "re_referrals_12m", "direction": "decrease", "role": "primary"},
                {"code": "assessments_45_days", "direction": "increase", "role": "secondary"},
                {"code": "cp_plans_rate", "direction": "decrease", "role": "secondary"},
            ],
            expected_children_per_period=170,
        )
        evaluation_services.plan_sign_off(actor=admin, plan=plan)


def _onboard_and_upload(
    admin, lead, evaluation, *, agreement, signed_on, dpia_completed_on, data_lead, sponsor, upload
) -> Submission:
    """A partner's onboarding done (a five-year agreement, verified by the practice team: only
    then may data flow) and its first upload of outcome data."""
    partner = evaluation.partner
    evaluation_services.onboarding_update(
        partner=partner,
        actor=lead,
        evaluation=evaluation,
        dsa_file=agreement,
        dsa_signed_on=signed_on,
        dsa_expires_on=signed_on.replace(year=signed_on.year + 5) - timedelta(days=1),
        dpia_completed_on=dpia_completed_on,
        ethics_required=False,
        data_lead_name=data_lead[0],
        data_lead_email=data_lead[1],
        sponsor_name=sponsor[0],
        sponsor_role=sponsor[1],
    )
    evaluation_services.onboarding_agreement_verify(actor=admin, evaluation=evaluation)
    filename, content = upload
    return outcome_services.submission_upload(
        partner=partner, actor=lead, evaluation=evaluation, filename=filename, content=content.encode()
    )


def _southbrook_evaluation(admin, southbrook) -> None:
    """Onboarding, four years of child-level rows for the whole service (each child's event with
    its date) and a signed-off interrupted-time-series plan."""
    with partner_scope(southbrook.pk):
        evaluation = evaluation_selectors.evaluation_list(partner=southbrook).first()
        lead = User.objects.get(email="lead@southbrook.example")
        if outcome_selectors.outcome_value_count(partner=southbrook, evaluation=evaluation) == 0:
            submission = _onboard_and_upload(
                admin,
                lead,
                evaluation,
                agreement=("Southbrook data sharing agreement.pdf", SOUTHBROOK_AGREEMENT),
                signed_on=date(2023, 6, 1),
                dpia_completed_on=date(2023, 6, 12),
                data_lead=("Rowan Price", "lead@southbrook.example"),
                sponsor=("Ade Bello", "Director of Children's Services"),
                upload=("southbrook-children-2022-2026.csv", demo_children_csv()),
            )
            assert submission.status == "accepted", submission.errors
        if evaluation_selectors.plan_versions(partner=southbrook, evaluation=evaluation).exists():
            return
        plan = evaluation_services.plan_save_draft(
            partner=southbrook,
            actor=lead,
            evaluation=evaluation,
            research_questions="After the whole service's front door and assessment were redesigned in April 2024, "
            "did assessments finish sooner after referral than the trend before would predict?\n\n"
            "Exploratory: did the number of children entering care each month change?",
            design="its",
            intervention_start=date(2024, 4, 1),
            baseline_start=date(2022, 4, 1),
            baseline_end=date(2024, 3, 31),
            follow_up_start=date(2024, 4, 1),
            follow_up_end=date(2026, 3, 31),
            intervention_rows="all",  # a whole-service change: every child's rows
            comparison_rows="",
            measures=[
                {"code": "days_referral_to_assessment", "direction": "decrease", "role": "primary"},
                {"code": "entries_to_care", "direction": "decrease", "role": "secondary"},
            ],
            expected_children_per_period=75,
        )
        evaluation_services.plan_sign_off(actor=admin, plan=plan)


def _westvale_evaluation(admin, westvale) -> None:
    """Onboarding, two years of child-level rows with each child's referral date (start_date) and,
    if it came, the date of their next referral (event_date), and a signed-off time-to-event plan."""
    with partner_scope(westvale.pk):
        evaluation = evaluation_selectors.evaluation_list(partner=westvale).first()
        if evaluation is None:
            return  # demo data loaded before Westvale's evaluation was added
        lead = User.objects.get(email="lead@westvale.example")
        if outcome_selectors.outcome_value_count(partner=westvale, evaluation=evaluation) == 0:
            submission = _onboard_and_upload(
                admin,
                lead,
                evaluation,
                agreement=("Westvale data sharing agreement.pdf", WESTVALE_AGREEMENT),
                signed_on=date(2024, 2, 5),
                dpia_completed_on=date(2024, 2, 20),
                data_lead=("Dana Hughes", "lead@westvale.example"),
                sponsor=("Kim Adeyemi", "Assistant Chief Constable"),
                upload=("westvale-children-2024-2026.csv", demo_time_to_event_csv()),
            )
            if submission.status == "needs_explanation":
                outcome_services.submission_explain(
                    partner=westvale,
                    actor=lead,
                    submission=submission,
                    explanation="A cohort followed from its referrals: few children are referred again in a month.",
                )
                outcome_services.submission_process(submission_id=submission.pk)
                submission.refresh_from_db()
            assert submission.status == "accepted", submission.errors
        if evaluation_selectors.plan_versions(partner=westvale, evaluation=evaluation).exists():
            return
        plan = evaluation_services.plan_save_draft(
            partner=westvale,
            actor=lead,
            evaluation=evaluation,
            research_questions="When a police officer and a social worker visit a family together after a child is "
            "referred following domestic abuse, are fewer of the children referred again within a year than children "
            "in the division where the visits have not started?",
            design="time_to_event",
            intervention_start=WESTVALE_FOLLOW_UP[0],
            baseline_start=date(2023, 4, 1),
            baseline_end=date(2024, 3, 31),
            follow_up_start=WESTVALE_FOLLOW_UP[0],
            follow_up_end=WESTVALE_FOLLOW_UP[1],
            comparison_group="Children referred after domestic abuse in the south division, where the joint visits "
            "start after the evaluation.",
            comparison_how_chosen="The force's other division: similar in size, in domestic abuse incidents and in "
            "referrals of children in 2023-24.",
            groups_exclusive=True,
            intervention_rows="intervention",
            comparison_rows="comparison",
            measures=[{"code": "re_referrals_12m", "direction": "decrease", "role": "primary"}],
            expected_children_per_period=60,
            horizon_days=WESTVALE_HORIZON_DAYS,
        )
        evaluation_services.plan_sign_off(actor=admin, plan=plan)


def demo_time_to_event_csv(seed=WESTVALE_SEED) -> str:
    """Westvale's children, followed from a referral after domestic abuse to March 2026: 180 a
    division already referred when the visits began (1 April 2024), then 60 a month to March 2025.
    A child has one row (re_referrals_12m) carrying the referral they are followed from
    (start_date): in the month of their next referral (value 1, its date), or, if none came, in
    March 2026 (value 0, no event date: censored at the end of the follow-up).
    With this seed no month of either division has between 1 and 4 children referred again, or
    between 1 and 4 not: no monthly cell is hidden, so the curves can be shown."""
    rng = random.Random(seed)
    first, end = WESTVALE_FOLLOW_UP
    lines = ["child_ref,measure,period_start,period_end,event_date,start_date,group,value"]
    child = 0
    for group, (soon, mean) in WESTVALE_TIMES.items():
        for index in range(180 + 60 * 12):
            if index < 180:
                start = first
            else:
                month = _add_months(first, (index - 180) // 60)
                start = month + timedelta(days=rng.randrange((_add_months(month, 1) - month).days))
            event = start + timedelta(days=int(rng.expovariate(1 / (25.0 if rng.random() < soon else mean))))
            event = event if event <= end else None
            month = (event or end).replace(day=1)
            last = _add_months(month, 1) - timedelta(days=1)
            child += 1
            lines.append(
                f"WV-{child:06d},re_referrals_12m,{month:%d/%m/%Y},{last:%d/%m/%Y},"
                f"{f'{event:%d/%m/%Y}' if event else ''},{start:%d/%m/%Y},{group},{1 if event else 0}"
            )
    return "\n".join(lines) + "\n"


def _demo_report(partner, lead) -> None:
    """The evaluation's first report, built here in this process (as a worker would), once."""
    with partner_scope(partner.pk):
        evaluation = evaluation_selectors.evaluation_list(partner=partner).first()
        if evaluation is None or report_selectors.report_list(partner=partner, evaluation=evaluation).exists():
            return
        report = report_services.report_request(partner=partner, actor=lead, evaluation=evaluation)
    # Built as the worker builds it (its own scope and transactions); the task report_request
    # queued finds it done and does nothing.
    status = report_services.report_build(report_id=report.pk)
    assert status == "done", f"the demo report of {partner.slug} was not built: {status}"


def demo_children_csv(start=date(2022, 4, 1), months=48, seed=SOUTHBROOK_SEED) -> str:
    """Four years of child-level rows for the whole service ("all"): each assessment with the days
    from its referral to its authorisation and the date it was authorised (65 to 85 a month, a
    median near 28 days, 7 days fewer from April 2024), and each child who entered care with the
    date (about 30 a month with a winter peak, no change)."""
    rng = random.Random(seed)
    change = date(2024, 4, 1)
    lines = ["child_ref,measure,period_start,period_end,event_date,group,value"]
    child = 0
    for index in range(months):
        first = _add_months(start, index)
        last = _add_months(start, index + 1) - timedelta(days=1)
        period = f"{first:%d/%m/%Y},{last:%d/%m/%Y}"
        typical_days = 28 + (SOUTHBROOK_TRUE_EFFECTS["days_referral_to_assessment"] if first >= change else 0)
        for _ in range(rng.randint(65, 85)):
            child += 1
            day = first + timedelta(days=rng.randrange(last.day))
            days = max(1, round(rng.gauss(typical_days, 9)))
            lines.append(f"SB-{child:06d},days_referral_to_assessment,{period},{day:%d/%m/%Y},all,{days}")
        expected = 30 + 3 * math.cos((first.month - 1) / 12 * 2 * math.pi)
        for _ in range(max(0, round(rng.gauss(expected, math.sqrt(expected))))):
            child += 1
            day = first + timedelta(days=rng.randrange(last.day))
            lines.append(f"SB-{child:06d},entries_to_care,{period},{day:%d/%m/%Y},all,")
    return "\n".join(lines) + "\n"
