"""Synthetic Ofsted Annex A workbooks (no real children) with answers worked by hand, tidy or as
messy as councils' are: title rows (merged) above a header that is not on row 1, sheets named or
not, headings worded differently, labels like "a) Yes" and "b) Female", dates as Excel serial
numbers or text."""

import io
from datetime import date

from openpyxl import Workbook

EXCEL_EPOCH = date(1899, 12, 30)
d = date

# (child, gender, date of birth, date of referral, NFA?)
REFERRALS = [
    ("R1", "b) Female", d(2015, 3, 4), d(2023, 5, 2), False),
    ("R2", "a) Male", d(2012, 7, 1), d(2023, 6, 15), False),
    ("R3", "a) Male", d(2010, 1, 9), d(2023, 9, 9), True),
    ("R4", "b) Female", d(2019, 2, 2), d(2023, 11, 20), False),
    ("R1", "b) Female", d(2015, 3, 4), d(2024, 1, 10), True),
    ("R5", "c) Not stated/recorded", d(2008, 5, 5), d(2023, 4, 1), False),
    ("R5", "c) Not stated/recorded", d(2008, 5, 5), d(2024, 3, 28), False),
]
# (child, assessment start, authorised): 45 working days or fewer for A1, A2 (England's bank holidays
# count: A2 is 50 weekdays less five holidays) and A4; A3 is 54; A5 is not yet authorised.
ASSESSMENTS = [
    ("A1", d(2023, 4, 3), d(2023, 6, 5)),
    ("A2", d(2023, 4, 3), d(2023, 6, 12)),
    ("A3", d(2023, 10, 2), d(2023, 12, 15)),
    ("A4", d(2024, 2, 1), d(2024, 2, 8)),
    ("A5", d(2024, 3, 1), None),
]
# (child, section 47 start, ICPC date, ICPC deemed unnecessary): S1 14 working days, S2 16, S3 15
# (the August bank holiday does not count), S4 needed no conference.
SECTION_47 = [
    ("S1", d(2023, 7, 3), d(2023, 7, 21), "b) No"),
    ("S2", d(2023, 8, 1), d(2023, 8, 23), "No"),
    ("S3", d(2023, 8, 22), d(2023, 9, 13), "N"),
    ("S4", d(2023, 10, 2), None, "a) Yes"),
]
# (child, plan start, plan end, number of previous plans)
PLANS = [
    ("P1", d(2023, 5, 10), None, 0),
    ("P2", d(2023, 7, 1), None, 1),
    ("P3", d(2021, 3, 1), d(2023, 6, 15), 0),
    ("P4", d(2023, 2, 1), d(2023, 12, 1), 0),
    ("P4", d(2024, 1, 1), None, None),
]
# (child, started, second or subsequent period in 12 months, ceased, reason ceased)
LOOKED_AFTER = [
    ("L1", d(2023, 5, 1), "N", None, None),
    ("L2", d(2023, 8, 1), "Y", d(2024, 2, 1), "e) E4A: Returned home to live with parents or relatives - part of planning"),
    ("L3", d(2020, 1, 1), "N", d(2023, 10, 15), "a) E11: Adopted - application unopposed"),
    ("L4", d(2022, 10, 10), "N", None, None),
    ("L5", d(2023, 12, 1), "N", d(2024, 3, 1), "E46"),
]

# For the year 1 April 2023 to 31 March 2024, every child:
EXPECTED = {
    "cin_referrals": (7.0, 7, None),
    "re_referrals_12m": (100 * 2 / 7, 2, 7),  # R1 in January, R5 in March
    "referrals_nfa": (100 * 2 / 7, 2, 7),
    "assessments_45_days": (75.0, 3, 4),
    "icpc_15_days": (100 * 2 / 3, 2, 3),
    "cp_plans_started": (3.0, 3, None),  # P1, P2, P4's second
    "repeat_cp_plans": (100 * 2 / 3, 2, 3),  # P2 (a previous plan), P4 (an earlier plan in the list)
    "cp_plans_2_years": (50.0, 1, 2),  # P3 of the two that ended
    "entries_to_care": (3.0, 3, None),  # L1, L2, L5
    "re_entries_12m": (100 / 3, 1, 3),  # L2
    "cla_count": (2.0, 2, None),  # L1, L4 at 31 March 2024
    "exits_adoption": (100 / 3, 1, 3),
    "exits_special_guardianship": (100 / 3, 1, 3),
    "exits_return_home": (100 / 3, 1, 3),
}


def _serial(day: date | None):
    return None if day is None else (day - EXCEL_EPOCH).days


