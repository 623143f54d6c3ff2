"""Columns of cells, factorised once: a column of a file has few distinct values (measures, dates,
groups, values; a child's reference once per row of that child), so every rule and every
conversion is worked out once per distinct value and spread over the rows with numpy.

:func:`factorized` remembers each column's codes and distinct values for as long as the column
lives, so that the many rules applied to one column hash its strings once. A column made from
another by a function of each value (:func:`remember`) shares its codes."""

import threading
import weakref

import numpy as np
import pandas as pd

_known: dict[int, tuple[weakref.ref, np.ndarray, np.ndarray]] = {}
_lock = threading.Lock()


def _forget(key: int) -> None:
    with _lock:
        _known.pop(key, None)


def remember(column: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> np.ndarray:
    """Record that ``column`` is ``uniques.take(codes)`` (``uniques`` may repeat a value); returns it."""
    key = id(column)
    ref = weakref.ref(column, lambda _ref, key=key: _forget(key))
    with _lock:
        _known[key] = (ref, codes, uniques)
    return column


def factorized(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of an object column: ``column == uniques.take(codes)``. Empty cells
    and None are values like any other (never a -1 code)."""
    with _lock:
        known = _known.get(id(column))
    if known is not None and known[0]() is column:
        return known[1], known[2]
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    uniques = np.asarray(uniques, dtype=object)
    remember(column, codes, uniques)
    return codes, uniques


def mapped(column: np.ndarray, function) -> np.ndarray:
    """``function`` of each cell, computed once per distinct value (an object column, remembered as
    sharing the codes of ``column``)."""
    codes, uniques = factorized(column)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [function(u) for u in uniques]
    return remember(results.take(codes), codes, results)


def rows(column: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``column[index]``, sharing what is known of ``column``'s values."""
    with _lock:
        known = _known.get(id(column))
    picked = column[index]
    if known is not None and known[0]() is column:
        remember(picked, known[1][index], known[2])
    return picked
