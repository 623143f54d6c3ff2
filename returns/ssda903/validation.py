"""Checks of an SSDA903 return: the subset of the DfE rules that the measures depend on. Each
finding names the file and row (or the XML element) and the field, and never quotes a value from
the return (a value could identify a child)."""

from datetime import date

import numpy as np
import pandas as pd

from returns.types import Problem

from .tables import CODE_LISTS, TABLES

EARLIEST = pd.Timestamp("1970-01-01")
MAX_SHOWN = 20  # findings of one kind shown row by row; the rest are counted in one more finding

# The columns whose dates the measures use (an unreadable or implausible one is an error);
# other tables' dates only warn.
CHECKED_DATES = {
    "header": ("DOB",),
    "episodes": ("DECOM", "DEC"),
    "missing": ("MIS_START", "MIS_END"),
    "oc3": ("DOB",),
}
REQUIRED_VALUES = {
    "header": ("CHILD", "DOB"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "PLACE"),
    "missing": ("CHILD", "MISSING", "MIS_START"),
    "oc3": ("CHILD", "DOB", "IN_TOUCH"),
}
# The same record in two files (returns of two years overlap): the later file's row is kept.
REPEAT_KEYS = {
    "header": ["CHILD"],
    "episodes": ["CHILD", "DECOM"],
    "reviews": ["CHILD", "REVIEW"],
    "uasc": ["CHILD"],
    "oc2": ["CHILD"],
    "ad1": ["CHILD"],
    "placed_for_adoption": ["CHILD", "DATE_PLACED"],
    "previous_permanence": ["CHILD"],
    "missing": ["CHILD", "MISSING", "MIS_START"],
}


