"""Safe outputs: the one place that decides which numbers of an outcome frame may be shown.

Pure functions, DataFrame in and DataFrame out: no Django, no database, no I/O. Every output (report
documents, charts, results JSON, dashboards, API) shows the frame `safe_cells` returns, and nothing
computed from the cells it hides.

The frame has one row per measure, period and group: measure_code, unit, polarity, period_start,
period_end, group, value, numerator, denominator (other columns are kept as they are), and may carry
`aggregation` ("mean" or "median" for days measures; without it a days value is taken to be a mean,
the stricter reading, since a mean adds up and a median does not).

What is hidden (the methods annex says the same in words):

Primary, counts of children below the threshold (zero discloses nobody and is shown):
- a numerator, denominator or count value of 1 to threshold - 1 ("primary");
- a numerator whose complement, denominator - numerator, is 1 to threshold - 1 ("complement");
- a rate or percentage without its numerator is rebuilt from value x denominator when exactly one
  whole number fits the stored value; a rebuilt numerator is a count like any other ("rebuilt"), and
  a rate whose numerator cannot be rebuilt, or that has no denominator, is hidden ("unverifiable");
- a mean or median of days over fewer children than the threshold, or over an unknown number;
- any shown value from which a hidden count follows exactly: a rate hides with its numerator or its
  denominator (a rate with its denominator gives the numerator, and with its numerator the
  denominator).

Secondary, so that no hidden count can be recovered by differencing what is shown. The reader is
assumed to know how the numbers are made (the model below): within one measure and period, all = the
detail groups present + other, where "other" (children in neither detail group) is a hidden group of
its own, never negative; within one measure and group, a period = the shorter periods within it (a
quarter = its three months, a total over periods) plus a hidden rest where months are not shown;
numerator <= denominator; a mean of days shown with hidden children gives days total = mean x
children, to the stored precision. Cells hidden in an earlier version of the report stay hidden
(`earlier_hidden`), and cells an earlier version showed with the same value are public: they count
as shown (`earlier_shown`). A measure whose values do not add up (groups that overlap, children
counted once a quarter) falls back to fewer relations (`SafeFrame.levels`).

The audit is the one tau-Argus uses: for every hidden count, the minimum and maximum of its value
subject to the shown cells, the relations and non-negativity (linear programmes solved by HiGHS). A
hidden count (other than a zero) must keep a feasible range at least `threshold` wide, and so must a
hidden implicit count ("other", a rest of a period, a complement, or the "other" of a period worked
out from rows of other lengths -- all of a quarter less all of April and May less the comparison
group's June) of 1 to threshold - 1. Where a measure has periods of several lengths a reader can
combine them in more ways than those cells name, so each piece -- one group's share of the shortest
span the periods cut into (its month inside a quarter) -- is audited too: its true value is not
known, so it must not be pinned to a range narrower than the threshold that could hold a small
count (its least value below the threshold, its greatest above zero). Where one does
not, the smallest shown cell that pins it (a non-zero dual value in its linear programme) is hidden
too ("secondary"), and the cluster is audited again, until every range is wide enough.

Speed: the relations split the unknowns into clusters (one measure and period, or a quarter with its
months). The linear programmes of all clusters are solved together, one block per cluster and one
cell per block at a time (the blocks share no variable, so one solve gives every block's optimum),
and a cell whose range is already wider than the threshold at points seen so far (the true values,
two random directions, the other cells' optima) needs no programme of its own. 20 measures x 60
months x 3 groups take about 2 seconds.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from measures.library import DISPLAY_DECIMALS

THRESHOLD = 5  # the default; reports pass settings.SUPPRESSION_THRESHOLD

PRIMARY = "primary"
COMPLEMENT = "complement"
REBUILT = "rebuilt"
UNVERIFIABLE = "unverifiable"
SECONDARY = "secondary"
EARLIER = "earlier version"
REASONS = (PRIMARY, COMPLEMENT, REBUILT, UNVERIFIABLE, SECONDARY, EARLIER)

CELL_COLUMNS = ("value", "numerator", "denominator")
REASON_COLUMNS = {column: f"{column}_reason" for column in CELL_COLUMNS}

# Decimal places the report tables show, by unit; charts and hover text show no more (the library's).
TABLE_DECIMALS = DISPLAY_DECIMALS
RATE_SCALE = {"percentage": 100, "rate_10k": 10_000}
STORED_DECIMALS = 4  # outcome values are stored to 4 decimal places
_VALUE_TOLERANCE = 0.5 * 10**-STORED_DECIMALS + 1e-9

_ALL = "all"
_OTHER = "other"


@dataclass(frozen=True)
class Relation:
    """A sum a reader could difference: in one measure, the total = the parts + a hidden rest.
    kind "groups": all = the detail groups present + other, in one period; kind "periods": one
    group's period = the shorter periods within it + the part not shown on its own."""

    kind: str
    measure_code: str
    period: str
    total: str
    parts: tuple[str, ...]
    rest: str

    def __str__(self) -> str:
        return f"{self.measure_code} {self.period}: {self.total} = {' + '.join((*self.parts, self.rest))}"


@dataclass(frozen=True)
class SafeFrame:
    """`frame`: the input with hidden cells set to NA, a reason column per cell (value_reason,
    numerator_reason, denominator_reason: None where shown) and `suppressed` (any cell of the row
    hidden). `relations`: what the audit checked. `unprotected`: keys of hidden counts that stay
    recoverable whatever is hidden now (only when earlier versions already showed what pins them)."""

    frame: pd.DataFrame
    threshold: int
    relations: tuple[Relation, ...] = ()
    unprotected: tuple[str, ...] = ()
    audited: int = 0  # hidden counts whose range was checked
    levels: Mapping[str, str] = field(default_factory=dict)  # per measure: which relations held

    def hidden_keys(self) -> frozenset[str]:
        """Keys of every hidden cell, to store with the report version (the next version's
        `earlier_hidden`)."""
        return hidden_keys(self.frame)

    def shown_cells(self) -> dict[str, float]:
        """Key -> value of every cell shown, to store with the version (the next `earlier_shown`)."""
        return shown_cells(self.frame)


def cell_key(measure_code: str, group: str, period_start, period_end, column: str) -> str:
    """A stable, JSON-friendly name for one cell: measure|group|start|end|column (ISO dates)."""
    return f"{measure_code}|{group}|{pd.Timestamp(period_start):%Y-%m-%d}|{pd.Timestamp(period_end):%Y-%m-%d}|{column}"


def hidden_keys(frame: pd.DataFrame) -> frozenset[str]:
    """Keys of the cells a `safe_cells` frame hides."""
    keys = set()
    for column, reason in REASON_COLUMNS.items():
        rows = frame[frame[reason].notna()]
        keys.update(_keys(rows, column))
    return frozenset(keys)


