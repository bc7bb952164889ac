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


def test_same_pairs_as_scipy_on_small_matrices(monkeypatch):
    monkeypatch.setattr(assignment, "PYTHON_CELLS", 10**9)  # never hand over to scipy
    rng = random.Random(7)
    differing = [m for m in _matrices(rng, 6000, 9) if maximum_assignment(m) != _scipy(m)]
    assert differing == []


def test_large_matrices_go_to_scipy(monkeypatch):
    monkeypatch.setattr(assignment, "_columns_of_rows", lambda *args: pytest.fail("solved in Python"))
    matrix = [[float((r * 7 + c * 3) % 5) for c in range(30)] for r in range(20)]
    assert maximum_assignment(matrix) == _scipy(matrix)


@pytest.mark.parametrize(("matrix", "pairs"), [
    ([[1.0, 0.0], [0.0, 1.0]], [(0, 0), (1, 1)]),
    ([[0.0, 1.0], [1.0, 0.0]], [(0, 1), (1, 0)]),
    ([[1.0, 1.0], [1.0, 1.0]], [(0, 0), (1, 1)]),  # a constant matrix: the identity
    ([[0.5], [2.0], [1.0]], [(1, 0)]),  # more rows than columns: pairs by row
    ([[0.5, 2.0, 1.0]], [(0, 1)]),
    ([], []),
])
def test_exact_pairs(matrix, pairs):
    assert maximum_assignment(matrix) == pairs
