"""`factbench compare A B`: is A's F1 really different from B's on this gold?"""

from __future__ import annotations

import json
from pathlib import Path

from benchmark.reports import fmt, table
from benchmark.types import REGIMES


def compare_files(path_a: str, path_b: str, *, gold_path: str | None = None, documents: str = "original",
                  seed: int = 0, shuffles: int = 10_000, as_json: bool = False) -> str:
    from benchmark.gold import load_gold
    from benchmark.predictions import read_predictions
    from benchmark.scoring import score
    from benchmark.stats import compare_systems

    gold = load_gold(gold_path)
    scope = gold.scope(documents)
    scored_a = score(gold, read_predictions(path_a, gold.documents), scope, bootstrap=0)
    scored_b = score(gold, read_predictions(path_b, gold.documents), scope, bootstrap=0)
    results = {regime: compare_systems(scored_a.tables[regime], scored_b.tables[regime], regime,
                                       shuffles=shuffles, seed=seed) for regime in REGIMES}
    if as_json:
        return json.dumps({
            regime: {"f1_a": c.f1_a, "f1_b": c.f1_b, "delta_f1": c.delta, "ci": [c.ci.low, c.ci.high],
                     "p": c.p_value, "shuffles": c.shuffles}
            for regime, c in results.items()
        } | {"a": str(path_a), "b": str(path_b), "gold_sha256": gold.sha256}, indent=2)
    rows = [[regime, fmt(c.f1_a), fmt(c.f1_b), fmt(c.delta), f"[{fmt(c.ci.low)}, {fmt(c.ci.high)}]",
             fmt(c.p_value, 4)] for regime, c in results.items()]
    head = f"A = {Path(path_a).name}, B = {Path(path_b).name}; paired approximate randomization, {shuffles} shuffles"
    return head + "\n" + table(["regime", "F1 A", "F1 B", "delta F1", "95% CI", "p"], rows)