def shown_cells(frame: pd.DataFrame) -> dict[str, float]:
    """Key -> value of the cells a `safe_cells` frame shows."""
    shown = {}
    for column in CELL_COLUMNS:
        rows = frame[frame[column].notna()]
        shown.update(zip(_keys(rows, column), rows[column].astype("float64"), strict=True))
    return shown


def _keys(rows: pd.DataFrame, column: str) -> list[str]:
    return [
        cell_key(m, g, s, e, column)
        for m, g, s, e in zip(rows["measure_code"], rows["group"], rows["period_start"], rows["period_end"], strict=True)
    ]


def round_for_charts(frame: pd.DataFrame) -> pd.DataFrame:
    """Chart data rounded to what the tables show: counts whole, percentages, rates per 10,000 and
    days to 1 decimal place (Python's rounding, as the tables' f-strings do). Hidden cells stay NA."""
    out = frame.copy()
    decimals = out["unit"].map(TABLE_DECIMALS).fillna(1).astype(int)
    out["value"] = [
        v if v is None or pd.isna(v) else float(round(float(v), d)) for v, d in zip(out["value"], decimals, strict=True)
    ]
    out["value"] = out["value"].astype("float64")
    return out


def rebuild_numerator(value: float, denominator: int, unit: str) -> int | None:
    """The one whole numerator whose rate, stored to 4 decimal places, is `value`; None if no whole
    number or more than one fits (then the numerator cannot be rebuilt exactly)."""
    scale = RATE_SCALE.get(unit)
    if scale is None or value is None or pd.isna(value) or denominator is None or pd.isna(denominator) or denominator <= 0:
        return None
    estimate = float(value) * int(denominator) / scale
    fits = [
        k
        for k in range(max(0, math.floor(estimate) - 1), math.ceil(estimate) + 2)
        if k <= denominator and abs(k * scale / int(denominator) - float(value)) <= _VALUE_TOLERANCE
    ]
    return fits[0] if len(fits) == 1 else None


# --- The linear model --------------------------------------------------------------------------
#
# A reader's unknowns are "atoms": one per measure, base group (each detail group, and "other" when
# there is an "all" row) and elementary time interval (the pieces the periods' boundaries cut time
# into), for each quantity: n numerator, d denominator, v count value, t days total (mean x
# children). Every cell of the frame is a sum of atoms: a detail row is its group's atoms over its
# period's intervals, an "all" row every base group's. So all = details + other, a quarter = its
# months (+ the months not shown), and a total over periods, hold by construction; n <= d per atom.
#
# Not every measure adds up (children counted once a quarter are not the sum of the months'; groups
# may overlap). A measure whose true values the model cannot reproduce falls back a level: without
# days totals, then periods apart, then no relations at all (only primary suppression protects it).

_QUANTITY_NAMES = {"n": "numerator", "d": "denominator", "v": "count", "t": "days total"}
_COLUMN = {"n": "numerator", "d": "denominator", "v": "value"}
_LEVELS = ("all relations", "all relations but days totals", "periods apart", "no relations")
RELATED_LEVELS = _LEVELS[:2]  # a measure's periods add up: a total over periods is audited with its parts


