"""The runner end to end: runs folder, cache, isolation of failing plugins, CSVs, plugins, start-up cost."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PLUGINS = textwrap.dedent('''
    import os, time
    from benchmark.extractor import Extractor

    class Counting(Extractor):
        name = "counting"
        version = "1"
        default_config = {"counter": ""}
        def extract(self, document):
            with open(self.config["counter"], "a") as f:
                f.write(document.id + "\\n")
            return [{"type": "meeting", "slots": {"date": "2021-02-17", "participants": ["Putin", "Pashinyan"]}}]

    class Crashing(Extractor):
        name = "crashing"
        def extract(self, document):
            raise RuntimeError("boom")

    class Hanging(Extractor):
        name = "hanging"
        def extract(self, document):
            time.sleep(600)

    class Garbage(Extractor):
        name = "garbage"
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}}, "not a record", 42,
                    {"type": "meeting", "slots": "nope"}]

    class Exiting(Extractor):
        name = "exiting"
        def extract(self, document):
            os._exit(3)
''')


def factbench(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def plugins(tmp_path: Path) -> Path:
    path = tmp_path / "plugins.py"
    path.write_text(PLUGINS)
    return path


def test_oracle_and_empty_end_to_end(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "oracle", "-e", "empty", "--documents", "original", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    rows = read_csv(runs / "leaderboard.csv")
    assert [(r["extractor"], r["regime"]) for r in rows] == [
        ("oracle", "strict"), ("oracle", "lenient"), ("empty", "strict"), ("empty", "lenient")]
    oracle = [r for r in rows if r["extractor"] == "oracle"]
    empty = [r for r in rows if r["extractor"] == "empty"]
    assert all(r["f1"] == "1.0" and r["rank"] == "" and r["reference"] == "true" for r in oracle)
    assert all(r["f1"] == "0.0" and r["rank"] == "" and r["tp"] == "0" and r["fn"] == "50" for r in empty)
    run_dirs = sorted(p for p in runs.iterdir() if (p / "manifest.json").is_file())
    assert len(run_dirs) == 2
    for run_dir in run_dirs:
        manifest = json.loads((run_dir / "manifest.json").read_text())
        assert manifest["complete"] is True
        assert manifest["gold_sha256"] == rows[0]["gold_sha256"]
        assert {"predictions.jsonl", "scores.json", "facts.jsonl"} <= {p.name for p in run_dir.iterdir()}
    facts = read_csv(runs / "facts_matrix.csv")
    assert len(facts) == 2 * 50 * len({r["document"] for r in facts})
    assert {r["oracle@default"] for r in facts if r["document"] == "tass-2021-02-17"} == {"tp"}
    assert "oracle" in result.stdout and "empty" in result.stdout


def test_cache_hit_never_calls_extract(tmp_path: Path, plugins: Path) -> None:
    counter = tmp_path / "calls.txt"
    args = ("run", "-e", f"{plugins}:Counting", "--set", f"counting.counter={counter}",
            "--documents", "original", "--out", str(tmp_path / "runs"))
    assert factbench(*args).returncode == 0
    assert counter.read_text().splitlines() == ["tass-2021-02-17"]
    second = factbench(*args)
    assert second.returncode == 0, second.stderr
    assert counter.read_text().splitlines() == ["tass-2021-02-17"]  # not called again
    manifests = [json.loads(p.read_text()) for p in sorted((tmp_path / "runs").glob("*/manifest.json"))]
    assert [m["documents"]["tass-2021-02-17"]["source"] for m in manifests] == ["run", "cache"]
    rows = read_csv(tmp_path / "runs" / "leaderboard.csv")
    assert {r["tp"] for r in rows} == {"3"} and rows[0]["rank"] == "1"
    # --reuse never runs the extractor again
    assert factbench(*args, "--reuse", "never").returncode == 0
    assert len(counter.read_text().splitlines()) == 2


def test_failing_plugins_are_recorded_while_others_finish(tmp_path: Path, plugins: Path) -> None:
    runs = tmp_path / "runs"
    result = factbench("run", "-e", f"{plugins}:Crashing", "-e", f"{plugins}:Hanging", "-e", f"{plugins}:Garbage",
                       "-e", f"{plugins}:Exiting", "-e", "oracle", "--documents", "original", "--timeout", "3",
                       "--out", str(runs))
    assert result.returncode == 1
    manifests = {m["extractor"]: m for m in (json.loads(p.read_text()) for p in runs.glob("*/manifest.json"))}
    doc = "tass-2021-02-17"
    assert "RuntimeError: boom" in manifests["crashing"]["documents"][doc]["reason"]
    assert manifests["hanging"]["documents"][doc]["reason"].startswith("timeout: no answer after 3 s")
    assert "exited with status 3" in manifests["exiting"]["documents"][doc]["reason"]
    garbage = manifests["garbage"]["documents"][doc]
    assert garbage["status"] == "ok" and garbage["records"] == 1 and garbage["problem_count"] == 3
    assert manifests["oracle"]["status"] == "ok" and all(m["complete"] for m in manifests.values())
    rows = {(r["extractor"], r["regime"]): r for r in read_csv(runs / "leaderboard.csv")}
    assert rows[("crashing", "lenient")]["failed_docs"] == "1"
    assert rows[("oracle", "lenient")]["f1"] == "1.0"
    assert sum("failed:" in line for line in result.stderr.splitlines()) == 3


def test_memory_limit_kills_the_worker(tmp_path: Path) -> None:
    plugin = tmp_path / "hog.py"
    plugin.write_text(textwrap.dedent('''
        from benchmark.extractor import Extractor
        class Hog(Extractor):
            name = "hog"
            def extract(self, document):
                blocks = [bytearray(50_000_000) for _ in range(40)]
                return [len(blocks)]
    '''))
    result = factbench("run", "-e", f"{plugin}:Hog", "--documents", "original", "--memory-mb", "300",
                       "--out", str(tmp_path / "runs"))
    assert result.returncode == 1
    manifest = json.loads(next((tmp_path / "runs").glob("*/manifest.json")).read_text())
    assert manifest["documents"]["tass-2021-02-17"]["reason"].startswith("memory limit: resident memory")


def test_installed_entry_point_plugin_and_path_plugin_both_run(tmp_path: Path) -> None:
    target = tmp_path / "site"
    example = ROOT / "examples" / "factbench-example-plugin"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(example)], check=True, capture_output=True, timeout=180)
    env = {"PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    listed = factbench("list", env=env)
    assert "titles" in listed.stdout and "plugin (factbench-example-plugin)" in listed.stdout
    runs = tmp_path / "runs"
    path_plugin = f"{example}/factbench_example/extractor.py:TitlesExtractor"
    result = factbench("run", "-e", "titles", "-e", path_plugin, "--set", f"{path_plugin}.min_name_words=2",
                       "--documents", "original", "--out", str(runs), env=env)
    assert result.returncode == 0, result.stderr
    rows = [r for r in read_csv(runs / "leaderboard.csv") if r["regime"] == "lenient"]
    assert sorted(r["config_label"] for r in rows) == ["default", "min_name_words=2"]
    # both find the three office holders' people and offices: 6 roles facts, nothing else
    assert {r["tp"] for r in rows} == {"6"} and {r["f1_roles"] for r in rows} == {"1.0"}


def test_unknown_extractor_names_the_closest_match(tmp_path: Path) -> None:
    result = factbench("run", "-e", "orcale", "--out", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "did you mean 'oracle'?" in lines[0] and "available:" in lines[0]


def test_csv_injection_is_neutralized(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "empty", "--set", "empty.label==HYPERLINK(\"http://x\")", "--documents",
                       "original", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    rows = read_csv(runs / "leaderboard.csv")
    assert rows[0]["config_label"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["f1"] == "0.0"  # numbers stay numbers


def test_concurrent_rebuilds_never_leave_a_torn_file(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "oracle", "-e", "empty", "--documents", "original", "--out", str(runs))
    assert result.returncode == 0
    expected = (runs / "leaderboard.csv").read_text()
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            seen.append((runs / "leaderboard.csv").read_text())

    thread = threading.Thread(target=reader)
    thread.start()
    procs = [subprocess.Popen([sys.executable, "-m", "benchmark.cli", "leaderboard", "--runs", str(runs)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(4)]
    codes = [p.wait(timeout=120) for p in procs]
    stop.set()
    thread.join()
    assert codes == [0, 0, 0, 0]
    assert seen and all(text == expected for text in seen)
    assert not list(runs.glob(".leaderboard.csv.*"))


@pytest.mark.parametrize("argv", [["--help"], ["list"]])
def test_help_and_list_import_no_model_stack(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "benchmark.cli", *argv],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not imported & {"torch", "transformers", "datasets", "spacy", "numpy", "scipy", "sklearn"}


def test_extract_prints_json_lines(tmp_path: Path) -> None:
    text = tmp_path / "news.txt"
    text.write_text("Valdorian President Mira Talven met Kestreli Prime Minister Oskar Brenn.")
    example = ROOT / "examples" / "factbench-example-plugin" / "factbench_example" / "extractor.py"
    result = factbench("extract", "-e", f"{example}:TitlesExtractor", str(text), "--published", "2020-01-01")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["slots"]["person"] for r in records] == ["Mira Talven", "Oskar Brenn"]
    assert all(r["doc_id"] == "news" for r in records)
    bad = factbench("extract", "-e", "empty", str(tmp_path / "missing.txt"))
    assert bad.returncode == 2 and "FILE_NOT_FOUND" in bad.stderr


def test_shards_merge_into_one_row(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for shard in ("0/2", "1/2"):
        assert factbench("run", "-e", "oracle", "--shard", shard, "--out", str(runs)).returncode == 0
    manifests = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    docs = [set(m["documents"]) for m in manifests]
    assert len(docs) == 2 and not (docs[0] & docs[1])
    rows = read_csv(runs / "leaderboard.csv")
    assert len(rows) == 2 and rows[0]["f1"] == "1.0" and rows[0]["failed_docs"] == "0"


def test_check_plugin_names_violations(tmp_path: Path) -> None:
    plugin = tmp_path / "bad.py"
    plugin.write_text(textwrap.dedent('''
        from benchmark.extractor import Extractor
        class Bad(Extractor):
            name = "Bad Name"
            def extract(self, document):
                return [{"type": "treaty", "slots": {}}, {"type": "meeting", "slots": {"venue": "x"},
                         "evidence": [[5, 1]], "confidence": 3}]
    '''))
    result = factbench("check-plugin", f"{plugin}:Bad")
    assert result.returncode == 1
    violations = [line for line in result.stdout.splitlines() if line.startswith("violation:")]
    assert len(violations) == 5
    assert any("'treaty'" in v for v in violations) and any("no slot 'venue'" in v for v in violations)
    assert any("evidence span [5, 1]" in v for v in violations) and any("confidence 3" in v for v in violations)


@pytest.mark.parametrize(("mode", "reason"), [("hang", "import took longer than 2 s"),
                                              ("exit", "the import exited with status 4")])
def test_plugin_that_hangs_or_exits_at_import_costs_only_itself(tmp_path: Path, mode: str, reason: str) -> None:
    plugin = tmp_path / "bad_import.py"
    plugin.write_text(textwrap.dedent('''
        import os, time
        from benchmark.extractor import Extractor
        if os.environ["MODE"] == "exit":
            os._exit(4)
        time.sleep(600)
        class X(Extractor):
            name = "x"
    '''))
    runs = tmp_path / "runs"
    result = factbench("run", "-e", f"{plugin}:X", "-e", "oracle", "--documents", "original", "--out", str(runs),
                       env={"MODE": mode, "FACTBENCH_PROBE_TIMEOUT": "2"})
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("factbench: failed:")]
    assert len(failed) == 1 and reason in failed[0]
    assert [r["extractor"] for r in read_csv(runs / "leaderboard.csv")] == ["oracle", "oracle"]
