"""Reading a Children in Need census (XML) into child-level tables, streaming.

The file is read with lxml ``iterparse``: each ``Child`` element is turned into rows and then
cleared, so a census of any size reads in a little memory. Only the fields the measures need are
read, each by its name: ``LAchildID`` (pseudonymised at once with the function passed in), the
birth date (cut to the first of its month), ``Sex`` (collection years 2023 on) or ``GenderCurrent``
(before), each episode of need, assessment, CIN plan, section 47 enquiry and child protection plan.
UPN, former UPN, names and postcodes are never read, so they cannot reach a table, a log or a
problem. Elements are found wherever they sit in the child (``ChildIdentifiers`` and
``ChildCharacteristics`` blocks, or directly under ``Child`` as some older exports have them), in
any or no namespace.

A file covers the collection year ending on its ``ReferenceDate`` (31 March; from ``Year`` when
the date is missing): referrals, assessments and plans of that year are all in it, and earlier
ones only when still open, so measures are complete only for periods inside the year. Several
censuses (several years) read together: an episode of need (a child and referral date) in more
than one is taken from the latest.

Checks (a subset: the rules the measures depend on), each naming the element path and field,
never a value: the file is well-formed XML; required fields are present; dates parse (YYYY-MM-DD,
or DD/MM/YYYY as some exports write them) and are plausible (from 1990, not after the census's
reference date); codes are in their lists; dates are in order (referral ≤ assessment start ≤
authorisation, referral ≤ closure, section 47 start ≤ initial conference, plan start ≤ end).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

import numpy as np
import pandas as pd
from lxml import etree

from returns.problems import Findings
from returns.types import Pseudonymise, ReturnRead

KIND = "cin"
YEARS = range(2021, 2027)  # the collection years whose layouts PINE knows
EARLIEST = pd.Timestamp("1990-01-01")

REFERRAL_SOURCES = {"1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C", "5D", "6",
                    "7", "8", "9", "10"}  # fmt: skip
PRIMARY_NEEDS = {f"N{n}" for n in range(0, 10)}
CLOSURE_REASONS = {f"RC{n}" for n in range(1, 9)}
ABUSE_CATEGORIES = {"NEG", "PHY", "SAB", "EMO", "MUL"}
SEX_CODES = {"M": "M", "F": "F", "U": "U", "1": "M", "2": "F", "0": "U", "9": "U"}  # Sex, and GenderCurrent's numbers
TRUE_FALSE = {"1": True, "true": True, "0": False, "false": False}

# Each table's columns (dates as datetime64; ``where`` is the element path, for problems).
COLUMNS = {
    "children": ["child", "birth_month", "sex", "year"],
    "episodes": ["episode", "child", "referral_date", "referral_source", "primary_need", "closure_date", "closure_reason",
                 "referral_nfa", "year", "where"],
    "assessments": ["episode", "child", "start_date", "authorisation_date", "factors", "where"],
    "cin_plans": ["episode", "child", "start_date", "end_date", "where"],
    "section47": ["episode", "child", "start_date", "icpc_date", "icpc_not_required", "where"],
    "cp_plans": ["episode", "child", "start_date", "end_date", "initial_category", "latest_category", "previous_plans",
                 "where"],
}  # fmt: skip
DATE_COLUMNS = {
    "episodes": ["referral_date", "closure_date"],
    "assessments": ["start_date", "authorisation_date"],
    "cin_plans": ["start_date", "end_date"],
    "section47": ["start_date", "icpc_date"],
    "cp_plans": ["start_date", "end_date"],
}
# The XML element each column is read from (named in problems).
ELEMENTS = {
    ("episodes", "referral_date"): "CINreferralDate", ("episodes", "closure_date"): "CINclosureDate",
    ("assessments", "start_date"): "AssessmentActualStartDate",
    ("assessments", "authorisation_date"): "AssessmentAuthorisationDate",
    ("cin_plans", "start_date"): "CINPlanStartDate", ("cin_plans", "end_date"): "CINPlanEndDate",
    ("section47", "start_date"): "S47ActualStartDate", ("section47", "icpc_date"): "DateOfInitialCPC",
    ("cp_plans", "start_date"): "CPPstartDate", ("cp_plans", "end_date"): "CPPendDate",
}  # fmt: skip
REQUIRED = {("episodes", "referral_date"), ("assessments", "start_date"), ("cin_plans", "start_date"),
            ("section47", "start_date"), ("cp_plans", "start_date")}  # fmt: skip
# (table, earlier column, later column, the rule in words)
ORDER_RULES = [
    ("episodes", "referral_date", "closure_date", "The episode closes before its referral date."),
    ("assessments", "start_date", "authorisation_date", "The assessment is authorised before it started."),
    ("cin_plans", "start_date", "end_date", "The CIN plan ends before it starts."),
    ("section47", "start_date", "icpc_date", "The initial child protection conference is before the section 47 enquiry started."),
    ("cp_plans", "start_date", "end_date", "The child protection plan ends before it starts."),
]  # fmt: skip
# Sub-records that cannot start before their episode's referral.
AFTER_REFERRAL = [
    ("assessments", "start_date", "The assessment starts before the episode's referral date."),
    ("section47", "start_date", "The section 47 enquiry starts before the episode's referral date."),
    ("cp_plans", "start_date", "The child protection plan starts before the episode's referral date."),
]


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# The only elements whose text is ever read (UPN, FormerUPN, names and postcodes are not among them).
WANTED = {
    "LAchildID", "PersonBirthDate", "Sex", "GenderCurrent", "Year", "ReferenceDate",
    "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure", "ReferralNFA",
    "DateOfInitialCPC", "AssessmentActualStartDate", "AssessmentAuthorisationDate", "CINPlanStartDate", "CINPlanEndDate",
    "S47ActualStartDate", "ICPCnotRequired", "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse", "NumberOfPreviousCPP",
}  # fmt: skip
# Blocks whose fields belong to the element around them (the child's identifiers and characteristics).
FLAT_BLOCKS = {"ChildIdentifiers", "ChildCharacteristics"}


def _fields(element) -> tuple[dict[str, str], list[tuple[str, object]]]:
    """The wanted fields directly in ``element`` (and in its identifier blocks), and its other
    blocks as (name, element)."""
    fields: dict[str, str] = {}
    blocks: list[tuple[str, object]] = []
    for sub in element:
        tag = sub.tag
        if not isinstance(tag, str):
            continue
        if "}" in tag:
            tag = tag.rsplit("}", 1)[1]
        if len(sub):
            if tag in FLAT_BLOCKS:
                inner, more = _fields(sub)
                fields.update(inner)
                blocks += more
            else:
                blocks.append((tag, sub))
        elif tag in WANTED:
            fields[tag] = (sub.text or "").strip()
    return fields, blocks


@dataclass
class _Collection:
    name: str
    year: int | None = None
    reference_date: date | None = None


@dataclass
class _Rows:
    children: list = field(default_factory=list)
    episodes: list = field(default_factory=list)
    assessments: list = field(default_factory=list)
    cin_plans: list = field(default_factory=list)
    section47: list = field(default_factory=list)
    cp_plans: list = field(default_factory=list)
    reference: list = field(default_factory=list)  # the reference date of each episode's file, by episode


def read(files: list[tuple[str, BinaryIO]], *, pseudonymise: Pseudonymise) -> ReturnRead:
    findings = Findings()
    rows = _Rows()
    collections: list[_Collection] = []
    pseudonyms: dict[str, str] = {}

    def pseudonym(ref: str) -> str:
        if ref not in pseudonyms:
            pseudonyms[ref] = pseudonymise(ref)
        return pseudonyms[ref]

    for number, (_name, stream) in enumerate(files, start=1):
        label = f"file {number}" if len(files) > 1 else "the file"
        collection = _read_one(stream, label, rows, findings, pseudonym)
        collections.append(collection)
    pseudonyms.clear()
    tables = _tables(rows, collections, findings)
    _check(tables, findings)
    tables = _latest_episodes(tables)
    tables["collections"] = pd.DataFrame(
        {
            "year": [c.year for c in collections],
            "start": [pd.Timestamp(date(c.reference_date.year - 1, c.reference_date.month, c.reference_date.day))
                      + pd.Timedelta(days=1) if c.reference_date else pd.NaT for c in collections],
            "reference_date": [pd.Timestamp(c.reference_date) if c.reference_date else pd.NaT for c in collections],
        }
    )  # fmt: skip
    records = sum(len(tables[t]) for t in ("episodes", "assessments", "cin_plans", "section47", "cp_plans"))
    return ReturnRead(
        kind=KIND,
        tables=tables,
        children=int(tables["children"]["child"].nunique()),
        records=records,
        problems=findings.problems(),
    )


def _read_one(stream: BinaryIO, label: str, rows: _Rows, findings: Findings, pseudonym) -> _Collection:
    collection = _Collection(label)
    child_number = 0
    year_index = len(rows.reference)  # this file's position: rows carry it until the reference date is known
    rows.reference.append(collection)
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=("{*}Child", "{*}CollectionDetails"),
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
    )
    try:
        for _, element in context:
            if _local(element.tag) == "CollectionDetails":
                _collection_details(element, collection, label, findings)
                continue
            child_number += 1
            _read_child(element, f"{label}: Child {child_number}", year_index, rows, findings, pseudonym)
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        # lxml's own message can quote text from the file: say only where.
        line = getattr(error, "lineno", None)
        at = f" (line {line})" if line else ""
        findings.error(label, "", f"This is not a well-formed XML file{at}: a CIN census must be the XML file sent to the DfE.")
        return collection
    if collection.reference_date is None:
        if collection.year is not None:
            collection.reference_date = date(collection.year, 3, 31)
        else:
            findings.error(
                f"{label}: Header/CollectionDetails",
                "ReferenceDate",
                "The census's reference date (or collection year) is missing: PINE needs it to know which year the file covers.",
            )
    if child_number == 0:
        findings.error(label, "Child", "The file has no Child elements: it is not a CIN census, or it is empty.")
    return collection


def _collection_details(element, collection: _Collection, label: str, findings: Findings) -> None:
    fields = _fields(element)[0]
    year_text = fields.get("Year", "")
    if year_text:
        if year_text.isdecimal() and len(year_text) == 4:
            collection.year = int(year_text)
            if collection.year not in YEARS:
                findings.warning(
                    f"{label}: Header/CollectionDetails", "Year",
                    f"PINE reads the layouts of collection years {YEARS[0]} to {YEARS[-1]}; this file gives another year. "
                    "Check the figures.",
                )  # fmt: skip
        else:
            findings.error(f"{label}: Header/CollectionDetails", "Year", "The collection year is not a year (YYYY).")
    reference = fields.get("ReferenceDate", "")
    if reference:
        parsed = pd.to_datetime(reference, format="%Y-%m-%d", errors="coerce")
        if pd.isna(parsed):
            findings.error(
                f"{label}: Header/CollectionDetails", "ReferenceDate", "The reference date is not a date (YYYY-MM-DD)."
            )
        else:
            collection.reference_date = parsed.date()
            if collection.year is None:
                collection.year = collection.reference_date.year


def _read_child(element, where: str, file_index: int, rows: _Rows, findings: Findings, pseudonym) -> None:
    fields, blocks = _fields(element)
    ref = fields.get("LAchildID", "")
    if not ref:
        findings.error(f"{where}/ChildIdentifiers", "LAchildID", "The child's LAchildID is missing: every child needs one.")
        return
    child = pseudonym(ref)
    sex_text = fields.get("Sex") or fields.get("GenderCurrent") or ""
    sex = SEX_CODES.get(sex_text.upper(), "")
    if sex_text and not sex:
        findings.warning(f"{where}/ChildIdentifiers", "Sex", "The sex (or GenderCurrent) code is not one of the census's codes.")
    rows.children.append((child, fields.get("PersonBirthDate", ""), sex or "U", file_index))
    n = 0
    for name, details in blocks:
        if name != "CINdetails":
            continue
        n += 1
        _read_episode(details, f"{where}/CINdetails {n}", child, file_index, rows, findings)


def _read_episode(details, path: str, child: str, file_index: int, rows: _Rows, findings: Findings) -> None:
    fields, blocks = _fields(details)
    episode = len(rows.episodes)
    nfa_text = fields.get("ReferralNFA", "").lower()
    nfa = TRUE_FALSE.get(nfa_text)
    if not nfa_text:
        findings.error(path, "ReferralNFA", "ReferralNFA is missing: say whether the referral led to no further action.")
    elif nfa is None:
        findings.error(path, "ReferralNFA", "ReferralNFA must be 1 or true, or 0 or false.")
    source = fields.get("ReferralSource", "").upper()
    need = fields.get("PrimaryNeedCode", "").upper()
    reason = fields.get("ReasonForClosure", "").upper()
    if source and source not in REFERRAL_SOURCES:
        findings.warning(path, "ReferralSource", "The referral source is not one of the census's codes.")
    if need and need not in PRIMARY_NEEDS:
        findings.warning(path, "PrimaryNeedCode", "The primary need code is not one of N0 to N9.")
    if reason and reason not in CLOSURE_REASONS:
        findings.warning(path, "ReasonForClosure", "The reason for closure is not one of RC1 to RC8.")
    rows.episodes.append(
        (episode, child, fields.get("CINreferralDate", ""), source, need, fields.get("CINclosureDate", ""), reason,
         bool(nfa), file_index, path)
    )  # fmt: skip
    enquiries = sum(1 for name, _ in blocks if name == "Section47")
    counts: dict[str, int] = {}
    for name, block in blocks:
        counts[name] = m = counts.get(name, 0) + 1
        at = f"{path}/{name} {m}"
        if name == "Assessments":
            inner, more = _fields(block)
            factors = sorted(
                {(f.text or "").strip() for tag, sub in more if tag == "FactorsIdentifiedAtAssessment" for f in sub if f.text}
            )
            rows.assessments.append(
                (episode, child, inner.get("AssessmentActualStartDate", ""), inner.get("AssessmentAuthorisationDate", ""),
                 ",".join(factors), at)
            )  # fmt: skip
        elif name == "CINPlanDates":
            inner = _fields(block)[0]
            rows.cin_plans.append((episode, child, inner.get("CINPlanStartDate", ""), inner.get("CINPlanEndDate", ""), at))
        elif name == "Section47":
            inner = _fields(block)[0]
            # Older files give the conference date on the episode: it is the enquiry's when there is one.
            icpc = inner.get("DateOfInitialCPC") or (fields.get("DateOfInitialCPC", "") if enquiries == 1 else "")
            not_required = TRUE_FALSE.get(inner.get("ICPCnotRequired", "").lower(), False)
            rows.section47.append((episode, child, inner.get("S47ActualStartDate", ""), icpc, not_required, at))
        elif name == "ChildProtectionPlans":
            inner = _fields(block)[0]
            initial = inner.get("InitialCategoryOfAbuse", "").upper()
            latest = inner.get("LatestCategoryOfAbuse", "").upper()
            for field_name, code in (("InitialCategoryOfAbuse", initial), ("LatestCategoryOfAbuse", latest)):
                if code and code not in ABUSE_CATEGORIES:
                    findings.warning(at, field_name, "The category of abuse is not one of NEG, PHY, SAB, EMO or MUL.")
            previous_text = inner.get("NumberOfPreviousCPP", "")
            previous = int(previous_text) if previous_text.isdecimal() else 0
            if previous_text and not previous_text.isdecimal():
                findings.error(at, "NumberOfPreviousCPP", "The number of previous plans must be a whole number.")
            rows.cp_plans.append(
                (episode, child, inner.get("CPPstartDate", ""), inner.get("CPPendDate", ""), initial, latest, previous, at)
            )


def _dates(texts: pd.Series) -> pd.Series:
    """ISO dates, or day-first DD/MM/YYYY; empty and unreadable text become NaT."""
    parsed = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    retry = parsed.isna() & (texts != "")
    if retry.any():
        parsed[retry] = pd.to_datetime(texts[retry], format="%d/%m/%Y", errors="coerce")
    return parsed


def _tables(rows: _Rows, collections: list[_Collection], findings: Findings) -> dict[str, pd.DataFrame]:
    tables = {name: pd.DataFrame(getattr(rows, name), columns=columns) for name, columns in COLUMNS.items()}
    references = np.array(
        [np.datetime64(c.reference_date, "ns") if c.reference_date else np.datetime64("NaT", "ns") for c in rows.reference],
        dtype="datetime64[ns]",
    )
    years = np.array([c.year or 0 for c in rows.reference], dtype=int)
    children = tables["children"]
    file_index = children["year"].to_numpy(dtype=int)
    children["year"] = years[file_index] if len(file_index) else []
    # Dates of birth are cut to the first of their month as soon as they are read.
    births = _dates(children["birth_month"].astype(str))
    children["birth_month"] = births - pd.to_timedelta(births.dt.day.fillna(1) - 1, unit="D")
    episodes = tables["episodes"]
    episode_file = episodes["year"].to_numpy(dtype=int)
    episodes["year"] = years[episode_file] if len(episode_file) else []
    episode_reference = pd.Series(references[episode_file] if len(episode_file) else [], dtype="datetime64[ns]")
    for table, columns in DATE_COLUMNS.items():
        frame = tables[table]
        reference = (
            episode_reference
            if table == "episodes"
            else pd.Series(episode_reference.to_numpy()[frame["episode"].to_numpy(dtype=int)], dtype="datetime64[ns]")
            if len(frame)
            else pd.Series([], dtype="datetime64[ns]")
        )
        for column in columns:
            texts = frame[column].astype(str)
            parsed = _dates(texts)
            element = ELEMENTS[(table, column)]
            for where in frame["where"][(texts == "") & ((table, column) in REQUIRED)]:
                findings.error(where, element, f"{element} is missing.")
            for where in frame["where"][parsed.isna() & (texts != "")]:
                findings.error(where, element, f"{element} is not a date (YYYY-MM-DD).")
            early = parsed < EARLIEST
            late = parsed.to_numpy() > reference.to_numpy()
            for where in frame["where"][early]:
                findings.error(where, element, f"{element} is before 1990: check the date.")
            for where in frame["where"][late]:
                findings.error(where, element, f"{element} is after the census's reference date.")
            frame[column] = parsed
    if not tables["children"].empty:
        bad_birth = tables["children"]["birth_month"].isna()
        if bad_birth.any():
            findings.warning("(children)", "PersonBirthDate", f"{int(bad_birth.sum()):,} children have no readable birth date.")
    return tables


def _check(tables: dict[str, pd.DataFrame], findings: Findings) -> None:
    for table, earlier, later, message in ORDER_RULES:
        frame = tables[table]
        wrong = frame[later].notna() & frame[earlier].notna() & (frame[later] < frame[earlier])
        for where in frame["where"][wrong]:
            findings.error(where, ELEMENTS[(table, later)], message)
    referrals = tables["episodes"].set_index("episode")["referral_date"]
    for table, column, message in AFTER_REFERRAL:
        frame = tables[table]
        referral = referrals.reindex(frame["episode"]).to_numpy()
        wrong = frame[column].notna().to_numpy() & (frame[column].to_numpy() < referral)
        for where in frame["where"][wrong]:
            findings.error(where, ELEMENTS[(table, column)], message)


def _latest_episodes(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Several censuses: each episode of need (child and referral date) from the latest that has it,
    each child's details from the latest too."""
    episodes = tables["episodes"]
    if episodes.empty or episodes["year"].nunique() <= 1:
        if not tables["children"].empty:
            tables["children"] = tables["children"].drop_duplicates("child", keep="last").reset_index(drop=True)
        return tables
    latest = episodes.groupby(["child", "referral_date"], dropna=False)["year"].transform("max")
    kept = episodes[episodes["year"] == latest]
    tables["episodes"] = kept.reset_index(drop=True)
    keep = set(kept["episode"])
    for table in ("assessments", "cin_plans", "section47", "cp_plans"):
        frame = tables[table]
        tables[table] = frame[frame["episode"].isin(keep)].reset_index(drop=True)
    children = tables["children"].sort_values("year", kind="stable")
    tables["children"] = children.drop_duplicates("child", keep="last").reset_index(drop=True)
    return tables