class _Model:
    def __init__(self, data: pd.DataFrame, threshold: int):
        self.data, self.threshold = data, threshold
        self.units = data["unit"].to_numpy(dtype=object)
        self.values = data["value"].astype("float64").to_numpy()
        aggregation = data["aggregation"].to_numpy(dtype=object) if "aggregation" in data else np.full(len(data), "")
        self.median = np.array([a == "median" for a in aggregation], dtype=bool)
        self.numerators = [None if pd.isna(x) else int(x) for x in data["numerator"]]
        self.denominators = [None if pd.isna(x) else int(x) for x in data["denominator"]]
        self.measures = dict(data.groupby("measure_code", sort=False).indices)
        # cells: one per row and quantity
        self.cell_row, self.cell_q, self.cell_truth, self.cell_given, self.cell_rebuilt = [], [], [], [], []
        self.row_cells: list[dict[str, int]] = [{} for _ in range(len(data))]
        for rows in self.measures.values():
            quantities = self._quantities(rows)
            for r in rows:
                self._cells(int(r), quantities)
        self.cell_truth = np.array(self.cell_truth, dtype=float)
        self.cell_row = np.array(self.cell_row, dtype=int)
        self.cell_q = np.array(self.cell_q, dtype=object)
        self.cell_given = np.array(self.cell_given, dtype=bool)
        self.cell_rebuilt = np.array(self.cell_rebuilt, dtype=bool)
        self.has_days_total = {code: "t" in self._quantities(rows) for code, rows in self.measures.items()}
        self.level = {code: 0 if self.has_days_total[code] else 1 for code in self.measures}

    def _quantities(self, rows: np.ndarray) -> tuple[str, ...]:
        unit = self.units[rows[0]]
        qs = {"count": ["v"], "percentage": ["n", "d"], "rate_10k": ["n", "d"], "days": ["d", "t"]}.get(unit, ["v"])
        if unit == "days" and self.median[rows].all():
            qs = ["d"]
        if "n" not in qs and any(self.numerators[r] is not None for r in rows):
            qs.append("n")
        if "d" not in qs and any(self.denominators[r] is not None for r in rows):
            qs.append("d")
        return tuple(qs)

    def _cell(self, r: int, q: str, truth, given: bool, rebuilt: bool = False) -> None:
        self.row_cells[r][q] = len(self.cell_row)
        self.cell_row.append(r)
        self.cell_q.append(q)
        self.cell_truth.append(math.nan if truth is None or pd.isna(truth) else float(truth))
        self.cell_given.append(given)
        self.cell_rebuilt.append(rebuilt)

    def _cells(self, r: int, quantities: tuple[str, ...]) -> None:
        unit, value, num, den = self.units[r], self.values[r], self.numerators[r], self.denominators[r]
        for q in quantities:
            if q == "n":
                rebuilt = rebuild_numerator(value, den, unit) if num is None and unit in RATE_SCALE else None
                if num is None and rebuilt is None and den == 0:
                    rebuilt = 0
                self._cell(r, q, num if num is not None else rebuilt, num is not None, rebuilt is not None)
            elif q == "d":
                self._cell(r, q, den, den is not None)
            elif q == "v":
                self._cell(r, q, value, not pd.isna(value))
            else:  # t: the days total, never shown
                self._cell(r, q, value * den if den is not None and not pd.isna(value) else (0.0 if den == 0 else None), False)

    # --- atoms, per measure and level
    def build(self) -> None:
        self.atom_count = 0
        self.expr: list[dict[int, float]] = [{} for _ in range(len(self.cell_row))]
        self.pairs: list[tuple[int, int]] = []  # (n atom, d atom): n <= d
        self.implicit: list[tuple[dict[int, float], float, str]] = []  # (expression, truth, label)
        self.pieces: list[tuple[int, str]] = []  # (atom, label): pieces of cells of several lengths
        self.relations: list[Relation] = []
        self.measure_atoms: dict[str, tuple[int, int]] = {}
        for code, rows in self.measures.items():
            first = self.atom_count
            self._build_measure(code, rows, self.level[code])
            self.measure_atoms[code] = (first, self.atom_count)
        # A piece that is itself a count with a known value (a group's month, shown or audited as a
        # hidden cell; "other" in a month with its "all") is audited as that count already.
        known = [e for e, c in zip(self.expr, self.cell_given | self.cell_rebuilt, strict=True) if c]
        known += [e for e, truth, _ in self.implicit if not math.isnan(truth)]
        counted = {atom for e in known if len(e) == 1 for atom, coef in e.items() if coef == 1.0}
        self.pieces = [(atom, label) for atom, label in self.pieces if atom not in counted]
        self._matrices()

    def _atoms(self, key_to_atom: dict, key) -> int:
        atom = key_to_atom.get(key)
        if atom is None:
            atom = key_to_atom[key] = self.atom_count
            self.atom_count += 1
        return atom

    def _build_measure(self, code: str, rows: np.ndarray, level: int) -> None:
        data = self.data
        starts = data["period_start"].to_numpy()[rows]
        ends = data["period_end"].to_numpy()[rows]
        groups = data["group"].to_numpy(dtype=object)[rows]
        quantities = [q for q in self._quantities(rows) if not (q == "t" and level >= 1)]
        atoms: dict = {}
        if level >= 3:
            for r in rows:
                for q in quantities:
                    self.expr[self.row_cells[r][q]] = {self._atoms(atoms, (int(r), q)): 1.0}
            return
        details = [g for g in dict.fromkeys(groups) if g != _ALL]
        has_all = _ALL in set(groups)
        base = details + ([_OTHER] if has_all else [])
        day = np.timedelta64(1, "D")
        periods = sorted(set(zip(starts, ends, strict=True)))
        if level == 2 or len({e - s for s, e in periods}) <= 1:
            covers = {p: [k] for k, p in enumerate(periods)}  # periods apart (or all of one length)
        else:
            cuts = sorted({s for s, _ in periods} | {e + day for _, e in periods})
            # the pieces [cuts[k], cuts[k + 1]) inside [s, e]: cuts[k] >= s and cuts[k + 1] <= e + day
            covers = {(s, e): list(range(bisect_left(cuts, s), bisect_right(cuts, e + day) - 1)) for s, e in periods}
        by_key = {}
        for r, s, e, g in zip(rows, starts, ends, groups, strict=True):
            by_key[(s, e, g)] = int(r)
            members = base if g == _ALL else [g]
            for q in quantities:
                self.expr[self.row_cells[r][q]] = {self._atoms(atoms, (m, k, q)): 1.0 for m in members for k in covers[(s, e)]}
        if "n" in quantities and "d" in quantities:
            for (m, k, q), atom in list(atoms.items()):
                if q == "n":
                    self.pairs.append((atom, self._atoms(atoms, (m, k, "d"))))
        # implicit cells a reader could work out: complements, "other", rests of periods
        counts = [q for q in quantities if q != "t"]
        for r, s, e, g in zip(rows, starts, ends, groups, strict=True):
            cells = self.row_cells[r]
            if "n" in cells and "d" in cells:
                label = f"{code} {g} {self._period(s, e)} complement"
                self._implicit(self._combine([(cells["d"], 1.0), (cells["n"], -1.0)]), label)
        if level < 2 and any(len(ks) > 1 for ks in covers.values()):
            # Periods of several lengths: a reader can combine them in more ways than the implicit
            # cells below name, so each piece (a group's month inside a quarter) is audited itself.
            day = np.timedelta64(1, "D")
            for (m, k, q), atom in atoms.items():
                if q in counts:
                    period = self._period(cuts[k], cuts[k + 1] - day)
                    self.pieces.append((atom, f"{code} {m} {period} {_QUANTITY_NAMES[q]}"))
            if has_all:
                self._derived_others(by_key, covers, cuts, details, counts)
        for (s, e), ks in covers.items():
            present = [by_key[(s, e, g)] for g in details if (s, e, g) in by_key]
            total = by_key.get((s, e, _ALL))
            if total is not None:
                for q in counts:
                    self._implicit(self._other(total, present, q), f"{_OTHER} {self._period(s, e)} {_QUANTITY_NAMES[q]}")
                self.relations.append(
                    Relation("groups", code, self._period(s, e), _ALL, tuple(self.data["group"].iat[p] for p in present), _OTHER)
                )
            if level == 2 or len(ks) < 2:
                continue
            inside = [(s2, e2) for s2, e2 in covers if (s2, e2) != (s, e) and s2 >= s and e2 <= e]
            maximal = sorted(p for p in inside if not any(o != p and o[0] <= p[0] and p[1] <= o[1] for o in inside))
            if not maximal:
                continue
            for g in [*details, _ALL]:
                if (s, e, g) not in by_key:
                    continue
                parts = [by_key[(a, b, g)] for a, b in maximal if (a, b, g) in by_key]
                if not parts:
                    continue
                for q in counts:
                    whole = self.row_cells[by_key[(s, e, g)]][q]
                    self._implicit(
                        self._combine([(whole, 1.0)] + [(self.row_cells[p][q], -1.0) for p in parts]),
                        f"{g} {self._period(s, e)} {_QUANTITY_NAMES[q]} not in shorter periods",
                    )
                self.relations.append(
                    Relation("periods", code, g, self._period(s, e), tuple(self._period(a, b) for a, b in maximal), "rest")
                )

    def _derived_others(self, by_key: dict, covers: dict, cuts: list, details: list, counts: list) -> None:
        """The "other" children a reader can work out from rows of other lengths, over each period,
        each piece of a period (a month inside a quarter) and each rest of a period (a quarter less
        the shorter "all" rows inside it): all of it, less each detail group's value over it, where
        each is a row or else a sum and difference of the group's rows. All of a quarter less all of
        April and of May is all of June; the intervention's quarter less its April and June is its
        May. What the rows of one period alone give (its "groups" relation) is audited already."""
        pieces = len(cuts) - 1
        rows_of = {g: [p for p in covers if (*p, g) in by_key] for g in (_ALL, *details)}
        exact = {(g, frozenset(covers[p])): p for g, periods in rows_of.items() for p in periods}
        shapes = {}
        for g, periods in rows_of.items():
            shape = np.zeros((len(periods), pieces))
            for i, p in enumerate(periods):
                shape[i, covers[p]] = 1.0
            shapes[g] = shape

        def over(g: str, region: frozenset) -> list[tuple[tuple, float]] | None:
            """The group's rows, with weights, that add up to the region: None if none do."""
            if (g, region) in exact:
                return [(exact[(g, region)], 1.0)]
            if not rows_of[g]:
                return None
            target = np.zeros(pieces)
            target[list(region)] = 1.0
            weights = np.linalg.lstsq(shapes[g].T, target, rcond=None)[0]
            if not np.allclose(shapes[g].T @ weights, target, atol=1e-9):
                return None
            # Rounded: the weights are whole numbers or simple fractions, and a truth of 0.9999...
            # must count as the 1 it is.
            weights = np.round(weights, 9)
            return [(p, float(w)) for p, w in zip(rows_of[g], weights, strict=True) if w != 0]

        day = np.timedelta64(1, "D")
        regions = {frozenset(covers[p]): self._period(*p) for p in covers}
        for k in range(pieces):
            regions.setdefault(frozenset([k]), self._period(cuts[k], cuts[k + 1] - day))
        for p in rows_of[_ALL]:
            inside = self._longest_rows(covers, rows_of[_ALL], set(covers[p]), exclude=p)
            rest = frozenset(covers[p]) - {k for o in inside for k in covers[o]}
            if inside and rest:
                regions.setdefault(rest, f"{self._period(*p)} less its shorter periods")
        for region, name in regions.items():
            everyone = over(_ALL, region)
            if everyone is None:
                continue
            known = {g: over(g, region) for g in details}
            known = {g: terms for g, terms in known.items() if terms is not None}
            if not known or all(len(terms) == 1 for terms in [everyone, *known.values()]):
                continue  # nothing to subtract, or one period's own rows
            rows = [(by_key[(*p, _ALL)], w) for p, w in everyone]
            rows += [(by_key[(*p, g)], -w) for g, terms in known.items() for p, w in terms]
            for q in counts:
                label = f"{_OTHER} {name} {_QUANTITY_NAMES[q]} from rows of other lengths"
                self._implicit(self._combine([(self.row_cells[r][q], w) for r, w in rows]), label)

    @staticmethod
    def _longest_rows(covers: dict, periods: list, region: set, exclude=None) -> list[tuple]:
        """Of these periods, those inside the region's pieces, longest first, none overlapping another."""
        taken: set = set()
        chosen = []
        for p in sorted((p for p in periods if p != exclude and set(covers[p]) <= region), key=lambda p: (-len(covers[p]), p)):
            if not taken & set(covers[p]):
                taken |= set(covers[p])
                chosen.append(p)
        return chosen

    def _other(self, total: int, present: list[int], q: str) -> tuple[dict[int, float], float]:
        return self._combine([(self.row_cells[total][q], 1.0)] + [(self.row_cells[p][q], -1.0) for p in present])

    def _combine(self, terms: list[tuple[int, float]]) -> tuple[dict[int, float], float]:
        expression: dict[int, float] = {}
        truth = 0.0
        for cell, coef in terms:
            for atom, a in self.expr[cell].items():
                expression[atom] = expression.get(atom, 0.0) + coef * a
            truth += coef * self.cell_truth[cell]
        return {a: c for a, c in expression.items() if abs(c) > 1e-12}, truth

    def _implicit(self, combined: tuple[dict[int, float], float], label: str) -> None:
        expression, truth = combined
        if expression:
            self.implicit.append((expression, truth, label))

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def _period(start, end) -> str:
        # Called for every cell and relation: the few distinct periods are formatted once each.
        return f"{pd.Timestamp(start):%Y-%m-%d}..{pd.Timestamp(end):%Y-%m-%d}"

    def inconsistent(self) -> set[str]:
        """Measures whose implicit counts come out negative: the model cannot hold at this level."""
        bad = set()
        for expression, truth, label in self.implicit:
            if truth < -1e-6 and not label.endswith("complement"):
                bad.add(self.data["measure_code"].iloc[self.cell_row[self._any_cell(expression)]])
        return bad

    def _any_cell(self, expression: dict[int, float]) -> int:
        atom = next(iter(expression))
        return self.atom_cell[atom]

    def _matrices(self) -> None:
        n_atoms = self.atom_count
        self.cells = _matrix([(list(e), list(e.values())) for e in self.expr], n_atoms)
        self.implicit_matrix = _matrix([(list(e), list(e.values())) for e, _, _ in self.implicit], n_atoms)
        self.implicit_truth = np.array([t for _, t, _ in self.implicit], dtype=float)
        self.implicit_label = [label for _, _, label in self.implicit]
        self.piece_matrix = _matrix([([atom], [1.0]) for atom, _ in self.pieces], n_atoms)
        self.piece_label = [label for _, label in self.pieces]
        self.pair_matrix = _matrix([([n, d], [1.0, -1.0]) for n, d in self.pairs], n_atoms)
        csc = self.cells.tocsc()
        self.atom_cell = csc.indices[csc.indptr[:-1]] if n_atoms else np.zeros(0, dtype=int)
        # the means' bands: (v - tol) d - t <= 0 and t - (v + tol) d <= 0, when the row has both
        bands, self.band_row = [], []
        for r, cells in enumerate(self.row_cells):
            if "t" in cells and "d" in cells and self.expr[cells["t"]] and not pd.isna(self.values[r]):
                v, d, t = self.values[r], self.expr[cells["d"]], self.expr[cells["t"]]
                low = {a: (v - _VALUE_TOLERANCE) * c for a, c in d.items()}
                for a, c in t.items():
                    low[a] = low.get(a, 0.0) - c
                high = {a: -(v + _VALUE_TOLERANCE) * c for a, c in d.items()}
                for a, c in t.items():
                    high[a] = high.get(a, 0.0) + c
                bands += [(list(low), list(low.values())), (list(high), list(high.values()))]
                self.band_row += [r, r]
        self.band_matrix = _matrix(bands, n_atoms)
        self.band_row = np.array(self.band_row, dtype=int)
        linked = sparse.vstack([abs(self.cells), abs(self.pair_matrix), abs(self.band_matrix)]).tocsr()
        linked.data[:] = 1
        _count, self.cluster = connected_components((linked.T @ linked).tocsr(), directed=False)
        self.cell_cluster = self._first_cluster(self.cells)
        self.implicit_cluster = self._first_cluster(self.implicit_matrix)
        self.piece_cluster = self._first_cluster(self.piece_matrix)
        self.pair_cluster = self._first_cluster(self.pair_matrix)
        known = np.nan_to_num(np.abs(self.cell_truth))
        size = np.bincount(self.cell_cluster[self.cell_cluster >= 0], weights=known[self.cell_cluster >= 0], minlength=_count)
        self.cap = 10 * size + 100 * self.threshold + 10  # atoms' upper bound, far above any true value
        self.band_cluster = self._first_cluster(self.band_matrix)

    def _first_cluster(self, matrix: sparse.csr_array) -> np.ndarray:
        result = np.full(matrix.shape[0], -1)
        nonempty = np.diff(matrix.indptr) > 0
        result[nonempty] = self.cluster[matrix.indices[matrix.indptr[:-1][nonempty]]]
        return result


