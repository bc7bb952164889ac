"""Paired statistics: bootstrap intervals and approximate randomization.

The resampling unit is a gold record, carrying the fps of the prediction aligned to
it; fps of unaligned predictions stay fixed. Resamples depend only on the seed and the
number of gold records in scope, so every extractor sees the same resamples: intervals
and differences are paired.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from benchmark.types import CATEGORIES, Interval

TP, PARTIAL, FP, FN = range(4)


def f1_from(sums: np.ndarray) -> np.ndarray:
    """F1 from summed [tp, partial, fp, fn] along the last axis; nan where there is no gold."""
    tp, partial, fp, fn = (sums[..., i].astype(float) for i in range(4))
    credit = tp + 0.5 * partial
    predicted, gold = tp + partial + fp, tp + partial + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, credit / np.maximum(predicted, 1), 0.0)
        recall = np.where(gold > 0, credit / np.maximum(gold, 1), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return np.where(gold > 0, f1, np.nan)


def resample_counts(n_units: int, n_resamples: int, seed: int, chunk: int = 100, start: int = 0):
    """Yield (resamples x units) multiplicity matrices of seeded resampling with replacement.

    The draws are those of scikit-learn's `resample(units, replace=True, n_samples=n_units,
    random_state=RandomState(seed))` called once per resample (`RandomState.choice` with
    replacement is `randint`), drawn a block at a time: the same numbers, a hundred times faster.
    `start` skips the first resamples: the blocks are those of resamples start to n_resamples - 1.
    """
    draws = _RandintStream(n_units, seed)
    draws.skip(start * n_units)
    for first in range(start, n_resamples, chunk):
        size = min(chunk, n_resamples - first)
        drawn = draws.take(size * n_units)
        offsets = np.repeat(np.arange(size, dtype=np.int64) * n_units, n_units)
        counts = np.bincount(drawn + offsets, minlength=size * n_units)
        yield counts.reshape(size, n_units).astype(np.int32)


_RAW_DRAWS = 1 << 20  # at most this many 32-bit words drawn at a time


class _RandintStream:
    """The values `RandomState(seed).randint(0, n_units)` returns one after the other.

    Legacy `randint` with a range below 2**32 takes 32-bit words of the Mersenne Twister, masks
    them to the range's bit width and rejects those past the range, one word per try; doing the
    same over arrays of words (`randint(0, 2**32, dtype=uint32)` returns the words themselves)
    gives the same values twice as fast. Values skipped are only counted. Words drawn past the
    last value used are never read, and the generator is this object's own.
    """

    def __init__(self, n_units: int, seed: int):
        self.n_units = n_units
        self.rng = np.random.RandomState(seed)
        self.mask = np.uint32((1 << max(0, n_units - 1).bit_length()) - 1)
        self.accept = n_units / (int(self.mask) + 1)  # expected share of words kept
        self.held = np.zeros(0, dtype=np.uint32)

    def _words(self, values: int) -> np.ndarray:
        """Masked words, about enough for `values` more values."""
        size = min(_RAW_DRAWS, int(values / self.accept * 1.05) + 64)
        return self.rng.randint(0, 2**32, size=size, dtype=np.uint32) & self.mask

    def take(self, count: int) -> np.ndarray:
        if self.n_units <= 1:  # a range of one value: randint draws nothing and returns 0
            return np.zeros(count, dtype=np.uint32)
        parts, have = [self.held], self.held.size
        while have < count:
            words = self._words(count - have)
            parts.append(words[words < self.n_units])  # uint32: indexing with it costs less than converting
            have += parts[-1].size
        found = np.concatenate(parts) if len(parts) > 1 else parts[0]
        self.held = found[count:]
        return found[:count]

    def skip(self, count: int) -> None:
        if self.n_units <= 1:
            return
        from_held = min(count, self.held.size)
        self.held = self.held[from_held:]
        count -= from_held
        while count:
            words = self._words(count)
            kept = int(np.count_nonzero(words < self.n_units))
            if kept <= count:
                count -= kept
                continue
            self.held = words[words < self.n_units][count:]
            count = 0


def bootstrap_intervals(units: np.ndarray, fixed: np.ndarray, n_resamples: int = 1000, seed: int = 0,
                        ) -> tuple[Interval | None, dict[str, Interval]]:
    """95% percentile intervals of micro F1, overall and per category."""
    return bootstrap_intervals_many([(units, fixed)], n_resamples, seed)[0]


# Below this many draws (resamples x units) a second process costs more than it saves.
PARALLEL_DRAWS = 20_000_000

# Draws held in memory at once: a few million values stay in cache-sized arrays.
_BLOCK_DRAWS = 1 << 22


def bootstrap_intervals_many(tables, n_resamples: int = 1000, seed: int = 0, jobs: int = 1,
                             ) -> list[tuple[Interval | None, dict[str, Interval]]]:
    """`bootstrap_intervals` of several (units, fixed) tables over the same gold records, in one pass.

    The draws depend only on the seed and the number of units, so every table (both regimes of
    one score) sees the same resamples: drawing them once gives exactly the per-table results.
    The resampled sums are integer counts, computed exactly (see `resampled_sums`), so `jobs`
    processes, each summing a range of resamples, give the same sums as one.
    """
    if not tables:
        return []
    n_units = tables[0][0].shape[0]
    if n_units == 0:
        return [(None, {}) for _ in tables]
    width = len(CATEGORIES) * 4
    counts = np.concatenate([units.reshape(n_units, -1) for units, _ in tables], axis=1)
    jobs = min(jobs, n_resamples) if n_units * n_resamples >= PARALLEL_DRAWS else 1
    if jobs > 1:
        from benchmark.parallel import forked_map

        bounds = [n_resamples * k // jobs for k in range(jobs + 1)]
        sums = np.concatenate(forked_map(_resampled_sums, (counts, seed), list(itertools.pairwise(bounds)), jobs))
    else:
        sums = _resampled_sums((counts, seed), (0, n_resamples))
    results = []
    for k, (_, fixed) in enumerate(tables):
        per_cat = sums[:, k * width:(k + 1) * width].reshape(n_resamples, len(CATEGORIES), 4) + fixed
        overall = f1_from(per_cat.sum(axis=1))
        categories = f1_from(per_cat)
        interval = _percentile(overall)
        cat_ci = {}
        for i, name in enumerate(CATEGORIES):
            ci = _percentile(categories[:, i])
            if ci is not None:
                cat_ci[name] = ci
        results.append((interval, cat_ci))
    return results


def _resampled_sums(shared: tuple[np.ndarray, int], resamples: tuple[int, int]) -> np.ndarray:
    """`resampled_sums` in the form `forked_map` calls: (counts, seed) shared, a range of resamples each."""
    first, last = resamples
    return resampled_sums(*shared, first, last)


def resampled_sums(counts: np.ndarray, seed: int, first: int, last: int) -> np.ndarray:
    """Column sums of the integer `counts` (units x columns) under resamples first to last - 1.

    A resample's sum is the multiplicity of each unit times its row. Units with equal rows are
    one group (a corpus of 100k gold records has a few hundred distinct rows), so the sums are
    group multiplicities (one bincount of the draws per resample) times the distinct rows: exact
    integers, the same as summing unit by unit. A later range skips the earlier draws.
    """
    n_units = counts.shape[0]
    rows, group = _distinct_rows(counts)
    # float64 products are exact while every sum stays below 2**53; past that, integers.
    exact = np.float64 if n_units * int(counts.max(initial=0)) < 2**53 else np.int64
    rows = rows.astype(exact)
    sums = np.empty((last - first, counts.shape[1]), dtype=exact)
    draws = _RandintStream(n_units, seed)
    draws.skip(first * n_units)
    chunk = max(1, _BLOCK_DRAWS // n_units)
    for block in range(first, last, chunk):
        size = min(chunk, last - block)
        groups = group[draws.take(size * n_units)]
        multiplicity = np.empty((size, rows.shape[0]), dtype=exact)
        for r in range(size):
            multiplicity[r] = np.bincount(groups[r * n_units:(r + 1) * n_units], minlength=rows.shape[0])
        sums[block - first:block - first + size] = multiplicity @ rows
    return sums


def _distinct_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, each unit's row number among them)."""
    # Rows compared as raw bytes, in the narrowest integer type that holds every count: fewer bytes to sort.
    narrow = np.ascontiguousarray(counts.astype(np.min_scalar_type(int(counts.max(initial=0)))))
    keys = narrow.view(np.dtype((np.void, narrow.dtype.itemsize * narrow.shape[1]))).ravel()
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    return counts[first], group.astype(np.intp)


def _percentile(values: np.ndarray) -> Interval | None:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    regime: str
    f1_a: float
    f1_b: float
    delta: float
    ci: Interval
    p_value: float
    shuffles: int


def paired_units(tables_a, tables_b) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit overall counts of two systems: gold records, then each document's unaligned fps (units that
    approximate randomization may swap between the systems)."""
    a = [tables_a.units.sum(axis=1)]
    b = [tables_b.units.sum(axis=1)]
    docs = sorted(set(tables_a.spurious) | set(tables_b.spurious))
    zero = np.zeros((len(CATEGORIES), 4), dtype=np.int64)
    if docs:
        a.append(np.stack([tables_a.spurious.get(d, zero).sum(axis=0) for d in docs]))
        b.append(np.stack([tables_b.spurious.get(d, zero).sum(axis=0) for d in docs]))
    return np.concatenate(a), np.concatenate(b)


def compare_systems(tables_a, tables_b, regime: str, shuffles: int = 10_000, resamples: int = 1000,
                    seed: int = 0) -> Comparison:
    """Paired approximate randomization of F1(A) - F1(B), with a paired bootstrap interval of the delta."""
    a, b = paired_units(tables_a, tables_b)
    f1_a, f1_b = float(f1_from(a.sum(axis=0))), float(f1_from(b.sum(axis=0)))
    observed = f1_a - f1_b
    rng = np.random.RandomState(seed)
    n = a.shape[0]
    extreme = 0
    diff = b - a
    for start in range(0, shuffles, 1000):
        size = min(1000, shuffles - start)
        swap = rng.randint(0, 2, size=(size, n)).astype(np.int64)
        # swapped A' = A + swap * (B - A); B' = B - swap * (B - A)
        shift = swap @ diff
        sums_a = a.sum(axis=0) + shift
        sums_b = b.sum(axis=0) - shift
        deltas = f1_from(sums_a) - f1_from(sums_b)
        extreme += int(np.sum(np.abs(deltas) >= abs(observed) - 1e-12))
    p_value = (extreme + 1) / (shuffles + 1)
    # The interval resamples gold records as every score's interval does (unaligned fps stay fixed):
    # the same resamples as each system's own interval.
    units_a, units_b = tables_a.units.sum(axis=1), tables_b.units.sum(axis=1)
    fixed_a, fixed_b = tables_a.fixed().sum(axis=0), tables_b.fixed().sum(axis=0)
    ci = None
    if units_a.shape[0]:
        sums = resampled_sums(np.concatenate([units_a, units_b], axis=1), seed, 0, resamples)
        ci = _percentile(f1_from(sums[:, :4] + fixed_a) - f1_from(sums[:, 4:] + fixed_b))
    return Comparison(regime, f1_a, f1_b, observed, ci or Interval(float("nan"), float("nan")), p_value, shuffles)
