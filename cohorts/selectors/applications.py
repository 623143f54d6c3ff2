"""Reads of cohorts, applications and their revisions."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils import timezone

from cohorts.models import (
    ANSWER_FIELDS,
    SECTIONS,
    Application,
    ApplicationMessage,
    ApplicationRevision,
    Cohort,
    SupportLetter,
)
from measures import selectors as measure_selectors
from pine.models import Partner, PartnerAgency


def cohort_list_open() -> QuerySet[Cohort]:
    now = timezone.now()
    return Cohort.objects.filter(status=Cohort.Status.OPEN, opens_at__lte=now, deadline_at__gt=now).order_by("deadline_at")


def cohort_list_public() -> QuerySet[Cohort]:
    """Every published cohort (not drafts), newest first."""
    return Cohort.objects.exclude(status=Cohort.Status.DRAFT)


def cohort_list() -> QuerySet[Cohort]:
    return Cohort.objects.all()


def cohort_get(*, slug: str) -> Cohort | None:
    return Cohort.objects.filter(slug=slug).first()


def cohort_get_public(*, slug: str) -> Cohort | None:
    return cohort_list_public().filter(slug=slug).first()


def application_list(*, partner: Partner) -> QuerySet[Application]:
    return Application.objects.select_related("cohort", "partner").filter(partner=partner)


def application_get(*, partner: Partner, code) -> Application | None:
    return application_list(partner=partner).filter(code=code).first()


def application_list_for_practice(*, cohort: Cohort | None = None, include_drafts: bool = False) -> QuerySet[Application]:
    """Every partner's applications (once submitted, unless ``include_drafts``): practice scope
    only (RLS returns none elsewhere)."""
    qs = Application.objects.select_related("cohort", "partner").annotate(revision_count=Count("revisions"))
    if not include_drafts:
        qs = qs.exclude(status=Application.Status.DRAFT)
    return qs if cohort is None else qs.filter(cohort=cohort)


def application_get_for_practice(*, code) -> Application | None:
    return application_list_for_practice(include_drafts=True).filter(code=code).first()


def revision_list(*, partner: Partner, application: Application) -> QuerySet[ApplicationRevision]:
    return ApplicationRevision.objects.filter(partner=partner, application=application).select_related("submitted_by")


def revision_get(*, partner: Partner, application: Application, number) -> ApplicationRevision | None:
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return revision_list(partner=partner, application=application).filter(number=number).first()


def measure_choices() -> list[tuple[str, str]]:
    """The measure library, as (code, name), through the outcomes app."""
    return list(measure_selectors.measure_list().order_by("name").values_list("code", "name"))


def measure_names(codes: list[str]) -> list[str]:
    names = dict(measure_selectors.measure_list().filter(code__in=codes).values_list("code", "name"))
    return [names.get(code, code) for code in codes]


# --- screening and comparing: facts read from an application -------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def screening_checks(application: Application) -> list[Check]:
    """The automatic checks the practice team sees before screening."""
    partner = application.partner
    incomplete = application.incomplete_sections()
    count = len(application.outcome_measures)
    # The lead agency by its own name (a partnership's name is not an agency's), as on the
    # partner's check-your-answers page.
    lead_name = next((a.name for a in partner.agencies.all() if a.is_lead), partner.name)
    return [
        Check(
            "Statutory lead agency",
            partner.is_statutory_lead,
            f"{lead_name}: {partner.get_lead_agency_type_display().lower()}",
        ),
        Check(
            "At least one measurable outcome",
            count > 0,
            f"{count} measure{'s' if count != 1 else ''} from the library" if count else "No measure chosen",
        ),
        Check(
            "Required sections complete",
            not incomplete,
            "All complete" if not incomplete else "Incomplete: " + "; ".join(s.title for s in incomplete),
        ),
    ]


FIELD_LABELS = {name: str(Application._meta.get_field(name).verbose_name) for name in ANSWER_FIELDS}
FIELD_SECTION = {name: section.title for section in SECTIONS for name in section.fields}


@dataclass(frozen=True)
class FieldChange:
    field: str
    section: str
    label: str
    before: object
    after: object

    @property
    def changed(self) -> bool:
        return self.before != self.after


def revision_compare(before: ApplicationRevision, after: ApplicationRevision) -> list[FieldChange]:
    """Every answer of two revisions, side by side, in the order of the form."""
    names = [n for n in ANSWER_FIELDS if n in before.answers or n in after.answers]
    return [
        FieldChange(name, FIELD_SECTION[name], FIELD_LABELS[name], before.answers.get(name), after.answers.get(name))
        for name in names
    ]


def display_answer(name: str, value, names: dict[str, str] | None = None) -> str:
    """An answer as a person reads it."""
    if value in (None, "", []):
        return ""
    if name == "outcome_measures":
        names = names if names is not None else dict(measure_selectors.measure_list().values_list("code", "name"))
        return "\n".join(names.get(code, code) for code in value)
    if name == "partnership_confirmed":
        return "Yes" if value else ""
    if name == "analyst_available":
        return Application.YesNo(value).label if value in Application.YesNo.values else str(value)
    if name == "children_count":
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class SectionSummary:
    slug: str
    title: str
    complete: bool
    rows: list[tuple[str, str]]


def application_summary(application: Application) -> list[SectionSummary]:
    """Each section of the application with its answers, for the task list and "check your answers"."""
    names = dict(measure_selectors.measure_list().values_list("code", "name"))
    return [
        SectionSummary(
            section.slug,
            section.title,
            application.section_complete(section),
            [(FIELD_LABELS[n], display_answer(n, getattr(application, n), names)) for n in section.fields],
        )
        for section in application.sections()
    ]


@dataclass(frozen=True)
class ComparedAnswer:
    section: str
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def revision_comparison(before: ApplicationRevision, after: ApplicationRevision) -> list[ComparedAnswer]:
    """Two revisions field by field, as people read them."""
    names = dict(measure_selectors.measure_list().values_list("code", "name"))
    return [
        ComparedAnswer(c.section, c.label, display_answer(c.field, c.before, names), display_answer(c.field, c.after, names))
        for c in revision_compare(before, after)
    ]


def message_list(*, partner: Partner, application: Application) -> QuerySet[ApplicationMessage]:
    """The application's thread: the practice team's questions and the partner's answers, oldest
    first (the practice team passes the application's own partner)."""
    return (
        ApplicationMessage.objects.filter(partner=partner, application=application)
        .select_related("author", "in_reply_to")
        .order_by("created_at", "pk")
    )


def revision_summary(revision: ApplicationRevision) -> list[SectionSummary]:
    """A submitted revision's answers, section by section, as people read them (its PDF copy)."""
    application = revision.application
    names = dict(measure_selectors.measure_list().values_list("code", "name"))
    answers = revision.answers
    return [
        SectionSummary(
            section.slug,
            section.title,
            True,
            [(FIELD_LABELS[n], display_answer(n, answers.get(n), names)) for n in section.fields],
        )
        for section in application.sections()
    ]


def letter_list(*, partner: Partner, application: Application) -> QuerySet[SupportLetter]:
    """The application's letters of support (without their bytes), by agency."""
    return (
        SupportLetter.objects.filter(partner=partner, application=application)
        .select_related("agency")
        .defer("content")
        .order_by("agency__name")
    )


def letter_get(*, partner: Partner, application: Application, code) -> SupportLetter | None:
    return SupportLetter.objects.filter(partner=partner, application=application, code=code).select_related("agency").first()


@dataclass(frozen=True)
class LetterRow:
    """One agency of the partnership and its letter of support (None: no letter attached)."""

    agency: PartnerAgency
    letter: SupportLetter | None


def letter_checklist(*, partner: Partner, application: Application, attached_by: datetime | None = None) -> list[LetterRow]:
    """Every agency of the partnership (the lead first) with its letter of support or None, for
    "Check your answers" and the PDF copy. ``attached_by``: only letters attached by then (a
    submitted version's copy lists the letters it was sent with)."""
    letters = letter_list(partner=partner, application=application)
    if attached_by is not None:
        letters = letters.filter(uploaded_at__lte=attached_by)
    by_agency = {letter.agency_id: letter for letter in letters}
    return [LetterRow(agency, by_agency.get(agency.pk)) for agency in partner.agencies.all()]