def _matrix(rows: list[tuple[list[int], list[float]]], n_columns: int) -> sparse.csr_array:
    indptr, indices, data = [0], [], []
    for columns, coefs in rows:
        indices.extend(columns)
        data.extend(coefs)
        indptr.append(len(indices))
    return sparse.csr_array(
        (np.array(data, dtype=float), np.array(indices, dtype=int), np.array(indptr)), shape=(len(rows), n_columns)
    )


# --- The audit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Solution:
    """A solved programme: whether it has an optimum, the atoms' values there, and the dual values of
    its shown cells (equalities) and of its other rows (pairs, then means' bands)."""

    optimal: bool
    message: str
    x: np.ndarray
    eq_duals: np.ndarray
    ub_duals: np.ndarray


class _Programme:
    """The linear programmes of some clusters as one block-diagonal problem over their atoms: shown
    cells fixed, shown means' bands, n <= d, 0 <= atom <= cap.

    The audit solves the same programme for target after target. Built and solved afresh each time
    (scipy's linprog) that took a second of a report; here the model is given to HiGHS (highspy) once
    and each objective solved from the last one's basis. The optimum is the same either way, so a
    range is too; the dual values that say which shown cells pin a target are not always (where
    several optima of the dual exist, a warm start tends to land on one naming more cells, and more
    cells were then hidden: 19 of 400 generated cases), so pins come from a programme solved afresh
    (`afresh`), as they always did."""

    def __init__(self, model: _Model, clusters: np.ndarray, fixed: np.ndarray, band_on: np.ndarray):
        m = self.m = model
        self.clusters = clusters
        self.cols = np.flatnonzero(np.isin(m.cluster, clusters))
        self.fixed_cells = np.flatnonzero(fixed & np.isin(m.cell_cluster, clusters))
        self.a_eq = m.cells[self.fixed_cells][:, self.cols]
        self.b_eq = m.cell_truth[self.fixed_cells]
        pairs = np.flatnonzero(np.isin(m.pair_cluster, clusters))
        self.bands = np.flatnonzero(np.isin(m.band_cluster, clusters) & band_on[m.band_row]) if len(m.band_row) else pairs[:0]
        self.a_ub = sparse.vstack([m.pair_matrix[pairs][:, self.cols], m.band_matrix[self.bands][:, self.cols]]).tocsr()
        self.n_pairs = len(pairs)
        self.bounds = np.column_stack([np.zeros(len(self.cols)), m.cap[m.cluster[self.cols]]])
        self._highs: highspy.Highs | None = None

    def _solver(self) -> highspy.Highs:
        """HiGHS holding this programme: each row a_ub . x <= 0, then each shown cell a_eq . x = b_eq."""
        if self._highs is None:
            rows = sparse.vstack([self.a_ub, self.a_eq]).tocsc()
            n_ub = self.a_ub.shape[0]
            lp = highspy.HighsLp()
            lp.num_col_, lp.num_row_ = len(self.cols), rows.shape[0]
            lp.col_cost_ = np.zeros(len(self.cols))
            lp.col_lower_, lp.col_upper_ = self.bounds[:, 0].astype(float), self.bounds[:, 1].astype(float)
            lp.row_lower_ = np.concatenate([np.full(n_ub, -highspy.kHighsInf), self.b_eq]).astype(float)
            lp.row_upper_ = np.concatenate([np.zeros(n_ub), self.b_eq]).astype(float)
            lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
            lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = rows.shape[1], rows.shape[0]
            lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
            lp.a_matrix_.index_ = rows.indices.astype(np.int32)
            lp.a_matrix_.value_ = rows.data.astype(float)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            highs.setOptionValue("solver", "simplex")  # simplex keeps a basis to start the next objective from
            highs.passModel(lp)
            self._highs = highs
        return self._highs

    def solve(self, objective: sparse.csr_array, *, afresh: bool = False) -> _Solution:
        """The optimum of `objective` (its rows summed) over the programme: from the last basis, or
        `afresh` by scipy's linprog (for the dual values). When HiGHS finds no optimum from the last
        basis (an infeasible programme, or numerical trouble), linprog decides afresh."""
        c = np.asarray(objective[:, self.cols].sum(axis=0)).ravel() if objective.shape[0] else np.zeros(len(self.cols))
        if not afresh:
            warm = self._warm(c)
            if warm.optimal:
                return warm
        result = linprog(
            c,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=np.zeros(self.a_ub.shape[0]) if self.a_ub.shape[0] else None,
            A_eq=self.a_eq if len(self.fixed_cells) else None,
            b_eq=self.b_eq if len(self.fixed_cells) else None,
            bounds=self.bounds,
            method="highs",
        )
        return _Solution(
            optimal=result.status == 0,
            message=result.message,
            x=result.x,
            eq_duals=result.eqlin.marginals,
            ub_duals=result.ineqlin.marginals,
        )

    def _warm(self, c: np.ndarray) -> _Solution:
        highs = self._solver()
        highs.changeColsCost(len(c), np.arange(len(c), dtype=np.int32), c.astype(float))
        highs.run()
        status = highs.getModelStatus()
        solution = highs.getSolution()
        duals = np.asarray(solution.row_dual, dtype=float)
        n_ub = self.a_ub.shape[0]
        return _Solution(
            optimal=status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty),
            message=highs.modelStatusToString(status),
            x=np.asarray(solution.col_value, dtype=float),
            eq_duals=duals[n_ub:],
            ub_duals=duals[:n_ub],
        )

    def pins(self, result: _Solution, cluster: int) -> set:
        """Shown cells and shown means with a non-zero dual value in one block."""
        m = self.m
        pinned = set()
        if len(self.fixed_cells):
            active = (np.abs(result.eq_duals) > 1e-9) & (m.cell_cluster[self.fixed_cells] == cluster)
            pinned |= {("cell", int(c)) for c in self.fixed_cells[active]}
        if len(self.bands):
            marginals = np.abs(result.ub_duals[self.n_pairs :]) > 1e-9
            pinned |= {("mean", int(m.band_row[b])) for b in self.bands[marginals] if m.band_cluster[b] == cluster}
        return pinned