def per_value(values: pd.Series, convert) -> pd.Series:
    """``convert`` (a function of an Index of distinct values) applied once to each distinct value:
    a return repeats its dates and codes many times over."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = pd.Series(convert(pd.Index(uniques)))
    out = converted.take(np.where(codes < 0, 0, codes)) if len(converted) else converted.reindex(range(len(codes)))
    out = pd.Series(out.to_numpy(), index=values.index)
    return out.where(codes >= 0)


def _parse(uniques: pd.Index) -> pd.Series:
    uniques = pd.Index(pd.Series(uniques, dtype=object).str.replace(r"\s+00:00(:00)?$", "", regex=True))
    parsed = pd.Series(pd.to_datetime(uniques, format="%d/%m/%Y", errors="coerce"))
    retry = parsed.isna().to_numpy()
    if retry.any():
        parsed[retry] = pd.to_datetime(uniques[retry], format="%Y-%m-%d", errors="coerce")
    return parsed


def parse_dates(values: pd.Series) -> pd.Series:
    """DD/MM/YYYY dates (as the return gives them; YYYY-MM-DD accepted too); what does not parse is NaT."""
    return pd.to_datetime(per_value(values.astype(object), _parse))


class _Findings:
    """Findings of one kind, gathered row by row and reported up to MAX_SHOWN of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems

    def rows(self, raw, mask, severity: str, field: str, message: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        indexes = raw.frame.index[mask]
        for index in indexes[:MAX_SHOWN]:
            self.problems.append(Problem(severity, raw.where(index), field, message))
        if len(indexes) > MAX_SHOWN:
            self.problems.append(
                Problem(severity, ", ".join(raw.sources), field,
                        f"{len(indexes) - MAX_SHOWN:,} more rows of the {raw.table.label} table like this: {message}")
            )  # fmt: skip


def drop_repeats(raw: dict, problems: list[Problem]) -> None:
    """Where a table came in several files (returns of more than one year), a record in two of
    them is kept once: the row from the file given later."""
    for name, table in raw.items():
        if len(table.sources) < 2:
            continue
        keys = [k for k in REPEAT_KEYS.get(name, list(table.table.keep)) if k in table.frame.columns]
        repeated = table.frame.duplicated(subset=keys, keep="last") & table.frame["_file"].ne(
            table.frame.groupby(keys, dropna=False)["_file"].transform("max")
        )
        if repeated.any():
            problems.append(
                Problem("warning", ", ".join(table.sources), "",
                        f"{int(repeated.sum()):,} rows of the {table.table.label} table are in more than one file; "
                        "the row from the file given later is kept.")
            )  # fmt: skip
            table.frame = table.frame[~repeated].reset_index(drop=True)


def check(raw: dict, problems: list[Problem]) -> None:
    findings = _Findings(problems)
    today = pd.Timestamp(date.today())
    dates: dict[tuple[str, str], pd.Series] = {}
    for name, table in raw.items():
        frame = table.frame
        for column in table.table.required:
            if column not in frame.columns:
                problems.append(
                    Problem("error", ", ".join(table.sources), column,
                            f"The {table.table.label} table has no {column} column, which the measures need.")
                )  # fmt: skip
        for column in REQUIRED_VALUES.get(name, ("CHILD",)):
            if column in frame.columns:
                findings.rows(table, frame[column].isna(), "error", column, f"{column} is empty; it is required.")
        checked = CHECKED_DATES.get(name, ())
        for column in (c for c in TABLES[name].keep if TABLES[name].keep[c] in TABLES[name].dates):
            if column not in frame.columns:
                continue
            parsed = parse_dates(frame[column])
            dates[(name, column)] = parsed
            severity = "error" if column in checked else "warning"
            findings.rows(table, parsed.isna() & frame[column].notna(), severity, column,
                          f"{column} is not a date in the form DD/MM/YYYY.")  # fmt: skip
            if column == "DUC":  # the date UASC status ceases may lie ahead
                continue
            implausible = parsed.notna() & ((parsed < EARLIEST) | (parsed > today))
            findings.rows(
                table, implausible, severity, column, f"{column} is not a plausible date (before 1970 or in the future)."
            )
        for (table_name, column), codes in CODE_LISTS.items():
            if table_name != name or column not in frame.columns:
                continue
            values = frame[column].str.upper()
            applies = values.notna()
            if (name, column) == ("episodes", "REC"):  # the reason matters once the episode has ended
                applies &= frame["DEC"].notna() if "DEC" in frame.columns else False
            severity = "warning" if (name, column) == ("header", "SEX") else "error"
            findings.rows(table, applies & ~values.isin(codes), severity, column, f"{column} is not one of its codes.")
    if "episodes" in raw:
        _check_episodes(raw, dates, findings)
    if "missing" in raw and ("missing", "MIS_END") in dates:
        start, end = dates[("missing", "MIS_START")], dates[("missing", "MIS_END")]
        findings.rows(raw["missing"], end < start, "error", "MIS_END", "MIS_END is before MIS_START.")


def _check_episodes(raw: dict, dates: dict, findings: _Findings) -> None:
    episodes = raw["episodes"]
    frame = episodes.frame
    decom = dates.get(("episodes", "DECOM"))
    dec = dates.get(("episodes", "DEC"))
    if decom is None:
        return
    if dec is not None and "REC" in frame.columns:
        findings.rows(episodes, frame["DEC"].notna() & frame["REC"].isna(), "error", "REC",
                      "The episode has ended (DEC) but gives no reason (REC).")  # fmt: skip
    if dec is not None:
        findings.rows(episodes, dec < decom, "error", "DEC", "DEC is before DECOM.")
    # A child's episodes, in order, must not overlap: each starts on or after the end of the one before.
    order = pd.DataFrame({"child": frame["CHILD"], "decom": decom,
                          "dec": dec if dec is not None else pd.NaT,
                          "open": frame["DEC"].isna() if "DEC" in frame.columns else True})  # fmt: skip
    order = order[order["child"].notna() & order["decom"].notna()].sort_values(["child", "decom"], kind="stable")
    same_child = order["child"].eq(order["child"].shift())
    previous_dec = order["dec"].shift()
    previous_open = order["open"].shift(fill_value=False).astype(bool)
    overlaps = same_child & (previous_open | (order["decom"] < previous_dec))
    mask = pd.Series(False, index=frame.index)
    mask.loc[overlaps[overlaps].index] = True
    findings.rows(episodes, mask, "error", "DECOM",
                  "This episode starts before the child's previous episode ends (or while it is still open).")  # fmt: skip
    # An episode cannot start before the child was born (the header's DOB).
    if "header" in raw and ("header", "DOB") in dates:
        header = raw["header"].frame
        born = pd.Series(dates[("header", "DOB")].to_numpy(), index=header["CHILD"].to_numpy())
        born = born[~born.index.duplicated(keep="last")]
        dob = frame["CHILD"].map(born)
        findings.rows(episodes, dob.notna() & (decom < dob), "error", "DECOM",
                      "The episode starts before the child's date of birth.")  # fmt: skip
