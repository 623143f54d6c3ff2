"""The selection panel's statistics: pure functions, scores in, tables out, no ORM.

The input is one row per score of a review::

    application, reviewer, criterion, score, weight, counted[, submitted]

(a DataFrame, or a list of dicts or tuples in that order). Only submitted reviews count: when a
``submitted`` column is given, rows whose review is a draft are dropped.

* A review's **weighted total** is the sum of weight × score over the criteria that are counted.
* An application's **mean**, **median** and **spread** (highest − lowest) are of its reviewers'
  weighted totals; with no submitted review they are missing (NaN).
* An application is **flagged** when, on any criterion (counted or not), two of its submitted
  scores differ by the cohort's disagreement threshold or more; ``disagreements`` lists those
  criteria in the order they first appear in the input.
"""

from collections.abc import Iterable, Sequence

import pandas as pd

SCORE_COLUMNS = ["application", "reviewer", "criterion", "score", "weight", "counted"]
STATISTICS_COLUMNS = ["reviews", "mean", "median", "spread", "flagged", "disagreements"]


def scores_frame(scores: pd.DataFrame | Iterable) -> pd.DataFrame:
    """The scores as a DataFrame of ``SCORE_COLUMNS`` (numbers as floats), submitted reviews only."""
    if isinstance(scores, pd.DataFrame):
        frame = scores.copy()
    else:
        rows = list(scores)
        if rows and not isinstance(rows[0], dict):
            width = len(rows[0])
            frame = pd.DataFrame(rows, columns=(SCORE_COLUMNS + ["submitted"])[:width])
        else:
            frame = pd.DataFrame(rows)
    for column in SCORE_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype=object)
    if "submitted" in frame.columns:
        frame = frame[frame["submitted"].astype(bool)]
    frame = frame[SCORE_COLUMNS].copy()
    frame["score"] = frame["score"].astype(float)
    frame["weight"] = frame["weight"].astype(float)
    frame["counted"] = frame["counted"].astype(bool)
    return frame.reset_index(drop=True)


def review_totals(scores: pd.DataFrame | Iterable) -> pd.DataFrame:
    """One row per submitted review: ``application``, ``reviewer``, ``total`` (the weighted total)."""
    frame = scores_frame(scores)
    frame["weighted"] = frame["score"] * frame["weight"] * frame["counted"]
    totals = frame.groupby(["application", "reviewer"], sort=False)["weighted"].sum()
    # Weights have two decimal places and scores are whole numbers: round away float noise only.
    return totals.round(6).rename("total").reset_index()


def criterion_spreads(scores: pd.DataFrame | Iterable) -> pd.DataFrame:
    """Per application and criterion: how many submitted scores, and the highest − lowest."""
    frame = scores_frame(scores)
    grouped = frame.groupby(["application", "criterion"], sort=False)["score"]
    return pd.DataFrame({"scores": grouped.count(), "spread": grouped.max() - grouped.min()}).reset_index()


def application_statistics(
    scores: pd.DataFrame | Iterable, *, threshold: float, applications: Sequence | None = None
) -> pd.DataFrame:
    """One row per application (index ``application``): ``STATISTICS_COLUMNS``.

    ``applications`` lists every application to report, reviewed or not, in the order wanted; by
    default those in the scores, in the order they first appear."""
    totals = review_totals(scores)
    by_application = totals.groupby("application", sort=False)["total"]
    stats = pd.DataFrame(
        {
            "reviews": by_application.count(),
            "mean": by_application.mean(),
            "median": by_application.median(),
            "spread": by_application.max() - by_application.min(),
        }
    )
    spreads = criterion_spreads(scores)
    disagreeing = spreads[(spreads["scores"] >= 2) & (spreads["spread"] >= threshold)]
    disagreements = disagreeing.groupby("application", sort=False)["criterion"].agg(list)

    order = list(applications) if applications is not None else list(dict.fromkeys(totals["application"]))
    stats = stats.reindex(order)
    stats.index.name = "application"
    stats["reviews"] = stats["reviews"].fillna(0).astype(int)
    stats["disagreements"] = [list(disagreements.get(key, [])) for key in stats.index]
    stats["flagged"] = stats["disagreements"].map(bool)
    return stats[STATISTICS_COLUMNS]
