"""Paired statistics: F1 arrays, seeded bootstrap intervals and approximate randomization."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import oracle, write_jsonl

from benchmark.cli import main
from benchmark.compare import compare_files
from benchmark.stats import _percentile, compare_systems, f1_from, resample_counts
from benchmark.types import CATEGORIES, REGIMES


def _some_errors(gold):
    """The oracle of the shipped original document with a few mistakes: an F1 strictly between 0 and 1."""
    records = oracle(gold)
    records[1]["slots"]["date"] = "2020-11"
    records[2]["slots"].pop("region")
    records[4]["slots"]["signatories"] = ["Putin", "Aliyev", "Joe Biden"]
    records.append({"doc_id": records[0]["doc_id"], "type": "meeting",
                    "slots": {"participants": ["Joe Biden"], "date": "2019-01-01"}})
    return records


def test_f1_from_exact():
    sums = np.array([[3, 1, 1, 2], [0, 0, 3, 0], [0, 0, 0, 4], [5, 0, 0, 0], [0, 0, 0, 0]])
    f1 = f1_from(sums)
    # credit 3.5, predicted 5, gold 6: F1 = 2 * 3.5 / (5 + 6)
    assert f1[0] == pytest.approx(7 / 11)
    assert np.isnan(f1[1])  # no gold: undefined, never 0
    assert f1[2] == 0.0
    assert f1[3] == 1.0
    assert np.isnan(f1[4])


def test_resample_counts_depend_only_on_seed_and_units():
    first = np.concatenate(list(resample_counts(13, 250, seed=4)))
    again = np.concatenate(list(resample_counts(13, 250, seed=4, chunk=7)))
    other = np.concatenate(list(resample_counts(13, 250, seed=5)))
    assert first.shape == (250, 13)
    assert (first == again).all()
    assert not (first == other).all()
    assert (first.sum(axis=1) == 13).all()  # each resample draws as many units as there are


def test_resample_counts_are_scikit_learns_draws():
    resample = pytest.importorskip("sklearn.utils").resample
    rng = np.random.RandomState(11)
    expected = np.stack([np.bincount(resample(np.arange(9), replace=True, n_samples=9, random_state=rng),
                                     minlength=9) for _ in range(40)])
    assert (np.concatenate(list(resample_counts(9, 40, seed=11))) == expected).all()


def _legacy_draws(n_units: int, n_resamples: int, seed: int) -> np.ndarray:
    """The multiplicities as RandomState.randint draws them, one resample at a time."""
    rng = np.random.RandomState(seed)
    return np.stack([np.bincount(rng.randint(0, n_units, size=n_units), minlength=n_units)
                     for _ in range(n_resamples)]) if n_units else np.zeros((n_resamples, 0), dtype=int)


@pytest.mark.parametrize("n_units", [0, 1, 2, 3, 8, 9, 1000, 2**12 + 1])
def test_resample_counts_are_randints_draws_from_any_start(n_units):
    full = _legacy_draws(n_units, 23, seed=7)
    for chunk in (1, 5, 100):
        for start in (0, 1, 11, 22):
            blocks = list(resample_counts(n_units, 23, seed=7, chunk=chunk, start=start))
            assert [b.shape[0] for b in blocks] == [min(chunk, 23 - s) for s in range(start, 23, chunk)]
            assert (np.concatenate(blocks) == full[start:]).all(), (chunk, start)


def test_a_skip_across_many_raw_blocks(monkeypatch):
    from benchmark import stats

    monkeypatch.setattr(stats, "_RAW_DRAWS", 64)  # the skip spans several blocks of words, and ends inside one
    full = _legacy_draws(100, 30, seed=3)
    assert (np.concatenate(list(resample_counts(100, 30, seed=3, chunk=4, start=17))) == full[17:]).all()


@pytest.mark.parametrize("n_units", [1, 7, 1000])
def test_resampled_sums_by_distinct_rows_equal_unit_by_unit(n_units):
    from benchmark.stats import resampled_sums

    rng = np.random.RandomState(n_units)
    counts = rng.randint(0, 3, size=(n_units, 6)) * rng.randint(0, 2, size=(n_units, 1))  # many equal rows
    counts[0, 0] = 300  # one count past a byte
    unit_by_unit = np.concatenate(list(resample_counts(n_units, 40, seed=2))) @ counts
    for first, last in ((0, 40), (0, 1), (13, 40), (39, 40)):
        sums = resampled_sums(counts, 2, first, last)
        assert sums.dtype == np.float64
        assert (sums == unit_by_unit[first:last]).all(), (first, last)


def test_resampled_sums_past_float_precision_are_integers():
    from benchmark.stats import resampled_sums

    counts = np.array([[2**52 + 1, 0], [1, 3], [2**52 + 1, 0]], dtype=np.int64)  # 3 x (2**52 + 1) > 2**53
    expected = [[sum(int(m) * int(c) for m, c in zip(draw, counts[:, k])) for k in range(2)]
                for draw in np.concatenate(list(resample_counts(3, 20, seed=1)))]
    sums = resampled_sums(counts, 1, 0, 20)
    assert sums.dtype == np.int64
    assert sums.tolist() == expected


@pytest.mark.parametrize("large_counts", [False, True])  # counts in a byte, then past two
def test_bootstrap_in_processes_equals_one_process(monkeypatch, large_counts):
    from benchmark import stats

    rng = np.random.RandomState(0)
    units = rng.randint(0, 3, size=(500, len(CATEGORIES), 4))
    if large_counts:
        units[0, 0, 0] = 2**16  # rows compared as 32-bit counts
    tables = [(units, np.zeros((len(CATEGORIES), 4), dtype=np.int64)), (units[::-1].copy(), units[0])]
    one = stats.bootstrap_intervals_many(tables, 301, seed=5)
    monkeypatch.setattr(stats, "PARALLEL_DRAWS", 0)
    pids = []
    real = stats._resampled_sums

    def spy(shared, resamples):
        import os

        pids.append(os.getpid())
        return real(shared, resamples)

    monkeypatch.setattr(stats, "_resampled_sums", spy)
    assert stats.bootstrap_intervals_many(tables, 301, seed=5, jobs=3) == one
    assert not pids  # computed in the workers, none here
    assert one[0][0] is not None and one[0][0].low < one[0][0].high


def test_percentile_skips_undefined_resamples():
    assert _percentile(np.array([np.nan, np.nan])) is None
    interval = _percentile(np.array([np.nan, 0.5, 0.5]))
    assert (interval.low, interval.high) == (0.5, 0.5)


def test_bootstrap_is_seeded_and_contains_the_point_estimate(shipped_gold, score_records):
    records = _some_errors(shipped_gold)
    first = score_records(shipped_gold, records, bootstrap=200, seed=3).report
    again = score_records(shipped_gold, records, bootstrap=200, seed=3).report
    for regime in REGIMES:
        scores, repeat = first.regimes[regime], again.regimes[regime]
        assert scores.f1_ci == repeat.f1_ci
        assert scores.category_ci == repeat.category_ci
        assert 0.0 < scores.overall.f1 < 1.0
        assert scores.f1_ci.low <= scores.overall.f1 <= scores.f1_ci.high
        assert scores.f1_ci.low < scores.f1_ci.high
        for name, interval in scores.category_ci.items():
            assert interval.low <= scores.categories[name].f1 <= interval.high
        assert set(scores.category_ci) == {c for c in CATEGORIES if scores.categories[c].gold}
    assert first.as_dict() == again.as_dict()


def test_bootstrap_off_gives_no_interval(shipped_gold, score_records):
    report = score_records(shipped_gold, _some_errors(shipped_gold), bootstrap=0).report
    assert report.regimes["strict"].f1_ci is None
    assert report.as_dict()["strict"]["f1_ci"] is None


def test_oracle_interval_is_a_point(shipped_gold, score_records):
    report = score_records(shipped_gold, oracle(shipped_gold), bootstrap=100).report
    interval = report.regimes["lenient"].f1_ci
    assert (interval.low, interval.high) == (1.0, 1.0)


def test_different_extractors_get_the_same_resamples(shipped_gold, score_records):
    """Recompute both systems' intervals from one set of resamples: the bootstrap is paired."""
    n, seed = 150, 9
    systems = [_some_errors(shipped_gold), oracle(shipped_gold)[:6]]
    draws = np.concatenate(list(resample_counts(13, n, seed)))  # 13 gold records in scope
    for records in systems:
        scored = score_records(shipped_gold, records, bootstrap=n, seed=seed)
        tables = scored.tables["strict"]
        assert tables.units.shape == (13, len(CATEGORIES), 4)
        sums = draws @ tables.units.sum(axis=1) + tables.fixed().sum(axis=0)
        low, high = np.percentile(f1_from(sums), [2.5, 97.5])
        interval = scored.report.regimes["strict"].f1_ci
        assert (interval.low, interval.high) == pytest.approx((low, high))


