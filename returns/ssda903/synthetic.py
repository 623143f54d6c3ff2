"""Synthetic SSDA903 returns (no real children): a small hand-worked return whose measures can be
counted by hand (``scenario``), written as CSV tables, a zip of them, or the XML form; and a fast
writer of a large return for the benchmark (``write_large``). Every identifier, UPN and postcode
here is made up; they are in the files so tests can check none of them is ever kept."""

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .tables import TABLES


def ddmmyyyy(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


@dataclass
class Episode:
    decom: date
    rne: str
    ls: str
    place: str
    dec: date | None = None
    rec: str | None = None
    cin: str = "N1"
    place_provider: str = "PR1"
    reason_place_change: str | None = None


@dataclass
class Missing:
    kind: str  # M missing, A away without authorisation
    start: date
    end: date | None = None


@dataclass
class CareLeaver:
    in_touch: str
    activ: str | None
    accom: str | None


@dataclass
class Child:
    child: str
    dob: date
    sex: str = "1"
    ethnic: str = "WBRI"
    episodes: list[Episode] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    care_leaver: CareLeaver | None = None
    reviews: list[date] = field(default_factory=list)
    uasc_ceased: date | None = None
    adoption: tuple[date, date] | None = None  # decided to be adopted, matched: AD1 and placed for adoption

    @property
    def upn(self) -> str:  # a made-up UPN, different for each child
        return f"A{_number('upn', self.child) % 10**12:012d}"


def _number(*parts: str) -> int:
    """A made-up number, the same for the same parts in every run."""
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _postcode(seed: str) -> str:
    number = _number("postcode", seed) % 90 + 10
    return f"ZZ{number} 9XY"


@dataclass
class Return903:
    children: list[Child]

    def rows(self) -> dict[str, list[dict[str, str]]]:
        """Each table's rows as a council exports them (standard columns, dates DD/MM/YYYY)."""
        out: dict[str, list[dict[str, str]]] = {name: [] for name in TABLES}
        for c in self.children:
            dob = ddmmyyyy(c.dob)
            out["header"].append({"CHILD": c.child, "SEX": c.sex, "DOB": dob, "ETHNIC": c.ethnic, "UPN": c.upn,
                                  "MOTHER": "", "MC_DOB": ""})  # fmt: skip
            for e in c.episodes:
                out["episodes"].append({
                    "CHILD": c.child, "DECOM": ddmmyyyy(e.decom), "RNE": e.rne, "LS": e.ls, "CIN": e.cin,
                    "PLACE": e.place, "PLACE_PROVIDER": e.place_provider, "DEC": ddmmyyyy(e.dec), "REC": e.rec or "",
                    "REASON_PLACE_CHANGE": e.reason_place_change or "", "HOME_POST": _postcode(c.child + "home"),
                    "PL_POST": _postcode(c.child + ddmmyyyy(e.decom)), "URN": "SC123456",
                })  # fmt: skip
            for m in c.missing:
                out["missing"].append({"CHILD": c.child, "DOB": dob, "MISSING": m.kind, "MIS_START": ddmmyyyy(m.start),
                                       "MIS_END": ddmmyyyy(m.end)})  # fmt: skip
            if c.care_leaver:
                out["oc3"].append({"CHILD": c.child, "DOB": dob, "IN_TOUCH": c.care_leaver.in_touch,
                                   "ACTIV": c.care_leaver.activ or "", "ACCOM": c.care_leaver.accom or ""})  # fmt: skip
            for review in c.reviews:
                out["reviews"].append({"CHILD": c.child, "DOB": dob, "REVIEW": ddmmyyyy(review), "REVIEW_CODE": "PN1"})
            if c.uasc_ceased:
                out["uasc"].append({"CHILD": c.child, "SEX": c.sex, "DOB": dob, "DUC": ddmmyyyy(c.uasc_ceased)})
            if c.episodes:
                out["oc2"].append({"CHILD": c.child, "DOB": dob, "SDQ_SCORE": "12", "SDQ_REASON": "", "CONVICTED": "0",
                                   "HEALTH_CHECK": "1", "IMMUNISATIONS": "1", "TEETH_CHECK": "1",
                                   "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0", "INTERVENTION_RECEIVED": "",
                                   "INTERVENTION_OFFERED": ""})  # fmt: skip
                out["previous_permanence"].append({"CHILD": c.child, "DOB": dob, "PREV_PERM": "Z1", "LA_PERM": "",
                                                   "DATE_PERM": ""})  # fmt: skip
            if c.adoption:
                decided, matched = c.adoption
                out["ad1"].append({"CHILD": c.child, "DOB": dob, "DATE_INT": ddmmyyyy(decided),
                                   "DATE_MATCH": ddmmyyyy(matched), "FOSTER_CARE": "0", "NB_ADOPTR": "2",
                                   "SEX_ADOPTR": "MF", "LS_ADOPTR": "L0"})  # fmt: skip
                out["placed_for_adoption"].append({"CHILD": c.child, "DOB": dob, "DATE_PLACED": ddmmyyyy(matched),
                                                   "DATE_PLACED_CEASED": "", "REASON_PLACED_CEASED": ""})  # fmt: skip
        return out

    def csv_files(self) -> dict[str, bytes]:
        """One CSV a table (file names as councils use them), all ten tables."""
        out = {}
        for name, rows in self.rows().items():
            frame = pd.DataFrame(rows, columns=list(TABLES[name].columns))
            out[f"{name}.csv"] = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
        return out

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.csv_files().items():
                archive.writestr(f"ssda903/{name}", data)
        return buffer.getvalue()

    def xml_bytes(self) -> bytes:
        """The XML form: EXPSSDA903, a CHILD a child with its HEADER and EPISODE elements."""

        def leaf(tag: str, value: str | None) -> str:
            return f"<{tag}>{escape(value)}</{tag}>" if value else f"<{tag} />"

        parts = ["<?xml version='1.0' encoding='utf-8'?>\n<EXPSSDA903>"]
        for c in self.children:
            header = [leaf("CHILDID", c.child), leaf("UPN", c.upn), leaf("SEX", c.sex), leaf("DOB", ddmmyyyy(c.dob)),
                      leaf("ETHNIC", c.ethnic), leaf("UASC", "1" if c.uasc_ceased else None)]  # fmt: skip
            if c.uasc_ceased:
                header.append(leaf("DUC", ddmmyyyy(c.uasc_ceased)))
            header += [f"<AREVIEW>{leaf('REVIEW', ddmmyyyy(r))}{leaf('REVIEW_CODE', 'PN1')}</AREVIEW>" for r in c.reviews]
            header += [leaf("MOTHER", None), leaf("MC_DOB", None)]
            if c.episodes:
                header.append(
                    "<OC2>" + "".join(leaf(t, v) for t, v in (("SDQ_SCORE", "12"), ("CONVICTED", "0"),
                    ("HEALTH_CHECK", "1"), ("IMMUNISATIONS", "1"), ("TEETH_CHECK", "1"), ("HEALTH_ASSESSMENT", "1"),
                    ("SUBSTANCE_MISUSE", "0"))) + "</OC2>"
                )  # fmt: skip
                header.append(f"<PERMANENCE>{leaf('PREV_PERM', 'Z1')}</PERMANENCE>")
            header += [
                f"<AMISSING>{leaf('MISSING', m.kind)}{leaf('MIS_START', ddmmyyyy(m.start))}"
                f"{leaf('MIS_END', ddmmyyyy(m.end))}</AMISSING>"
                for m in c.missing
            ]
            if c.care_leaver:
                header += [leaf("IN_TOUCH", c.care_leaver.in_touch), leaf("ACTIV", c.care_leaver.activ),
                           leaf("ACCOM", c.care_leaver.accom)]  # fmt: skip
            if c.adoption:
                decided, matched = c.adoption
                header += [leaf("DATE_INT", ddmmyyyy(decided)), leaf("DATE_MATCH", ddmmyyyy(matched)),
                           leaf("FOSTER_CARE", "0"), leaf("NB_ADOPTR", "2"), leaf("SEX_ADOPTR", "MF"),
                           leaf("LS_ADOPTR", "L0"),
                           f"<AD_PLACED>{leaf('DATE_PLACED', ddmmyyyy(matched))}</AD_PLACED>"]  # fmt: skip
            episodes = [
                "<EPISODE>" + "".join([
                    leaf("DECOM", ddmmyyyy(e.decom)), leaf("RNE", e.rne), leaf("LS", e.ls), leaf("CIN", e.cin),
                    leaf("PL", e.place), leaf("PL_POST", _postcode(c.child + ddmmyyyy(e.decom))),
                    leaf("HOME_POST", _postcode(c.child + "home")), leaf("URN", "SC123456"),
                    leaf("PLACE_PROVIDER", e.place_provider), leaf("DEC", ddmmyyyy(e.dec)), leaf("REC", e.rec),
                    leaf("REASON_PLACE_CHANGE", e.reason_place_change),
                ]) + "</EPISODE>"
                for e in c.episodes
            ]  # fmt: skip
            parts.append("<CHILD><HEADER>" + "".join(header) + "</HEADER>" + "".join(episodes) + "</CHILD>")
        parts.append("</EXPSSDA903>\n")
        return "".join(parts).encode("utf-8")


def scenario() -> Return903:
    """A return for the collection year 1 April 2023 to 31 March 2024 (with some history), worked by
    hand. For that year and the group of every child (population 10,000: the mid-2023 estimate, in force
    on 31 March 2024):

    * entries_to_care 4 (A, B, E, G; F's short breaks left out); re_entries_12m 1 of 4 (B left care
      on 30/11/2022 and came back on 15/06/2023);
    * cla_count 5 at 31/03/2024 (A, B, C, G, H), cla_rate 5.0; placements_3_plus 2 of 5 (A has 3,
      H 4; C has 2: its L change is not a new placement; G 2; B 1);
    * looked after during the year 7 (A B C D E G H): missing_from_care 1 of 7 (A), missing_incidents
      2, away_incidents 2 (A, H), away_from_care 2 of 7;
    * care leavers aged 19 to 21 by their birthday in the year 3 (J, K, N; L is 18, M died):
      care_leavers_eet 1 of 3 (J), care_leavers_accommodation 1 of 3 (J);
    * children leaving care 3 (D adopted, E special guardianship, G returned home): each exit measure
      1 of 3.
    """
    d = date
    return Return903(
        [
            Child("A001", d(2012, 3, 14), reviews=[d(2023, 6, 1)], episodes=[
                Episode(d(2023, 5, 10), "S", "V2", "U4", d(2023, 8, 1), "X1"),
                Episode(d(2023, 8, 1), "P", "V2", "U5", d(2023, 12, 1), "X1", reason_place_change="CARPL"),
                Episode(d(2023, 12, 1), "P", "V2", "K2", reason_place_change="CHILD"),
            ], missing=[Missing("M", d(2023, 7, 10), d(2023, 7, 11)), Missing("M", d(2023, 9, 2), d(2023, 9, 3)),
                        Missing("A", d(2023, 5, 20), d(2023, 5, 20))]),
            Child("B002", d(2015, 8, 2), sex="2", episodes=[
                Episode(d(2022, 6, 1), "S", "V2", "U1", d(2022, 11, 30), "E4A"),
                Episode(d(2023, 6, 15), "S", "C2", "U1"),
            ]),
            Child("C003", d(2010, 1, 25), episodes=[
                Episode(d(2019, 1, 10), "S", "C2", "U4", d(2023, 10, 1), "X1"),
                Episode(d(2023, 10, 1), "T", "E1", "A5", d(2024, 1, 15), "X1"),
                Episode(d(2024, 1, 15), "L", "C2", "A5"),
            ], missing=[Missing("M", d(2023, 2, 1), d(2023, 2, 2))]),
            Child("D004", d(2019, 11, 5), sex="2", adoption=(d(2021, 9, 1), d(2022, 10, 1)), episodes=[
                Episode(d(2021, 3, 1), "S", "C2", "A5", d(2023, 9, 30), "E11"),
            ]),
            Child("E005", d(2009, 4, 30), episodes=[
                Episode(d(2023, 4, 20), "S", "V2", "U1", d(2023, 7, 1), "X1"),
                Episode(d(2023, 7, 1), "P", "V2", "U2", d(2024, 2, 10), "E45"),
            ]),
            Child("F006", d(2014, 6, 9), episodes=[
                Episode(d(2023, 5, 1), "S", "V3", "R5", d(2023, 5, 3), "E8"),
            ]),
            Child("G007", d(2011, 12, 12), sex="2", episodes=[
                Episode(d(2023, 4, 5), "S", "V2", "U4", d(2023, 6, 30), "E4B"),
                Episode(d(2023, 11, 1), "S", "V2", "K2"),
            ]),
            Child("H008", d(2008, 2, 28), uasc_ceased=d(2026, 2, 28), episodes=[
                Episode(d(2022, 1, 1), "S", "C2", "U4", d(2023, 5, 1), "X1"),
                Episode(d(2023, 5, 1), "P", "C2", "U5", d(2023, 9, 1), "X1"),
                Episode(d(2023, 9, 1), "P", "C2", "U6", d(2024, 2, 1), "X1"),
                Episode(d(2024, 2, 1), "P", "C2", "K2"),
            ], missing=[Missing("A", d(2023, 12, 24), d(2023, 12, 25))]),
            Child("J009", d(2004, 6, 17), care_leaver=CareLeaver("YES", "F2", "C1")),
            Child("K010", d(2003, 1, 3), sex="2", care_leaver=CareLeaver("YES", "G5", "B2")),
            Child("L011", d(2005, 9, 9), care_leaver=CareLeaver("YES", "F1", "B1")),
            Child("M012", d(2002, 8, 21), care_leaver=CareLeaver("DIED", None, None)),
            Child("N013", d(2003, 11, 30), care_leaver=CareLeaver("NO", None, None)),
        ]
    )  # fmt: skip


def write_large(directory: Path | str, episodes: int = 100_000, seed: int = 0) -> list[Path]:
    """Write an SSDA903 of about ``episodes`` episodes (with header, missing and OC3 tables) as CSV
    files in ``directory`` and return their paths. Vectorised: about a second for 100,000."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per_child = rng.integers(1, 8, size=episodes // 2 + 1)
    per_child = per_child[np.cumsum(per_child) <= episodes]
    per_child = np.append(per_child, episodes - per_child.sum()) if per_child.sum() < episodes else per_child
    per_child = per_child[per_child > 0]
    children = len(per_child)
    ids = np.char.add("C", np.arange(100_000, 100_000 + children).astype(str))
    child_of = np.repeat(np.arange(children), per_child)
    first = np.r_[0, np.cumsum(per_child)[:-1]]
    is_first = np.zeros(len(child_of), dtype=bool)
    is_first[first] = True
    # Periods of care from April 2021, episodes of 5 to 90 days: all over before 2025.
    start = np.datetime64("2021-04-01") + rng.integers(0, 700, size=children).astype("timedelta64[D]")
    length = rng.integers(5, 90, size=len(child_of)).astype("timedelta64[D]")
    offset = np.cumsum(length) - np.repeat(np.cumsum(length)[first], per_child) + np.repeat(length[first], per_child)
    ends = np.repeat(start, per_child) + offset
    starts = ends - length
    last = np.r_[first[1:] - 1, len(child_of) - 1]
    is_last = np.zeros(len(child_of), dtype=bool)
    is_last[last] = True
    year_end = np.datetime64("2024-03-31")
    still_open = is_last & (ends > year_end)
    rne = np.where(is_first, "S", rng.choice(np.array(["P", "L", "T", "U", "B"]), size=len(child_of)))
    rec = np.where(is_last, rng.choice(np.array(["E11", "E45", "E4A", "E4B", "E13", "E8"]), size=len(child_of)), "X1")
    born = start - rng.integers(365, 17 * 365, size=children).astype("timedelta64[D]")

    def dates(values) -> np.ndarray:
        return pd.to_datetime(values).strftime("%d/%m/%Y").to_numpy()

    dec = dates(ends)
    dec[still_open] = ""
    rec[still_open] = ""
    frame = pd.DataFrame({
        "CHILD": ids[child_of], "DECOM": dates(starts), "RNE": rne,
        "LS": rng.choice(np.array(["C1", "C2", "E1", "V2", "J1"]), size=len(child_of)),
        "CIN": "N1", "PLACE": rng.choice(np.array(["U1", "U4", "U5", "K2", "A5", "P1", "R1"]), size=len(child_of)),
        "PLACE_PROVIDER": "PR1", "DEC": dec, "REC": rec, "REASON_PLACE_CHANGE": "", "HOME_POST": "ZZ1 1ZZ",
        "PL_POST": "ZZ2 2ZZ", "URN": "SC123456",
    })  # fmt: skip
    paths = []
    path = directory / "episodes.csv"
    frame.to_csv(path, index=False)
    paths.append(path)
    header = pd.DataFrame({"CHILD": ids, "SEX": rng.choice(np.array(["1", "2"]), size=children), "DOB": dates(born),
                           "ETHNIC": "WBRI", "UPN": "A123456789012", "MOTHER": "", "MC_DOB": ""})  # fmt: skip
    path = directory / "header.csv"
    header.to_csv(path, index=False)
    paths.append(path)
    who = rng.integers(0, children, size=children // 5)
    when = start[who] + rng.integers(0, 60, size=len(who)).astype("timedelta64[D]")
    missing = pd.DataFrame({"CHILD": ids[who], "DOB": dates(born[who]),
                            "MISSING": rng.choice(np.array(["M", "A"]), size=len(who)), "MIS_START": dates(when),
                            "MIS_END": dates(when + np.timedelta64(1, "D"))})  # fmt: skip
    path = directory / "missing.csv"
    missing.to_csv(path, index=False)
    paths.append(path)
    leavers = children // 20
    oc3_born = np.datetime64("2003-01-01") + rng.integers(0, 4 * 365, size=leavers).astype("timedelta64[D]")
    oc3 = pd.DataFrame({"CHILD": np.char.add("L", np.arange(leavers).astype(str)), "DOB": dates(oc3_born),
                        "IN_TOUCH": "YES", "ACTIV": rng.choice(np.array(["F1", "P2", "G5"]), size=leavers),
                        "ACCOM": rng.choice(np.array(["B1", "C2", "S1"]), size=leavers)})  # fmt: skip
    path = directory / "oc3.csv"
    oc3.to_csv(path, index=False)
    paths.append(path)
    return paths


__all__ = ["Return903", "Child", "Episode", "Missing", "CareLeaver", "scenario", "write_large"]