def _text(day: date | None):
    return None if day is None else day.strftime("%d/%m/%Y")


def workbook(messy: bool = False, ambiguous: bool = False) -> bytes:
    """An Annex A workbook of the lists above. ``messy``: title rows (merged) above headers on row 3,
    sheets not named "List N", other wordings, dates as serial numbers or text, labels with letters.
    ``ambiguous``: list 3 has two columns that could each be the date of referral."""
    book = Workbook()
    book.remove(book.active)
    as_date = (lambda day: _serial(day)) if messy else (lambda day: day)
    as_text_date = (lambda day: _text(day)) if messy else (lambda day: day)
    yes_no = (lambda flag: "a) Yes" if flag else "b) No") if messy else (lambda flag: "Yes" if flag else "No")

    def sheet(name: str, title: str, header: list[str], rows: list[list]):
        ws = book.create_sheet(name)
        if messy:
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
            ws.append([])
        ws.append(header)
        for row in rows:
            ws.append(row)

    contacts_header = ["Child Unique ID", "Gender", "Date of Contact", "Contact Source"]
    sheet("Contacts" if messy else "List 1", "List 1: Contacts", contacts_header,
          [["R1", "b) Female", as_date(d(2023, 4, 28)), "6: Police"]])  # fmt: skip
    referral_header = (
        ["Child ID", "Gender", "DOB", "Referral Date", "Referral Source", "NFA (Y/N)", "Number of referrals in last 12 months",
         "Allocated Worker"]
        if messy else
        ["Child Unique ID", "Gender", "Date of Birth", "Date of referral", "Referral Source", "Referral NFA?",
         "Number of Referrals in Last 12 Months", "Allocated Worker"]
    )  # fmt: skip
    referral_rows = [[c, g, as_text_date(b), as_date(r), "6: Police", yes_no(nfa), 1, "Worker Name"]
                     for c, g, b, r, nfa in REFERRALS]  # fmt: skip
    if ambiguous:
        referral_header.append("Referral date (original)")
        referral_rows = [row + [row[3]] for row in referral_rows]
    sheet("Sheet2" if messy else "List 3", "Annex A - List 3: Referrals", referral_header, referral_rows)
    sheet("Assessments" if messy else "List 4", "List 4: Assessments",
          ["Child Unique ID", "Gender", "Continuous Assessment Start Date", "Child Seen During Continuous Assessment",
           "Continuous Assessment Date of Authorisation", "Allocated Worker"],
          [[c, "a) Male", as_date(s), yes_no(True), as_text_date(a), "Worker Name"] for c, s, a in ASSESSMENTS])  # fmt: skip
    sheet("S47" if messy else "List 5", "List 5: Section 47 enquiries and ICPCs",
          ["Child Unique ID", "Gender", "Strategy discussion initiating Section 47 Enquiry Start Date",
           "Was an Initial Child Protection Conference deemed unnecessary?",
           "Date of Initial Child Protection Conference",
           "Did the Initial Child Protection Conference Result in a Child Protection Plan",
           "Number of Section 47 Enquiries in the last 12 months", "Number of ICPCs in the last 12 months"],
          [[c, "a) Male", as_date(s), unnecessary, as_date(i), None, 1, 1] for c, s, i, unnecessary in SECTION_47])  # fmt: skip
    sheet("CP" if messy else "List 7", "List 7: Child protection plans",
          ["Child Unique ID", "Gender", "Child Protection Plan Start Date", "Initial Category of Abuse",
           "Child Protection Plan End Date", "Number of Previous Child Protection Plans"],
          [[c, "b) Female", as_date(s), "a) Neglect", as_date(e), n] for c, s, e, n in PLANS])  # fmt: skip
    sheet("CLA" if messy else "List 8", "List 8: Children looked after",
          ["Child Unique ID", "Gender", "Date Started to be Looked After",
           "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
           "Start date of current legal status", "Child's Legal Status", "Number of Placements in the Last 12 months",
           "Date Ceased to be Looked After", "Reason Ceased to be Looked After"],
          [[c, "a) Male", as_date(s), second, as_date(s), "C2: FCO", 1, as_date(ceased), reason]
           for c, s, second, ceased, reason in LOOKED_AFTER])  # fmt: skip
    sheet(
        "Adopters" if messy else "List 11",
        "List 11: Adopters",
        ["Adopter ID", "Date of enquiry"],
        [["AD1", as_date(d(2023, 5, 5))]],
    )
    notes = book.create_sheet("Notes")
    notes.append(["Prepared by the performance team; children named in no list."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