def test_unaligned_fps_stay_fixed_in_every_resample(mini_gold, score_records):
    invented = {"type": "meeting", "slots": {"participants": ["Joe Biden"]}}
    scored = score_records(mini_gold, [invented], bootstrap=50)
    tables = scored.tables["strict"]
    assert tables.units[:, :, 2].sum() == 0  # no fp belongs to a gold record
    assert tables.fixed()[:, 2].sum() == 1
    assert scored.report.regimes["strict"].f1_ci.high == 0.0


# --------------------------------------------------------------------------- approximate randomization


def test_compare_systems_with_itself(shipped_gold, score_records):
    tables = score_records(shipped_gold, _some_errors(shipped_gold)).tables
    result = compare_systems(tables["strict"], tables["strict"], "strict", shuffles=500, resamples=100)
    assert result.delta == 0.0
    assert result.p_value == 1.0
    assert (result.ci.low, result.ci.high) == (0.0, 0.0)


def test_compare_systems_oracle_against_empty(shipped_gold, score_records):
    good = score_records(shipped_gold, oracle(shipped_gold)).tables["lenient"]
    empty = score_records(shipped_gold, []).tables["lenient"]
    result = compare_systems(good, empty, "lenient", shuffles=2000, resamples=100, seed=1)
    assert (result.f1_a, result.f1_b, result.delta) == (1.0, 0.0, 1.0)
    # Only swapping all 13 gold records or none is as extreme: 2 / 2**13 of the shuffles.
    assert result.p_value < 0.01
    again = compare_systems(good, empty, "lenient", shuffles=2000, resamples=100, seed=1)
    assert again == result
    reverse = compare_systems(empty, good, "lenient", shuffles=2000, resamples=100, seed=1)
    assert reverse.delta == -1.0
    assert reverse.p_value == result.p_value


