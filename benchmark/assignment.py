"""The optimal assignment of a small matrix, in Python: the pairing `scipy.optimize.linear_sum_assignment` returns.

The scorer aligns a handful of records or values at a time, and importing `scipy.optimize` costs
more (about 0.4 s) than scoring the whole shipped benchmark. This is the shortest augmenting path
algorithm scipy implements (Crouse 2016, as in scipy's `rectangular_lsap.cpp`), step by step and
in the same floating-point operations, so that it returns the same pairs as scipy, ties included:
scores never depend on which of the two computed them. Large matrices, which an extractor
emitting hundreds of records of one type could produce, still go to scipy.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

INF = float("inf")

# Above this many cells (rows x columns) a few hundred calls in Python cost more than importing scipy.
PYTHON_CELLS = 100


def maximum_assignment(matrix: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """(row, column) pairs of a maximum-weight assignment, by row: `linear_sum_assignment(m, maximize=True)`.

    Raises ValueError, as scipy does, for a ragged matrix or one holding NaN or infinity.
    """
    n_rows = len(matrix)
    n_cols = len(matrix[0]) if n_rows else 0
    if any(len(row) != n_cols for row in matrix):
        raise ValueError("expected a matrix, got rows of different lengths")
    if not all(math.isfinite(x) for row in matrix for x in row):
        raise ValueError("matrix contains invalid numeric entries")
    if n_rows == 0 or n_cols == 0:
        return []
    if _use_scipy(n_rows * n_cols):
        import numpy as np
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(np.asarray(matrix, dtype=float), maximize=True)
        return list(zip(rows.tolist(), cols.tolist()))
    if n_rows <= n_cols:
        costs = [-x for row in matrix for x in row]  # maximizing is minimizing the negated weights
        return list(enumerate(_columns_of_rows(costs, n_rows, n_cols)))
    # The algorithm wants no more rows than columns: solve the transpose, then order the pairs by row.
    costs = [-matrix[r][c] for c in range(n_cols) for r in range(n_rows)]
    return sorted((r, c) for c, r in enumerate(_columns_of_rows(costs, n_cols, n_rows)))


def _use_scipy(cells: int) -> bool:
    """A large matrix, or scipy already imported (its compiled solver is then the faster one)."""
    return cells > PYTHON_CELLS or "scipy.optimize" in sys.modules


def _columns_of_rows(cost: list[float], n_rows: int, n_cols: int) -> list[int]:
    """The column of each row in a minimum-cost assignment of `cost` (row-major, n_rows <= n_cols)."""
    u = [0.0] * n_rows
    v = [0.0] * n_cols
    path = [-1] * n_cols
    col4row = [-1] * n_rows
    row4col = [-1] * n_cols
    for current in range(n_rows):
        # The shortest augmenting path from the current row.
        min_val = 0.0
        remaining = list(range(n_cols - 1, -1, -1))  # reversed: a constant matrix gives the identity
        rows_seen = [False] * n_rows
        cols_seen = [False] * n_cols
        shortest = [INF] * n_cols
        i = current
        sink = -1
        while sink == -1:
            index = -1
            lowest = INF
            rows_seen[i] = True
            base, ui = i * n_cols, u[i]
            for it, j in enumerate(remaining):
                r = min_val + cost[base + j] - ui - v[j]
                if r < shortest[j]:
                    path[j] = i
                    shortest[j] = r
                # Among equal costs, prefer a column that ends the path (a new sink).
                if shortest[j] < lowest or (shortest[j] == lowest and row4col[j] == -1):
                    lowest = shortest[j]
                    index = it
            min_val = lowest
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            cols_seen[j] = True
            remaining[index] = remaining[-1]
            remaining.pop()
        # Update the dual variables, then augment the assignment along the path.
        u[current] += min_val
        for i in range(n_rows):
            if rows_seen[i] and i != current:
                u[i] += min_val - shortest[col4row[i]]
        for j in range(n_cols):
            if cols_seen[j]:
                v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == current:
                break
    return col4row
