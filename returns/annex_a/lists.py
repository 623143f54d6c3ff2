# ruff: noqa: E501  (the patterns read best one field a line)
"""The Ofsted Annex A lists and the tolerant rules that find them in a council's workbook: a list
is known by its sheet name ("List 3", "Referrals"), the title above its header, or its columns; a
column by patterns on its heading (lower-cased, punctuation dropped), because every council words
them a little differently."""

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str  # the column in the child-level table
    label: str  # what the Annex A guidance calls it
    kind: str  # "child" | "date" | "bool" | "int" | "reason" (kept as its SSDA903 code, never free text)
    match: str  # regex on the normalised heading
    exclude: str | None = None  # regex that rules a heading out
    required: bool = False  # the measures need the column: a list without it is an error
    blank_ok: bool = True  # a row may leave it empty (an assessment not yet authorised)

    def matches(self, heading: str) -> bool:
        return bool(re.search(self.match, heading)) and not (self.exclude and re.search(self.exclude, heading))


@dataclass(frozen=True)
class AnnexList:
    number: int
    name: str  # the table's name in ReturnRead.tables
    label: str
    sheet: str  # regex on a normalised sheet name or title
    fields: tuple[Field, ...] = field(default_factory=tuple)


CHILD = Field(
    "child",
    "Child unique ID",
    "child",
    r"\b(child|person|client)\b.*\b(id|identifier|ref|reference|number)\b|^(id|child id|unique id|la child id|lachildid)$",
    r"\b(worker|team|upn)\b",
    True,
)  # noqa: E501
DOB = Field("dob", "Date of birth", "date", r"\b(date of birth|birth date|dob)\b")


def _f(name, label, kind, match, exclude=None, required=False, blank_ok=True):
    return Field(name, label, kind, match, exclude, required, blank_ok)


LISTS: tuple[AnnexList, ...] = (
    AnnexList(1, "contacts", "List 1: contacts", r"\bcontacts?\b", (CHILD, DOB)),
    AnnexList(2, "early_help", "List 2: early help", r"\bearly help\b", (CHILD, DOB)),
    AnnexList(3, "referrals", "List 3: referrals", r"\breferrals?\b", (
        CHILD, DOB,
        _f("referral_date", "Date of referral", "date", r"\breferral\b.*\bdate\b|\bdate\b.*\breferral\b", r"\b(number|last 12|previous)\b", True, False),
        _f("nfa", "Referral NFA", "bool", r"\bnfa\b|no further action"),
    )),
    AnnexList(4, "assessments", "List 4: assessments", r"\bassessments?\b", (
        CHILD, DOB,
        _f("start", "Assessment start date", "date", r"\bstart\b", r"\b(section 47|s47|plan|looked after|legal)\b", True, False),
        _f("authorised", "Assessment date of authorisation", "date", r"\bauthori[sz]|\bcompletion date\b|\bdate\b.*\bcompleted\b|\bcompleted\b.*\bdate\b", None, True),
    )),
    AnnexList(5, "section_47", "List 5: section 47 enquiries and ICPCs", r"\b(section 47|s47|icpc|child protection conference)\b", (
        CHILD, DOB,
        _f("s47_start", "Section 47 enquiry start date", "date", r"\b(section 47|s47|strategy discussion)\b.*\bstart|\bstart\b.*\b(section 47|s47)\b", None, True, False),
        _f("icpc_date", "Date of initial child protection conference", "date", r"\b(initial child protection conference|icpc)\b", r"\b(unnecessary|not required|deemed|result|number|target|needed)\b", True),
        _f("icpc_not_needed", "ICPC deemed unnecessary", "bool", r"\b(unnecessary|not required|deemed|not needed)\b"),
    )),
    AnnexList(6, "children_in_need", "List 6: children in need", r"\b(children in need|cin)\b", (CHILD, DOB)),
    AnnexList(7, "protection_plans", "List 7: child protection plans", r"\b(child protection|cp plans?|cpp)\b", (
        CHILD, DOB,
        _f("plan_start", "Child protection plan start date", "date", r"\b(plan|cpp|cp)\b.*\bstart|\bstart\b.*\bplan\b", r"\b(legal|looked after)\b", True, False),
        _f("plan_end", "Child protection plan end date", "date", r"\b(plan|cpp|cp)\b.*\b(end|ended|ceased)\b|\b(end|ended)\b.*\bplan\b", r"\bnumber\b"),
        _f("previous_plans", "Number of previous child protection plans", "int", r"\bprevious\b.*\b(plans?|cpps?)\b"),
    )),
    AnnexList(8, "looked_after", "List 8: children looked after", r"\b(looked after|cla|lac)\b", (
        CHILD, DOB,
        _f("started", "Date started to be looked after", "date", r"\bstart(ed)?\b.*\blooked after\b|\bbecame looked after\b|\bcla start", r"\b(legal|reason|placement)\b", True, False),
        _f("second_period", "Second or subsequent period looked after within 12 months", "bool", r"\bsecond or subsequent\b|\bsubsequent period\b|\bre ?entry\b"),
        _f("ceased", "Date ceased to be looked after", "date", r"\b(date|when)\b.*\bceased\b|\bceased\b.*\bdate\b|\bdate ceased\b", r"\breason\b"),
        _f("reason_ceased", "Reason ceased to be looked after", "reason", r"\breason\b.*\bceased\b|\breason for (leaving|ceasing)\b"),
    )),
    AnnexList(9, "care_leavers", "List 9: care leavers", r"\bcare leavers?\b", (CHILD, DOB)),
    AnnexList(10, "adoption", "List 10: adoption", r"\badoptions?\b|\bplaced for adoption\b", (CHILD, DOB)),
    AnnexList(11, "adopters", "List 11: adopters", r"\badopters?\b", ()),
)  # fmt: skip
BY_NUMBER = {a.number: a for a in LISTS}


def normalise(text) -> str:
    """A heading or name lower-cased, with "a)"-style prefixes, punctuation and extra spaces gone."""
    text = ("" if text is None else str(text)).lower().replace("\n", " ")
    text = re.sub(r"^\s*[a-z]\)\s*", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def list_from_name(name: str) -> AnnexList | None:
    """The list a sheet name or title names: "List 3", "L3 Referrals", or a list's words."""
    text = normalise(name)
    number = re.search(r"\b(?:list|l)\s*0?(\d{1,2})\b", text)
    if number and int(number.group(1)) in BY_NUMBER:
        return BY_NUMBER[int(number.group(1))]
    # adopters before adoption, care leavers before looked after, and so on: the most specific first
    for number in (11, 10, 9, 5, 7, 2, 6, 8, 4, 3, 1):
        if re.search(BY_NUMBER[number].sheet, text):
            return BY_NUMBER[number]
    return None