def _audit(model: _Model, targets: sparse.csr_array, target_truth: np.ndarray, target_cluster: np.ndarray, fixed, band_on):
    """For each target (a hidden count), is its feasible range narrower than the threshold, and what
    pins it. Ranges start from the true values; two random directions and every solved programme
    widen the ranges seen, and a target gets programmes of its own only while its range seen is
    narrow: one target per cluster at a time, all clusters in one solve. A target whose true value
    is not known (NaN: a piece of cells of several lengths) is narrow only when its range is, and it
    could be small: its least value below the threshold and its greatest above zero."""
    t = model.threshold
    unknown = np.isnan(target_truth)
    lo = np.where(unknown, np.inf, target_truth)
    hi = np.where(unknown, -np.inf, target_truth)
    cap = model.cap[np.maximum(target_cluster, 0)]

    def seen(programme, result, which):
        values = targets[which][:, programme.cols] @ result.x
        np.minimum.at(lo, which, values)
        np.maximum.at(hi, which, values)

    def wide(k):
        return hi[k] - lo[k] >= t - 1e-6 or hi[k] >= cap[k] - 1e-6

    def solve(programme, objective, afresh=False):
        result = programme.solve(objective, afresh=afresh)
        if not result.optimal:
            raise RuntimeError(f"disclosure audit: linear programme failed ({result.message})")
        return result

    everything = np.arange(len(target_truth))
    if not len(everything):
        return set(), {}
    rng = np.random.default_rng(20240401)
    programme = _Programme(model, np.unique(target_cluster), fixed, band_on)
    programmes = {programme.clusters.tobytes(): programme}
    for _ in range(2):
        weights = sparse.diags_array(rng.choice([-1.0, 1.0], size=len(everything))) @ targets
        seen(programme, solve(programme, weights), everything)
    queues: dict[int, list[int]] = {}
    for k in everything:
        queues.setdefault(int(target_cluster[k]), []).append(int(k))
    narrow, pins = set(), {}
    while True:
        batch = []
        for queue in queues.values():
            while queue and wide(queue[0]):
                queue.pop(0)
            if queue:
                batch.append(queue.pop(0))
        if not batch:
            return narrow, pins
        batch = np.array(batch)
        clusters = np.unique(target_cluster[batch])
        programme = programmes.get(clusters.tobytes())  # a round of the same clusters as an earlier one: its programme again
        if programme is None:
            programme = programmes[clusters.tobytes()] = _Programme(model, clusters, fixed, band_on)
        low = solve(programme, targets[batch])
        high = solve(programme, -targets[batch])
        in_programme = everything[np.isin(target_cluster, programme.clusters)]
        for result in (low, high):  # each solution is a feasible point for every target it holds
            seen(programme, result, in_programme)
        found = [int(k) for k in batch if not wide(k) and (not unknown[k] or (lo[k] < t - 1e-6 and hi[k] > 1e-9))]
        if found:  # what pins them: the duals of a programme solved afresh (a warm start's may pin more cells)
            low, high = solve(programme, targets[batch], afresh=True), solve(programme, -targets[batch], afresh=True)
        for k in found:  # the batch's ranges are now exact
            narrow.add(k)
            pins[k] = programme.pins(low, target_cluster[k]) | programme.pins(high, target_cluster[k])


