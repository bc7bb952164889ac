"""Smoke test of benchmarks/run.py: the quick mode runs end to end and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.parallel import can_fork, usable_jobs

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_script_quick_runs(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--sizes", "100", "--repeat", "1",
         "--harness-docs", "20", "--only", "startup,scoring,loading,harness", "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# factbench performance")
    assert "Machine: " in text and "Python" in text
    for measure in ("startup `factbench --help`", "startup `factbench list`", "scoring 100 documents",
                    "`load_gold` of 100 synthetic documents", "harness: `factbench run -e rules` on 20"):
        assert measure in text, measure
    if can_fork() and usable_jobs(0) > 1:  # the parallel rows need two cores
        assert f"scoring 100 documents, counts kept, {usable_jobs(0)} processes" in text
        assert "scoring 100 documents in two processes that share nothing" in text