def test_compare_pairs_unaligned_fps_by_document(mini_gold, score_records):
    a = score_records(mini_gold, [*oracle(mini_gold), {"type": "meeting", "slots": {"participants": ["Joe Biden"]}}])
    b = score_records(mini_gold, oracle(mini_gold))
    result = compare_systems(a.tables["strict"], b.tables["strict"], "strict", shuffles=1000, resamples=50)
    assert result.f1_a == pytest.approx(2 * 24 / (25 + 24))
    assert result.f1_b == 1.0
    assert result.delta == pytest.approx(2 * 24 / 49 - 1)
    assert 0.0 < result.p_value <= 1.0


def test_compare_interval_resamples_gold_records_as_each_score_does(mini_gold, score_records):
    # Against a system with F1 0 in every resample, the delta's interval is A's own interval: the same
    # resamples of gold records, with A's unaligned fp (Joe Biden's meeting) fixed in each.
    records = [*oracle(mini_gold), {"type": "meeting", "slots": {"participants": ["Joe Biden"]}}]
    records[0]["slots"]["date"] = "2020-01-01"
    a = score_records(mini_gold, records, bootstrap=200, seed=3)
    empty = score_records(mini_gold, [])
    for regime in REGIMES:
        result = compare_systems(a.tables[regime], empty.tables[regime], regime, shuffles=100, resamples=200, seed=3)
        assert result.ci == a.report.regimes[regime].f1_ci


def test_compare_command(shipped_gold, tmp_path, capsys):
    good = write_jsonl(tmp_path / "oracle.jsonl", oracle(shipped_gold))
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    assert main(["compare", str(good), str(good), "--json"]) == 0
    same = json.loads(capsys.readouterr().out)
    for regime in REGIMES:
        assert (same[regime]["delta_f1"], same[regime]["p"]) == (0.0, 1.0)
        assert same[regime]["shuffles"] == 10_000
    assert main(["compare", str(good), str(empty), "--json"]) == 0
    different = json.loads(capsys.readouterr().out)
    for regime in REGIMES:
        assert different[regime]["delta_f1"] == 1.0
        assert different[regime]["p"] < 0.01
    assert different["gold_sha256"] == shipped_gold.sha256
    assert main(["compare", str(good), str(empty)]) == 0
    table = capsys.readouterr().out
    assert "delta F1" in table and "strict" in table and "lenient" in table


def test_compare_files_with_itself(shipped_gold, tmp_path):
    path = write_jsonl(tmp_path / "some.jsonl", _some_errors(shipped_gold))
    result = json.loads(compare_files(str(path), str(path), shuffles=300, as_json=True))
    assert (result["strict"]["delta_f1"], result["strict"]["p"]) == (0.0, 1.0)
