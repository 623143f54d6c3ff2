"""factory_boy factories. A child row takes its partner from its parent, so one fixture cannot
straddle two partners by accident."""

from datetime import date, timedelta

import factory
from django.db import transaction
from django.utils import timezone

from cohorts.models import Application, Cohort
from evaluations.models import Evaluation
from measures.models import Measure
from outcomes.models import OutcomeValue, Submission
from pine.models import AgencyType, Membership, Partner, PartnerAgency, Role, User
from pine.tenancy import practice_scope
from reports.models import Report

PASSWORD = "correct-horse-battery"


# True while a test's body runs in one partner's scope (tests/conftest.py): factories then step
# into the practice scope to make their rows. (Fixtures run in the practice scope already.)
in_partner_scope = False


class SetupFactory(factory.django.DjangoModelFactory):
    """Test data is made as the practice team would make it (any partner's rows), whatever scope the
    test itself runs in: a test of a partner's services runs in that partner's scope, and may still
    set up another partner's rows."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if not in_partner_scope:
            return super()._create(model_class, *args, **kwargs)
        with transaction.atomic(), practice_scope():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(SetupFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PracticeUserFactory(UserFactory):
    practice_role = User.PracticeRole.PRACTICE_ADMIN
    is_staff = True


class PartnerFactory(SetupFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n} County Council")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    lead_agency_type = AgencyType.LOCAL_AUTHORITY
    la_code = "931"
    region = "east_midlands"


class PartnerAgencyFactory(SetupFactory):
    class Meta:
        model = PartnerAgency

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Agency {n}")
    agency_type = AgencyType.POLICE


class MembershipFactory(SetupFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Role.LEAD


class CohortFactory(SetupFactory):
    class Meta:
        model = Cohort

    name = factory.Sequence(lambda n: f"PINE cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    description = "A call for applications."
    status = Cohort.Status.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    deadline_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ApplicationFactory(SetupFactory):
    class Meta:
        model = Application

    partner = factory.SubFactory(PartnerFactory)
    cohort = factory.SubFactory(CohortFactory)
    practice_title = factory.Sequence(lambda n: f"Promising practice {n}")
    practice_summary = "A family group conferencing service at the front door."
    outcomes_summary = "Fewer re-referrals within 12 months."
    created_by = factory.SubFactory(UserFactory)
    status = Application.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


class EvaluationFactory(SetupFactory):
    """An evaluation whose data sharing agreement is in force (so data can be uploaded); pass
    ``onboarding=None`` for one that has not been onboarded."""

    class Meta:
        model = Evaluation
        skip_postgeneration_save = True  # the onboarding row points at the evaluation, not back

    application = factory.SubFactory(ApplicationFactory, status=Application.Status.ACCEPTED)
    partner = factory.SelfAttribute("application.partner")
    cohort = factory.SelfAttribute("application.cohort")
    title = factory.SelfAttribute("application.practice_title")
    onboarding = factory.RelatedFactory("tests.factories.OnboardingFactory", factory_related_name="evaluation")


class OnboardingFactory(SetupFactory):
    class Meta:
        model = "evaluations.Onboarding"

    evaluation = factory.SubFactory(EvaluationFactory, onboarding=None)
    partner = factory.SelfAttribute("evaluation.partner")
    dsa_filename = "data-sharing-agreement.pdf"
    dsa_document = b"%PDF-1.4 signed"
    dsa_signed_on = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    dsa_expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=700))
    dsa_verified_at = factory.LazyFunction(timezone.now)  # checked by the practice team: data may flow


class ReportFactory(SetupFactory):
    class Meta:
        model = Report

    evaluation = factory.SubFactory(EvaluationFactory)
    partner = factory.SelfAttribute("evaluation.partner")


class MeasureFactory(SetupFactory):
    class Meta:
        model = Measure
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"local_measure_{n}")
    name = factory.Sequence(lambda n: f"Local measure {n}")
    definition = "A measure for tests."
    unit = Measure.Unit.PERCENTAGE
    polarity = Measure.Polarity.LOWER_IS_BETTER


class SubmissionFactory(SetupFactory):
    class Meta:
        model = Submission

    evaluation = factory.SubFactory(EvaluationFactory)
    partner = factory.SelfAttribute("evaluation.partner")
    filename = "data.csv"
    status = Submission.Status.ACCEPTED
    uploaded_by = factory.SubFactory(UserFactory)


class OutcomeValueFactory(SetupFactory):
    class Meta:
        model = OutcomeValue

    submission = factory.SubFactory(SubmissionFactory)
    evaluation = factory.SelfAttribute("submission.evaluation")
    partner = factory.SelfAttribute("submission.partner")
    measure = factory.LazyFunction(lambda: Measure.objects.get(code="re_referrals_12m"))
    period_start = date(2025, 4, 1)
    period_end = date(2025, 4, 30)
    group = "intervention"
    value = 20
    numerator = 20
    denominator = 100


# --- cohorts: applications with every section answered, and their revisions ------------------------


class CompleteApplicationFactory(ApplicationFactory):
    """A draft with every section answered: ready for its lead to submit."""

    status = Application.Status.DRAFT
    submitted_at = None
    partnership_confirmed = True
    partnership_roles = "The council leads; the police and health visitors refer families."
    practice_evidence = "Re-referrals fell in the first year of the pilot."
    children_description = "Families referred to the front door for the first time."
    children_count = 240
    joint_working = "A daily meeting of social workers, police and health at the front door."
    outcome_measures = factory.LazyFunction(lambda: ["re_referrals_12m"])
    data_available = "Referrals, assessments and plans, by child, since 2019."
    data_systems = "Liquidlogic; a data warehouse."
    staff_time = "A practice lead, two days a month."
    analyst_available = "yes"
    senior_sponsor = "Jo Smith, Director of Children's Services"
    data_protection = "Public task (UK GDPR 6(1)(e)); our DPO is Sam Lee."
    safeguarding = "Staff follow the partnership's safeguarding procedures."


class ApplicationRevisionFactory(SetupFactory):
    class Meta:
        model = "cohorts.ApplicationRevision"

    application = factory.SubFactory(ApplicationFactory)
    partner = factory.SelfAttribute("application.partner")
    number = 1
    answers = factory.LazyAttribute(lambda o: o.application.answers())
    submitted_by = factory.SelfAttribute("application.created_by")


# --- cohorts: review (rubric, assignments, reviews and scores) -----------------------------------


class ReviewerFactory(PracticeUserFactory):
    practice_role = User.PracticeRole.REVIEWER


class CriterionFactory(SetupFactory):
    class Meta:
        model = "cohorts.Criterion"

    cohort = factory.SubFactory(CohortFactory, status=Cohort.Status.REVIEWING)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Criterion {n}")
    description = "What the reviewer looks for."
    weight = 1
    counted = True


class ScaleLevelFactory(SetupFactory):
    class Meta:
        model = "cohorts.ScaleLevel"

    cohort = factory.SubFactory(CohortFactory, status=Cohort.Status.REVIEWING)
    score = factory.Sequence(lambda n: n + 1)
    label = factory.LazyAttribute(lambda o: f"Level {o.score}")
    descriptor = factory.LazyAttribute(lambda o: f"What a {o.score} means.")


class ReviewAssignmentFactory(SetupFactory):
    """A reviewer assigned to a screened-eligible application (conflict not yet declared)."""

    class Meta:
        model = "cohorts.ReviewAssignment"

    application = factory.SubFactory(
        ApplicationFactory, status=Application.Status.ELIGIBLE, cohort__status=Cohort.Status.REVIEWING
    )
    reviewer = factory.SubFactory(ReviewerFactory)


class ReviewFactory(SetupFactory):
    """A review (a draft unless ``status="submitted"``); its application and reviewer are the
    assignment's."""

    class Meta:
        model = "cohorts.Review"

    assignment = factory.SubFactory(ReviewAssignmentFactory, conflict="none")
    application = factory.SelfAttribute("assignment.application")
    reviewer = factory.SelfAttribute("assignment.reviewer")
    submitted_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == "submitted" else None)
    status = "draft"


