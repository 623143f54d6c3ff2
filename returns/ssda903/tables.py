"""The SSDA903 tables: their columns, how each is recognised, what is kept of it, and the code lists
the measures depend on (DfE SSDA903 guidance; the public csc-validator-be-903 holds the same lists)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str  # the table's name in ReturnRead.tables
    label: str  # what a person calls it
    columns: tuple[str, ...]  # the table's standard columns, as councils export them
    signature: frozenset[str]  # the columns that recognise it (all present)
    keep: dict[str, str]  # standard column -> kept column; anything else (UPN, postcodes...) is never read in
    dates: tuple[str, ...] = ()  # kept columns that are dates (DD/MM/YYYY)
    months: tuple[str, ...] = ()  # kept date columns cut to the first of their month (dates of birth)
    required: tuple[str, ...] = ()  # standard columns the measures need: a missing column is an error
    hints: tuple[str, ...] = ()  # words in a file name that suggest the table (a tie-break only)


def _table(name, label, columns, signature, keep, **kw) -> Table:
    return Table(name, label, tuple(columns.split()), frozenset(signature.split()), keep, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _table(
            "header", "Header", "CHILD SEX DOB ETHNIC UPN MOTHER MC_DOB", "CHILD SEX DOB ETHNIC",
            {"CHILD": "child", "SEX": "sex", "DOB": "dob", "ETHNIC": "ethnic"},
            dates=("dob",), months=("dob",), required=("CHILD", "DOB"), hints=("header",),
        ),
        _table(
            "episodes", "Episodes",
            "CHILD DECOM RNE LS CIN PLACE PLACE_PROVIDER DEC REC REASON_PLACE_CHANGE HOME_POST PL_POST URN",
            "CHILD DECOM RNE LS PLACE",
            {
                "CHILD": "child", "DECOM": "decom", "RNE": "rne", "LS": "ls", "CIN": "cin", "PLACE": "place",
                "PLACE_PROVIDER": "place_provider", "DEC": "dec", "REC": "rec",
                "REASON_PLACE_CHANGE": "reason_place_change",
            },
            dates=("decom", "dec"), required=("CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC", "REC"),
            hints=("episode",),
        ),
        _table(
            "reviews", "Reviews", "CHILD DOB REVIEW REVIEW_CODE", "CHILD REVIEW REVIEW_CODE",
            {"CHILD": "child", "REVIEW": "review", "REVIEW_CODE": "review_code"}, dates=("review",),
            hints=("review",),
        ),
        _table(
            "uasc", "UASC", "CHILD SEX DOB DUC", "CHILD DUC", {"CHILD": "child", "DUC": "duc"}, dates=("duc",),
            hints=("uasc",),
        ),
        _table(
            "oc2", "OC2 (health and offending)",
            "CHILD DOB SDQ_SCORE SDQ_REASON CONVICTED HEALTH_CHECK IMMUNISATIONS TEETH_CHECK HEALTH_ASSESSMENT "
            "SUBSTANCE_MISUSE INTERVENTION_RECEIVED INTERVENTION_OFFERED",
            "CHILD HEALTH_CHECK TEETH_CHECK",
            {
                "CHILD": "child", "SDQ_SCORE": "sdq_score", "SDQ_REASON": "sdq_reason", "CONVICTED": "convicted",
                "HEALTH_CHECK": "health_check", "IMMUNISATIONS": "immunisations", "TEETH_CHECK": "teeth_check",
                "HEALTH_ASSESSMENT": "health_assessment", "SUBSTANCE_MISUSE": "substance_misuse",
                "INTERVENTION_RECEIVED": "intervention_received", "INTERVENTION_OFFERED": "intervention_offered",
            },
            hints=("oc2",),
        ),
        _table(
            "oc3", "OC3 (care leavers)", "CHILD DOB IN_TOUCH ACTIV ACCOM", "CHILD IN_TOUCH ACTIV ACCOM",
            {"CHILD": "child", "DOB": "dob", "IN_TOUCH": "in_touch", "ACTIV": "activ", "ACCOM": "accom"},
            dates=("dob",), months=("dob",), required=("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"), hints=("oc3",),
        ),
        _table(
            "ad1", "AD1 (adoption)",
            "CHILD DOB DATE_INT DATE_MATCH FOSTER_CARE NB_ADOPTR SEX_ADOPTR LS_ADOPTR", "CHILD DATE_INT DATE_MATCH",
            {
                "CHILD": "child", "DATE_INT": "date_int", "DATE_MATCH": "date_match", "FOSTER_CARE": "foster_care",
                "NB_ADOPTR": "nb_adoptr", "SEX_ADOPTR": "sex_adoptr", "LS_ADOPTR": "ls_adoptr",
            },
            dates=("date_int", "date_match"), hints=("ad1",),
        ),
        _table(
            "placed_for_adoption", "Placed for adoption",
            "CHILD DOB DATE_PLACED DATE_PLACED_CEASED REASON_PLACED_CEASED", "CHILD DATE_PLACED",
            {
                "CHILD": "child", "DATE_PLACED": "date_placed", "DATE_PLACED_CEASED": "date_placed_ceased",
                "REASON_PLACED_CEASED": "reason_placed_ceased",
            },
            dates=("date_placed", "date_placed_ceased"), hints=("placed", "adoption"),
        ),
        _table(
            "previous_permanence", "Previous permanence", "CHILD DOB PREV_PERM LA_PERM DATE_PERM", "CHILD PREV_PERM",
            {"CHILD": "child", "PREV_PERM": "prev_perm", "LA_PERM": "la_perm"}, hints=("prev", "perm"),
        ),
        _table(
            "missing", "Missing", "CHILD DOB MISSING MIS_START MIS_END", "CHILD MISSING MIS_START",
            {"CHILD": "child", "MISSING": "missing", "MIS_START": "mis_start", "MIS_END": "mis_end"},
            dates=("mis_start", "mis_end"), required=("CHILD", "MISSING", "MIS_START"), hints=("missing",),
        ),
    ]
}  # fmt: skip

# The columns that hold a date, by standard name, and the tables' identifying columns that are
# never read into a kept table (listed so a test can check none slips through).
NEVER_KEPT = ("UPN", "HOME_POST", "PL_POST", "MC_DOB", "DATE_PERM", "URN")

# Code lists (SSDA903 guidance), for the fields the measures depend on.
RNE = frozenset("S P L T U B".split())
LS = frozenset("C1 C2 D1 E1 V2 V3 V4 J1 J2 J3 L1 L2 L3".split())
PLACE = frozenset("A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1".split())
REC = frozenset("E11 E12 E13 E14 E15 E16 E17 E2 E3 E41 E45 E46 E47 E48 E4A E4B E5 E6 E7 E8 E9 X1".split())
SEX = frozenset("1 2".split())
MISSING = frozenset("M A".split())
IN_TOUCH = frozenset("YES NO DIED REFU NREQ RHOM".split())
ACTIV = frozenset("F1 P1 F2 P2 F3 P3 F4 P4 F5 P5 G4 G5 G6 0".split())
# Accommodation: a letter for the kind of accommodation (0 when not known) and 1 (suitable) or 2 (not suitable).
ACCOM = frozenset(f"{kind}{suitable}" for kind in "0BCDEGHKRSTUVWXYZ" for suitable in "12")

CODE_LISTS = {
    ("episodes", "RNE"): RNE,
    ("episodes", "LS"): LS,
    ("episodes", "PLACE"): PLACE,
    ("episodes", "REC"): REC,
    ("header", "SEX"): SEX,
    ("missing", "MISSING"): MISSING,
    ("oc3", "IN_TOUCH"): IN_TOUCH,
    ("oc3", "ACTIV"): ACTIV,
    ("oc3", "ACCOM"): ACCOM,
}

# What the measures read the codes as.
NEW_PLACEMENT_RNE = frozenset("S P T".split())  # a new placement with new carers (U, B: same carers; L: status only)
SHORT_BREAKS_LS = frozenset("V3 V4".split())  # a series of short-term breaks: left out as DfE does
ADOPTED_REC = frozenset("E11 E12".split())
SPECIAL_GUARDIANSHIP_REC = frozenset("E45 E46 E47 E48".split())
RETURNED_HOME_REC = frozenset("E4A E4B".split())
CONTINUES_REC = "X1"  # the episode ends and another begins the same day: not leaving care