def _feasible(model: _Model, clusters: np.ndarray) -> bool:
    known = ~np.isnan(model.cell_truth) & (model.cell_q != "t") & (model.cell_cluster >= 0)
    programme = _Programme(model, clusters, known, np.ones(len(model.data), dtype=bool))
    return programme.solve(sparse.csr_array((0, model.atom_count))).optimal


def _fit_levels(model: _Model) -> None:
    """Build the atoms at the strictest level each measure's true values satisfy."""
    while True:
        model.build()
        bad = model.inconsistent()
        if not bad:
            clusters = np.unique(model.cluster)
            if _feasible(model, clusters):
                return
            for code, (first, last) in model.measure_atoms.items():
                if last > first and not _feasible(model, np.unique(model.cluster[first:last])):
                    bad.add(code)
            if not bad:
                raise RuntimeError("disclosure audit: the true values do not fit the model")
        for code in bad:
            if model.level[code] >= len(_LEVELS) - 1:
                raise RuntimeError(f"disclosure audit: {code} does not fit even without relations")
            model.level[code] += 1


# --- Entry point -------------------------------------------------------------------------------


def safe_cells(
    frame: pd.DataFrame,
    *,
    threshold: int = THRESHOLD,
    earlier_hidden: Collection[str] = frozenset(),
    earlier_shown: Mapping[str, float] | None = None,
) -> SafeFrame:
    """The frame as it may be shown: hidden cells NA, with the reason for each (module docstring).

    `earlier_hidden`: keys (`cell_key`) of cells hidden in earlier versions of the same report; they
    stay hidden. `earlier_shown`: key -> value of cells earlier versions showed; a cell with the same
    value now is public, so the audit counts it as shown even where this version hides it.
    Deterministic: the same frame and arguments give the same result.
    """
    data = _prepared(frame, threshold)
    earlier_shown = earlier_shown or {}
    n_rows = len(data)
    if not n_rows:  # nothing to show, nothing to audit
        out = data.assign(**{column: pd.Series(dtype=object) for column in REASON_COLUMNS.values()}, suppressed=False)
        return SafeFrame(frame=out, threshold=threshold)
    t = threshold

    model = _Model(data, threshold)
    _fit_levels(model)
    truth, q = model.cell_truth, model.cell_q
    published = model.cell_given | model.cell_rebuilt  # counts a reader could be shown
    reason: list[str | None] = [None] * len(truth)  # per cell: why hidden
    value_reason: list[str | None] = [None] * n_rows  # rates' and means' values
    prefix = list(zip(data["measure_code"], data["group"], data["period_start"], data["period_end"], strict=True))

    def small(x):
        return 1 <= x < t

    for i, cells in enumerate(model.row_cells):
        shown = {qq: c for qq, c in cells.items() if published[c]}
        for c in shown.values():
            if small(truth[c]):
                reason[c] = REBUILT if not model.cell_given[c] else PRIMARY
        n, d = shown.get("n"), shown.get("d")
        if n is not None and d is not None and reason[n] is None and small(truth[d] - truth[n]):
            reason[n] = COMPLEMENT if model.cell_given[n] else REBUILT
        for qq, c in shown.items():
            if reason[c] is None and model.cell_given[c] and cell_key(*prefix[i], _COLUMN[qq]) in earlier_hidden:
                reason[c] = EARLIER
        unit = model.units[i]
        if unit in RATE_SCALE or unit == "days":
            if not pd.isna(model.values[i]) and (d is None or (unit in RATE_SCALE and n is None)):
                value_reason[i] = UNVERIFIABLE
            elif cell_key(*prefix[i], "value") in earlier_hidden:
                value_reason[i] = EARLIER
            if unit == "days" and d is not None and reason[d] == PRIMARY and value_reason[i] is None:
                value_reason[i] = PRIMARY

    def sync() -> None:
        """A rate hides with its numerator or denominator; a rebuilt numerator hides with its rate."""
        for i, cells in enumerate(model.row_cells):
            if model.units[i] not in RATE_SCALE:
                continue
            n, d = cells.get("n"), cells.get("d")
            if value_reason[i] is None:
                value_reason[i] = (reason[n] if n is not None else None) or (reason[d] if d is not None else None)
            if n is not None and published[n] and not model.cell_given[n] and value_reason[i] and reason[n] is None:
                reason[n] = value_reason[i]

    sync()

    # what earlier versions made public
    public = np.zeros(len(truth), dtype=bool)
    value_public = np.zeros(n_rows, dtype=bool)
    for i, cells in enumerate(model.row_cells if earlier_shown else ()):
        for qq, c in cells.items():
            key = cell_key(*prefix[i], _COLUMN.get(qq, ""))
            if model.cell_given[c] and key in earlier_shown and abs(earlier_shown[key] - truth[c]) < 1e-9:
                public[c] = True
        key = cell_key(*prefix[i], "value")
        if key in earlier_shown and abs(earlier_shown[key] - model.values[i]) < 1e-9:
            value_public[i] = True
            n, d = cells.get("n"), cells.get("d")
            if model.units[i] in RATE_SCALE and n is not None and d is not None and published[n] and (public[d] or not reason[d]):
                public[n] = True  # a rate and its denominator give the numerator

    implicit_targets = np.flatnonzero((model.implicit_truth >= 1) & (model.implicit_truth < t))
    unprotected: set = set()
    audited = 0
    clusters = None
    for _round in range(100_000):
        hidden = np.array([r is not None for r in reason], dtype=bool)
        fixed = ((published & ~hidden) | public) & ~np.isnan(truth) & (model.cell_cluster >= 0)
        band_on = np.array([r is None for r in value_reason]) | value_public
        cell_targets = np.flatnonzero(
            published & hidden & ~public & (np.abs(np.nan_to_num(truth)) > 1e-9) & (model.cell_cluster >= 0)
        )
        targets = sparse.vstack([model.cells[cell_targets], model.implicit_matrix[implicit_targets], model.piece_matrix]).tocsr()
        target_truth = np.concatenate(
            [truth[cell_targets], model.implicit_truth[implicit_targets], np.full(len(model.pieces), np.nan)]
        )
        target_cluster = np.concatenate(
            [model.cell_cluster[cell_targets], model.implicit_cluster[implicit_targets], model.piece_cluster]
        )
        names = [("cell", int(c)) for c in cell_targets] + [("imp", int(j)) for j in implicit_targets]
        names += [("piece", j) for j in range(len(model.pieces))]
        keep = np.array([names[k] not in unprotected for k in range(len(names))], dtype=bool)
        if clusters is not None:
            keep &= np.isin(target_cluster, clusters)
        keep_idx = np.flatnonzero(keep)
        if not len(keep_idx):
            break
        audited = max(audited, len(names))
        narrow, pins = _audit(model, targets[keep_idx], target_truth[keep_idx], target_cluster[keep_idx], fixed, band_on)
        if not narrow:
            break
        chosen: set = set()
        for k in sorted(narrow):
            if pins.get(k, set()) & chosen:
                continue  # a cell hidden for another target this round may be enough: audit again
            candidates = [p for p in pins.get(k, ()) if _hideable(p, published, reason, value_reason, public, value_public)]
            if not candidates:
                cluster = target_cluster[keep_idx[k]]
                candidates = [("cell", int(c)) for c in np.flatnonzero(fixed & (model.cell_cluster == cluster))]
                candidates = [p for p in candidates if _hideable(p, published, reason, value_reason, public, value_public)]
                candidates += [
                    ("mean", int(r))
                    for r in model.band_row[model.band_cluster == cluster]
                    if _hideable(("mean", int(r)), published, reason, value_reason, public, value_public)
                ]
            if not candidates:
                if not any(_cluster_of(p, model) == target_cluster[keep_idx[k]] for p in chosen):
                    unprotected.add(names[keep_idx[k]])  # nothing left to hide: earlier versions showed it
                continue
            pick = min(candidates, key=lambda p: (p[0] == "mean", truth[p[1]] if p[0] == "cell" else 0.0, p))
            if pick in chosen:
                continue
            chosen.add(pick)
            if pick[0] == "cell":
                reason[pick[1]] = SECONDARY
            else:
                value_reason[pick[1]] = SECONDARY
        sync()
        clusters = np.unique([target_cluster[keep_idx[k]] for k in narrow if names[keep_idx[k]] not in unprotected])
        if not len(clusters):
            break

    labels = []
    for kind, index in sorted(unprotected):
        if kind == "cell":
            labels.append(cell_key(*prefix[model.cell_row[index]], _COLUMN.get(q[index], q[index])))
        elif kind == "piece":
            labels.append(model.piece_label[index])
        else:
            labels.append(model.implicit_label[index])
    return SafeFrame(
        frame=_output(frame, data, model, reason, value_reason),
        threshold=threshold,
        relations=tuple(model.relations),
        unprotected=tuple(labels),
        audited=audited,
        levels=_level_names(model),
    )