class ScoreFactory(SetupFactory):
    class Meta:
        model = "cohorts.Score"

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.SubFactory(CriterionFactory, cohort=factory.SelfAttribute("..review.application.cohort"))
    score = 3


# --- cohorts: events for applicants, their registrations, and a call's documents ---------------------


class EventFactory(SetupFactory):
    """A webinar a week away (an hour long) for an open cohort."""

    class Meta:
        model = "cohorts.Event"

    cohort = factory.SubFactory(CohortFactory)
    title = factory.Sequence(lambda n: f"Webinar about the call {n}")
    description = "What the call is for and how to apply."
    starts_at = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=7)).replace(microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    joining_details = "https://meet.example.org/pine-webinar\nPasscode 123456"
    capacity = 50


class EventRegistrationFactory(SetupFactory):
    class Meta:
        model = "cohorts.EventRegistration"

    event = factory.SubFactory(EventFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"person{n}@council.example")
    organisation = "Northshire County Council"


class CohortDocumentFactory(SetupFactory):
    class Meta:
        model = "cohorts.CohortDocument"

    cohort = factory.SubFactory(CohortFactory)
    title = "Guidance for applicants"
    filename = "guidance.pdf"
    content_type = "application/pdf"
    content = b"%PDF-1.4 guidance"
    size = factory.LazyAttribute(lambda o: len(o.content))
    uploaded_by = factory.SubFactory(PracticeUserFactory)


def ensure_measure_library() -> None:
    """The migrations' measure library (definitions and details). A transactional test flushes every
    table when it ends, the library with it: tests/conftest.py puts it back before each one."""
    from measures.library import DETAILS, STANDARD_MEASURES

    for m in STANDARD_MEASURES:
        details = DETAILS[m.code]._asdict() if m.code in DETAILS else {}
        if m.unit == "days" and "median" in m.definition.lower():  # as measures' migration 0002 declares it
            details["child_aggregation"] = "median"
        Measure.objects.update_or_create(
            code=m.code,
            partner=None,
            defaults={"name": m.name, "definition": m.definition, "unit": m.unit, "polarity": m.polarity, **details},
        )
