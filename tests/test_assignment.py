"""The Python assignment returns scipy's pairs, ties included, so scores never depend on which one ran."""

import random

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from benchmark import assignment
from benchmark.assignment import maximum_assignment


def _scipy(matrix):
    rows, cols = linear_sum_assignment(np.asarray(matrix, dtype=float), maximize=True)
    return list(zip(rows.tolist(), cols.tolist()))


def _matrices(rng, count, largest):
    """Random matrices of every shape, most of them full of ties (credits in steps of 0.5, a tie-break)."""
    for k in range(count):
        n_rows, n_cols = rng.randint(1, largest), rng.randint(1, largest)
        weight = 0.4 / min(n_rows, n_cols)
        if k % 3 == 0:
            yield [[rng.random() for _ in range(n_cols)] for _ in range(n_rows)]
        elif k % 3 == 1:
            yield [[rng.choice([0.0, 0.0, 0.5, 1.0, 2.0]) for _ in range(n_cols)] for _ in range(n_rows)]
        else:
            yield [[(c := rng.choice([0.0, 0.0, 0.5, 1.0, 1.5])) + weight * (rng.choice([0, 1 / 3, 0.5, 1]) if c else 0)
                    for _ in range(n_cols)] for _ in range(n_rows)]


@pytest.fixture
def in_python(monkeypatch):
    """Every matrix solved by the Python port (this module imports scipy, which would otherwise take over)."""
    monkeypatch.setattr(assignment, "_use_scipy", lambda cells: False)


def test_same_pairs_as_scipy_on_small_matrices(in_python):
    rng = random.Random(7)
    differing = [m for m in _matrices(rng, 6000, 9) if maximum_assignment(m) != _scipy(m)]
    assert differing == []


def test_large_matrices_go_to_scipy(monkeypatch):
    monkeypatch.setattr(assignment, "_columns_of_rows", lambda *args: pytest.fail("solved in Python"))
    matrix = [[float((r * 7 + c * 3) % 5) for c in range(30)] for r in range(20)]
    assert maximum_assignment(matrix) == _scipy(matrix)


def test_small_matrices_are_solved_without_scipy(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "scipy.optimize")
    calls = []
    real = assignment._columns_of_rows
    monkeypatch.setattr(assignment, "_columns_of_rows", lambda *args: calls.append(args[1:]) or real(*args))
    assert maximum_assignment([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]]) == [(0, 1), (1, 0)]
    assert calls == [(2, 3)] and "scipy.optimize" not in sys.modules


@pytest.mark.parametrize(("matrix", "message"), [
    ([[float("nan")]], "invalid numeric entries"),
    ([[float("inf"), 1.0], [1.0, 0.0]], "invalid numeric entries"),
    ([[float("-inf"), 0.0]], "invalid numeric entries"),
    ([[1.0], [3.0, 5.0]], "rows of different lengths"),
])
def test_bad_matrices_raise_as_scipy_does(in_python, matrix, message):
    with pytest.raises(ValueError, match=message):
        maximum_assignment(matrix)


@pytest.mark.parametrize(("matrix", "pairs"), [
    ([[1.0, 0.0], [0.0, 1.0]], [(0, 0), (1, 1)]),
    ([[0.0, 1.0], [1.0, 0.0]], [(0, 1), (1, 0)]),
    ([[1.0, 1.0], [1.0, 1.0]], [(0, 0), (1, 1)]),  # a constant matrix: the identity
    ([[0.5], [2.0], [1.0]], [(1, 0)]),  # more rows than columns: pairs by row
    ([[0.5, 2.0, 1.0]], [(0, 1)]),
    ([], []),
])
def test_exact_pairs(in_python, matrix, pairs):
    assert maximum_assignment(matrix) == pairs
