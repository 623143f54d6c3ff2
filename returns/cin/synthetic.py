"""Synthetic CIN censuses for tests and benchmarks: fictional children only, in the layout of each
collection year (``GenderCurrent`` up to 2022, ``Sex`` from 2023), with the identifying fields a
real census has (UPN, former UPN) so tests can prove they are never read. Pure: no Django."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape


@dataclass
class Assessment:
    start: date
    authorised: date | None = None
    factors: tuple[str, ...] = ("2B",)


@dataclass
class Section47:
    start: date
    icpc: date | None = None
    not_required: bool = False


@dataclass
class Plan:
    start: date
    end: date | None = None
    previous: int = 0
    category: str = "NEG"


@dataclass
class Episode:
    referral: date
    nfa: bool = False
    closure: date | None = None
    source: str = "1A"
    need: str = "N1"
    closure_reason: str = ""
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[tuple[date, date | None]] = field(default_factory=list)
    section47: list[Section47] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


@dataclass
class Child:
    la_id: str
    birth: date = date(2015, 6, 17)
    sex: str = "F"
    upn: str = "A123456789012"
    episodes: list[Episode] = field(default_factory=list)


def _d(day: date | None) -> str:
    return day.isoformat() if day else ""


def _el(name: str, text) -> str:
    return f"<{name}>{escape(str(text))}</{name}>" if text not in (None, "") else ""


def child_xml(child: Child, year: int) -> str:
    if year <= 2022:
        sex = _el("GenderCurrent", {"M": "1", "F": "2"}.get(child.sex, "0"))
    else:
        sex = _el("Sex", child.sex)
    parts = [
        "<Child><ChildIdentifiers>",
        _el("LAchildID", child.la_id),
        _el("UPN", child.upn),
        _el("FormerUPN", "Z" + child.upn[1:]),
        _el("PersonBirthDate", _d(child.birth)),
        sex,
        "</ChildIdentifiers><ChildCharacteristics>",
        _el("Ethnicity", "WBRI"),
        "<Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>",
    ]
    for e in child.episodes:
        parts += [
            "<CINdetails>",
            _el("CINreferralDate", _d(e.referral)),
            _el("ReferralSource", e.source),
            _el("PrimaryNeedCode", e.need),
            _el("CINclosureDate", _d(e.closure)),
            _el("ReasonForClosure", e.closure_reason or ("RC8" if e.closure else "")),
            _el("ReferralNFA", "1" if e.nfa else "0"),
        ]
        for a in e.assessments:
            factors = "".join(_el("AssessmentFactors", f) for f in a.factors)
            parts.append(
                f"<Assessments>{_el('AssessmentActualStartDate', _d(a.start))}"
                f"{_el('AssessmentAuthorisationDate', _d(a.authorised))}"
                f"<FactorsIdentifiedAtAssessment>{factors}</FactorsIdentifiedAtAssessment></Assessments>"
            )
        for start, end in e.cin_plans:
            parts.append(f"<CINPlanDates>{_el('CINPlanStartDate', _d(start))}{_el('CINPlanEndDate', _d(end))}</CINPlanDates>")
        for s in e.section47:
            parts.append(
                f"<Section47>{_el('S47ActualStartDate', _d(s.start))}"
                f"{_el('InitialCPCtarget', _d(s.start + timedelta(days=21)))}{_el('DateOfInitialCPC', _d(s.icpc))}"
                f"{_el('ICPCnotRequired', 'true' if s.not_required else 'false')}</Section47>"
            )
        for p in e.plans:
            parts.append(
                f"<ChildProtectionPlans>{_el('CPPstartDate', _d(p.start))}{_el('CPPendDate', _d(p.end))}"
                f"{_el('InitialCategoryOfAbuse', p.category)}{_el('LatestCategoryOfAbuse', p.category)}"
                f"{_el('NumberOfPreviousCPP', p.previous)}</ChildProtectionPlans>"
            )
        parts.append("</CINdetails>")
    parts.append("</Child>")
    return "".join(parts)


def header(year: int, reference_date: date | None = None) -> str:
    reference = reference_date or date(year, 3, 31)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection>'
        f"<Year>{year}</Year><ReferenceDate>{reference.isoformat()}</ReferenceDate></CollectionDetails>"
        "<Source><SourceLevel>L</SourceLevel><LEA>999</LEA><SoftwareCode>PINE synthetic</SoftwareCode>"
        "<Release>1</Release><SerialNo>1</SerialNo></Source></Header><Children>"
    )


FOOTER = "</Children></Message>\n"


def census_xml(year: int, children: list[Child], *, reference_date: date | None = None) -> bytes:
    """A CIN census of ``children`` for the collection year ending 31 March ``year``."""
    return (header(year, reference_date) + "".join(child_xml(c, year) for c in children) + FOOTER).encode()


def random_children(year: int, count: int, *, seed: int = 1) -> list[Child]:
    """``count`` fictional children with referrals, assessments, section 47 enquiries and plans in
    the collection year ending 31 March ``year`` (a quarter with an earlier referral too)."""
    rng = random.Random(seed)
    first, last = date(year - 1, 4, 1), date(year, 3, 31)
    children = []
    for n in range(count):
        referrals = [first + timedelta(days=rng.randint(0, 364))]
        if rng.random() < 0.25:
            referrals.insert(0, referrals[0] - timedelta(days=rng.randint(30, 540)))
        episodes = []
        for number, referral in enumerate(referrals):
            closure = referral + timedelta(days=rng.randint(20, 400))
            closure = (
                closure if closure <= last and number < len(referrals) - 1 or closure <= last and rng.random() < 0.5 else None
            )
            if number < len(referrals) - 1:
                closure = min(closure or referrals[number + 1], referrals[number + 1])
            episode = Episode(referral, nfa=rng.random() < 0.1, closure=closure, source=rng.choice(["1A", "2A", "3A", "5A"]),
                              need=f"N{rng.randint(1, 9)}")  # fmt: skip
            end = closure or last
            if not episode.nfa:
                start = referral + timedelta(days=rng.randint(0, 5))
                done = start + timedelta(days=rng.randint(5, 80))
                if start <= end:
                    episode.assessments.append(Assessment(start, done if done <= end else None))
                if rng.random() < 0.3:
                    s47 = referral + timedelta(days=rng.randint(0, 10))
                    icpc = s47 + timedelta(days=rng.randint(5, 30))
                    if s47 <= end:
                        episode.section47.append(Section47(s47, icpc if icpc <= end else None))
                    if rng.random() < 0.6 and icpc <= end:
                        plan_end = icpc + timedelta(days=rng.randint(30, 900))
                        episode.plans.append(Plan(icpc, plan_end if plan_end <= end else None, previous=int(rng.random() < 0.2)))
                elif rng.random() < 0.4 and done <= end:
                    plan_end = done + timedelta(days=rng.randint(60, 400))
                    episode.cin_plans.append((done, plan_end if plan_end <= end else None))
            episodes.append(episode)
        children.append(
            Child(f"SYN{n:07d}", birth=date(2008 + rng.randint(0, 16), rng.randint(1, 12), rng.randint(1, 28)),
                  sex=rng.choice("MF"), upn=f"X{n:012d}", episodes=episodes)
        )  # fmt: skip
    return children


def write_census(path, year: int, children) -> None:
    """Write a census to ``path`` child by child (the benchmark's 60,000 children)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(header(year))
        for child in children:
            out.write(child_xml(child, year))
        out.write(FOOTER)