def fitted_levels(frame: pd.DataFrame, *, threshold: int = THRESHOLD) -> dict[str, str]:
    """Which relations each measure's true values satisfy (`SafeFrame.levels`), without the audit:
    what `safe_cells` would give as `levels` for the same frame, at a fraction of its cost."""
    data = _prepared(frame, threshold)
    if not len(data):
        return {}
    model = _Model(data, threshold)
    _fit_levels(model)
    return _level_names(model)


def _prepared(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    keys = ["measure_code", "group", "period_start", "period_end"]
    if frame.duplicated(keys).any():
        raise ValueError("one row per measure, group and period")
    data = frame.reset_index(drop=True).copy()
    data["value"] = data["value"].astype("float64")
    data["numerator"] = data["numerator"].astype("Int64")
    data["denominator"] = data["denominator"].astype("Int64")
    data["period_start"] = pd.to_datetime(data["period_start"])
    data["period_end"] = pd.to_datetime(data["period_end"])
    return data


def _level_names(model: _Model) -> dict[str, str]:
    return {code: _LEVELS[0 if level == 1 and not model.has_days_total[code] else level] for code, level in model.level.items()}


def _cluster_of(pick, model: _Model) -> int:
    kind, index = pick
    if kind == "cell":
        return int(model.cell_cluster[index])
    return int(model.band_cluster[np.flatnonzero(model.band_row == index)[0]])


def _hideable(pick, published, reason, value_reason, public, value_public) -> bool:
    kind, index = pick
    if kind == "cell":
        return bool(published[index]) and reason[index] is None and not public[index]
    return value_reason[index] is None and not value_public[index]


def _output(original: pd.DataFrame, data: pd.DataFrame, model: _Model, reason, value_reason) -> pd.DataFrame:
    out = data.copy()
    out.index = original.index
    reasons = {column: [None] * len(out) for column in CELL_COLUMNS}
    for c in np.flatnonzero(model.cell_given):
        if reason[c] is not None:
            reasons[_COLUMN[model.cell_q[c]]][model.cell_row[c]] = reason[c]
    for i, r in enumerate(value_reason):
        if r is not None and reasons["value"][i] is None:
            reasons["value"][i] = r
    for column in CELL_COLUMNS:
        hide = np.array([r is not None for r in reasons[column]], dtype=bool)
        out[column] = out[column].mask(hide)
        out[REASON_COLUMNS[column]] = pd.Series(reasons[column], index=out.index, dtype=object)
    out["suppressed"] = out[list(REASON_COLUMNS.values())].notna().any(axis=1)
    return out


# --- Time to event -----------------------------------------------------------------------------
#
# A Kaplan-Meier curve drops at each event: a step over one or two children shows when they had the
# event, and each step's fall is 1 / (number at risk) per child. So a curve is shown only at steps
# where the number at risk and the number of events since the previous shown step are both at least
# the threshold; between shown steps the curve is merged (coarsened): it stays at the last shown
# level until the next shown step, which carries the Kaplan-Meier value there (every event up to it
# counted). Once fewer than the threshold are at risk, the curve ends. A group of fewer children than
# the threshold is not shown at all (no curve, count or median); its events are hidden like a
# numerator (below the threshold, or with a complement below it); its median is shown with its
# interval only when the group is shown. The difference at the horizon is shown only when, in each
# group, the children who had the event by then and the rest are each none or at least the
# threshold (primary and complement suppression of the two counts behind it). A group's children and
# events are also sums of the measure's cells over the follow-up window: reports.evidence gives them
# to `safe_cells` as window-total rows and passes what it hid as `totals` (a hidden total hides its
# count and the curve; a hidden cell in the window hides the group's curve).

CURVE_DECIMALS = 1  # a curve's percentages, as the tables show them
_MEDIAN_DECIMALS = 0  # medians in whole days


@dataclass(frozen=True)
class SurvivalStep:
    days: float
    percent_with_event: float  # 100 x (1 - Kaplan-Meier survival), to CURVE_DECIMALS
    at_risk: int  # children still followed and without the event just before this step


@dataclass(frozen=True)
class SafeSurvivalGroup:
    group: str  # "intervention" / "comparison": the group's role in the plan
    shown: bool
    children: int | None = None
    events: int | None = None
    median_days: float | None = None
    median_ci_low: float | None = None
    median_ci_high: float | None = None
    steps: tuple[SurvivalStep, ...] = ()


@dataclass(frozen=True)
class SafeSurvival:
    groups: tuple[SafeSurvivalGroup, ...]
    horizon_days: int
    estimate_shown: bool
    reason: str = ""  # why the estimate is not shown


def safe_curve(points: list[Mapping], threshold: int) -> tuple[SurvivalStep, ...]:
    """The steps of one Kaplan-Meier curve that may be shown. `points`: the curve's steps in time
    order, each with days, survival, at_risk (just before it) and events (at it), as
    reports.estimates.time_to_event gives them. The curve starts at day 0 with nobody having had the
    event and every child at risk (the group's count: shown only when it is at least the threshold,
    which the caller checks); each later shown step needs at least `threshold` at risk and at least
    `threshold` events since the previous shown step (events at smaller steps are carried forward
    into the next step that qualifies)."""
    if not points:
        return ()
    ordered = sorted(points, key=lambda p: p["days"])
    steps = [SurvivalStep(0.0, 0.0, int(ordered[0]["at_risk"]))]
    pending = 0
    for point in ordered:
        events = int(point.get("events") or 0)
        pending += events
        at_risk = int(point["at_risk"])
        if at_risk < threshold:
            break  # at risk never grows again: the curve ends here
        if events and pending >= threshold and point["days"] > 0:
            survival = float(point["survival"])
            steps.append(SurvivalStep(float(point["days"]), _percent(1 - survival), at_risk))
            pending = 0
    if len(steps) == 1 and int(ordered[0]["at_risk"]) < threshold:
        return ()
    return tuple(steps)


def safe_time_to_event(
    chart: Mapping,
    diagnostics: Mapping,
    *,
    threshold: int,
    totals: Mapping[str, tuple[str | None, str | None, bool]] | None = None,
) -> SafeSurvival:
    """What of a time-to-event estimate may be shown (the rules above): `chart` and `diagnostics`
    as reports.estimates.time_to_event gives them.

    `totals`: per group ("intervention" / "comparison"), why the group's children and its events are
    hidden (None: shown), as `safe_cells` judged them on the group's window-total row (the totals
    are sums of the measure's cells over the follow-up window, so a reader could difference them;
    see reports.evidence). Hidden children hide the events and the whole curve too: its day-0 step
    is the number of children, and the later steps' numbers at risk and percentages (each fall is
    events / at risk) would give it back; a curve without them would still give the children back
    from its falls (1 / at risk per child), so no curve is the safe choice. Events hidden for any
    reason other than their own smallness (primary, complement: then no step can show them, as each
    step needs the threshold at risk and the threshold events) hide the curve too, since its last
    step's percentage times the children gives the events up to it.

    The third item of each group's `totals`: whether any count of the group's cells in the follow-up
    window is hidden. Then the curve is not shown either: where the children's rows are the cells
    (one row per child, the event in its month, the rest censored at the month's end), the numbers
    at risk and the falls of the curve between two shown steps give back the events of the months
    between them, so a hidden month would follow from the curve and the shown months. The estimate
    is withheld whenever a group's curve is, for the same reason."""
    horizon = int(chart.get("horizon_days") or 0)
    curves = chart.get("curves") or {}
    medians = diagnostics.get("medians") or {}
    groups, reasons = [], []
    for label in ("intervention", "comparison"):
        summary = medians.get(label)
        if summary is None:
            continue
        n, events = int(summary["children"]), int(summary["events"])
        if n < threshold:
            groups.append(SafeSurvivalGroup(label, shown=False))
            reasons.append(f"the {label} group has fewer than {threshold} children")
            continue
        hide_events = 1 <= events < threshold or 1 <= n - events < threshold
        children_reason, events_reason, cells_hidden = (totals or {}).get(label, (None, None, False))
        hide_curve = cells_hidden or children_reason is not None or events_reason not in (None, PRIMARY, COMPLEMENT)
        groups.append(
            SafeSurvivalGroup(
                label,
                shown=True,
                children=None if children_reason is not None else n,
                events=None if hide_events or children_reason is not None or events_reason is not None else events,
                median_days=_rounded(summary.get("median_days"), _MEDIAN_DECIMALS),
                median_ci_low=_rounded(summary.get("ci_low"), _MEDIAN_DECIMALS),
                median_ci_high=_rounded(summary.get("ci_high"), _MEDIAN_DECIMALS),
                steps=() if hide_curve else safe_curve(curves.get(label, []), threshold),
            )
        )
        if hide_curve:
            # The estimate (the difference in the percentage with the event by the horizon), with
            # the other group's shown figures, is one more sum over the hidden months: withhold it too.
            reasons.append(f"some of the {label} group's counts are hidden")
        by_horizon = int(summary.get("events_by_horizon", 0))
        if 1 <= by_horizon < threshold or 1 <= n - by_horizon < threshold:
            reasons.append(
                f"fewer than {threshold} children in the {label} group had the event by {horizon} days, or fewer than "
                f"{threshold} had not"
            )
    shown = bool(groups) and not reasons
    reason = "" if shown else ("; ".join(reasons) + ", so the estimate is not shown, to protect small numbers")
    return SafeSurvival(groups=tuple(groups), horizon_days=horizon, estimate_shown=shown, reason=reason if groups else "")


def _percent(fraction: float) -> float:
    value = round(100 * fraction, CURVE_DECIMALS)
    return 0.0 if value == 0 else value


def _rounded(x, decimals: int) -> float | None:
    if x is None or not math.isfinite(float(x)):
        return None
    value = round(float(x), decimals)
    return 0.0 if value == 0 else value
