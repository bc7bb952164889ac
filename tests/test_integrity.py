"""Nothing is lost: concurrent writers into one runs folder, a run killed with SIGKILL, hostile gold ids.

- Several `factbench run` processes writing into one runs folder at once lose no run and leave a
  leaderboard that parses, has every row and equals a fresh rebuild (lock plus atomic rename).
- A run killed midway (SIGKILL to its process group) stays incomplete, is never counted, leaves no
  orphan worker, and the next run reuses the document it had finished and completes.
- A gold folder whose document id is `../../x` is rejected (exit 2, one line) and writes nothing;
  a bad command leaves what was written before untouched.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import mini_gold_dict, write_gold_dir

from benchmark.gold import load_gold

ROOT = Path(__file__).resolve().parents[1]
WRITERS = 6  # concurrent `factbench run` processes in test_concurrent_runs_lose_nothing

PLUGIN = textwrap.dedent('''
    import os, time
    from benchmark.extractor import Extractor

    class Steady(Extractor):
        """Answers every document, a little slowly, so concurrent runs overlap."""
        name = "steady"
        version = "1"
        def extract(self, document):
            time.sleep(0.2)
            return [{"type": "meeting", "slots": {"date": document.published, "participants": ["Putin"]}}]

    class Other(Steady):
        name = "other"

    class SleepsOnSecond(Extractor):
        """Answers the first document at once; sleeps on the next while the flag file exists."""
        name = "sleeper"
        version = "1"
        def extract(self, document):
            with open(os.environ["SLEEPER_LOG"], "a") as f:
                f.write(f"{os.getpid()} {document.id}\\n")
            calls = len(open(os.environ["SLEEPER_LOG"]).read().splitlines())
            if calls >= 2 and os.path.exists(os.environ["SLEEPER_FLAG"]):
                time.sleep(600)
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}}]
''')


def popen(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchmark.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}, **kwargs)


def factbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture()
def plugin(tmp_path: Path) -> Path:
    path = tmp_path / "plugin.py"
    path.write_text(PLUGIN)
    return path


@pytest.mark.slow
def test_concurrent_runs_lose_nothing(tmp_path: Path, plugin: Path) -> None:
    runs = tmp_path / "runs"
    commands = [
        ["-e", "oracle"], ["-e", "empty"], ["-e", f"{plugin}:Steady"], ["-e", f"{plugin}:Other"],
        ["-e", "oracle", "--shard", "0/2"], ["-e", f"{plugin}:Steady", "--reuse", "never"],
    ]
    assert len(commands) == WRITERS
    procs = [popen("run", *c, "--documents", "all", "--out", str(runs)) for c in commands]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    run_dirs = [p for p in runs.iterdir() if p.is_dir() and p.name != "cache"]
    assert len(run_dirs) == WRITERS  # no run lost
    for run_dir in run_dirs:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["complete"] is True and manifest["status"] == "ok", run_dir
        assert all(d["status"] == "ok" for d in manifest["documents"].values())
        scores = json.loads((run_dir / "scores.json").read_text())
        assert "strict" in json.dumps(scores)
        for line in (run_dir / "facts.jsonl").read_text().splitlines():
            json.loads(line)
        lines = (run_dir / "predictions.jsonl").read_text().splitlines()
        assert all(json.loads(line)["doc_id"] in manifest["documents"] for line in lines)
    rows = read_csv(runs / "leaderboard.csv")
    assert sorted({r["extractor"] for r in rows}) == ["empty", "oracle", "other", "steady"]
    assert len(rows) == 8 and all(r["f1"] != "" for r in rows)
    assert {r["failed_docs"] for r in rows} == {"0"}
    assert [r["f1"] for r in rows if r["extractor"] == "oracle"] == ["1.0", "1.0"]
    for name in ("robustness.csv", "facts_matrix.csv"):
        assert read_csv(runs / name)
    assert not [p for p in runs.rglob("*.tmp")]  # no temporary file left behind
    # the CSVs are exactly what a fresh rebuild gives
    before = {n: (runs / n).read_text() for n in ("leaderboard.csv", "robustness.csv", "facts_matrix.csv")}
    assert factbench("leaderboard", "--runs", str(runs)).returncode == 0
    assert before == {n: (runs / n).read_text() for n in before}
    # a rejected command afterwards changes nothing that was written
    kept = snapshot(runs)
    for bad in (["run", "-e", "orcale", "--out", str(runs)], ["run", "-e", "oracle", "--shard", "9/2", "--out",
                                                              str(runs)]):
        result = factbench(*bad)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(runs) == kept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/status") as handle:
            return "zombie" not in handle.read()
    except OSError:
        return False


def test_a_killed_run_is_never_counted_and_resumes(tmp_path: Path, plugin: Path) -> None:
    runs = tmp_path / "runs"
    log, flag = tmp_path / "calls.txt", tmp_path / "sleep.flag"
    flag.write_text("sleep")
    env = {"SLEEPER_LOG": str(log), "SLEEPER_FLAG": str(flag)}
    args = ("run", "-e", f"{plugin}:SleepsOnSecond", "--documents", "all", "--out", str(runs))
    proc = popen(*args, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the first document is cached, the second one sleeps
            calls = log.read_text().splitlines() if log.exists() else []
            if len(calls) >= 2 and list((runs / "cache").rglob("*.json")):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the run never reached its second document")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.communicate()
    first_pid, first_doc = calls[0].split()
    (run_dir,) = [p for p in runs.iterdir() if p.is_dir() and p.name != "cache"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["complete"] is False and manifest["status"] == "running"
    assert set(manifest["documents"]) <= {first_doc}  # checkpointed at most every second
    # the worker, in a session of its own, does not outlive its parent
    deadline = time.monotonic() + 10
    while _alive(int(first_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(int(first_pid)), "an orphaned worker kept running"
    # never counted: the leaderboard has no row for it
    assert factbench("leaderboard", "--runs", str(runs)).returncode == 0
    assert [r for r in read_csv(runs / "leaderboard.csv") if r["extractor"] == "sleeper"] == []
    # resumed: the finished document comes from the cache, the others run, the run completes
    flag.unlink()
    result = factbench(*args, env=env)
    assert result.returncode == 0, result.stderr
    resumed = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    (done,) = [m for m in resumed if m["complete"]]
    assert done["documents"][first_doc]["source"] == "cache"
    assert len(done["documents"]) == len(load_gold().documents)
    assert all(d["status"] == "ok" for d in done["documents"].values())
    called = [line.split()[1] for line in log.read_text().splitlines()]
    assert called.count(first_doc) == 1  # never extracted twice
    assert sorted(set(called)) == sorted(done["documents"])
    rows = [r for r in read_csv(runs / "leaderboard.csv") if r["extractor"] == "sleeper"]
    assert len(rows) == 2 and {r["failed_docs"] for r in rows} == {"0"}
    assert {r["run_id"] for r in rows} == {done["run_id"]}


@pytest.mark.parametrize(("field", "value", "code"), [
    ("id", "../../x", "BAD_DOC_ID"), ("id", "/etc/x", "BAD_DOC_ID"), ("id", "..", "BAD_DOC_ID"),
    ("text_file", "../../seeds/x.txt", "BAD_FIELD"), ("text_file", "/etc/passwd", "BAD_FIELD"),
])
def test_hostile_gold_ids_are_rejected_through_the_cli(tmp_path: Path, field: str, value: str, code: str) -> None:
    gold = mini_gold_dict()
    gold["document"][field] = value
    folder = write_gold_dir(tmp_path / "g", gold) if field != "text_file" else None
    if folder is None:  # write_gold_dir writes the text under the name given: write it by hand instead
        (tmp_path / "g" / "gold").mkdir(parents=True)
        (tmp_path / "g" / "seeds").mkdir()
        (tmp_path / "g" / "gold" / "mini.json").write_text(json.dumps(gold))
        folder = tmp_path / "g" / "gold"
    runs = tmp_path / "out" / "runs"
    before = snapshot(tmp_path)
    for args in (["run", "-e", "empty", "--gold", str(folder), "--out", str(runs)],
                 ["validate-gold", str(folder)]):
        result = factbench(*args)
        assert result.returncode == 2, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert f"{code}: " in line and "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before and not runs.exists()
