"""Synthetic returns for the service, command, API and page tests."""

from datetime import date

from returns.cin.synthetic import Child, Episode, Plan, census_xml, random_children

RAW_PREFIX = "SYN"  # every synthetic child's LAchildID starts with it; UPNs with "X0"


def random_census(year: int = 2025, count: int = 300, seed: int = 7) -> bytes:
    return census_xml(year, random_children(year, count, seed=seed))


def small_census(year: int = 2025) -> bytes:
    """Three children referred in the year, two of them on plans at its end."""
    return census_xml(
        year,
        [
            Child("SYN0000001", episodes=[Episode(date(year - 1, 5, 1), plans=[Plan(date(year - 1, 6, 2))])]),
            Child("SYN0000002", episodes=[Episode(date(year - 1, 7, 1), plans=[Plan(date(year - 1, 8, 2))])]),
            Child("SYN0000003", episodes=[Episode(date(year - 1, 9, 1), nfa=True, closure=date(year - 1, 9, 2))]),
        ],
    )


def bad_census() -> bytes:
    return census_xml(2025, [Child("SYN0000009", episodes=[Episode(date(2025, 6, 1))])])  # after the reference date
