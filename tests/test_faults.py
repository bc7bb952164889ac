"""Plugin faults injected into `factbench run`: each is recorded with its reason, the others finish, exit 1.

tests/test_runner.py already covers a plain exception, a sleeping hang, garbage records, os._exit(3)
and a memory hog in extract(); this file adds the rest: BaseExceptions, an exception that cannot be
printed, a busy-loop hang, a memory blow-up while loading, 200 MB of prints, output that is not
JSON-serializable (a set, an object, a cycle; NaN is null, as in a predictions file), exits and
signals without output, a plugin that fails at import, at construction or in load(), and one that
returns far too many records or no list.
Also: ids never become paths unchecked, and no input is eval'd or unpickled.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmark.worker import LOG_TAIL_BYTES

ROOT = Path(__file__).resolve().parents[1]
DOC = "tass-2021-02-17"

FAULTY = textwrap.dedent('''
    import math, os, signal, sys, time
    from benchmark.extractor import Extractor

    GOOD = [{"type": "meeting", "slots": {"date": "2021-02-17", "participants": ["Putin", "Pashinyan"]}}]

    class Quitting(Extractor):
        name = "quitting"
        def extract(self, document):
            sys.exit(0)

    class Interrupted(Extractor):
        name = "interrupted"
        def extract(self, document):
            raise KeyboardInterrupt

    class Unprintable(Exception):
        def __str__(self):
            raise ValueError("no")

    class Unprintable_(Extractor):
        name = "unprintable"
        def extract(self, document):
            raise Unprintable()

    class Spinning(Extractor):
        name = "spinning"
        def extract(self, document):
            while True:
                pass

    class LoadHog(Extractor):
        name = "loadhog"
        def load(self):
            self.blocks = [bytearray(50_000_000) for _ in range(40)]
        def extract(self, document):
            return GOOD

    class Flooding(Extractor):
        name = "flooding"
        def extract(self, document):
            chunk = "x" * 1_048_575 + "\\n"
            for _ in range(200):
                sys.stdout.write(chunk)
            sys.stdout.flush()
            os.write(2, b"LAST LINE OF THE FLOOD\\n")
            return GOOD

    class ReturnsSet(Extractor):
        name = "returns-set"
        def extract(self, document):
            return [{"type": "meeting", "slots": {"participants": {"Putin", "Pashinyan"}}}]

    class ReturnsObject(Extractor):
        name = "returns-object"
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": object()}}]

    class ReturnsNaN(Extractor):
        name = "returns-nan"
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": "2021-02-17"}, "confidence": math.nan}]

    class ReturnsCycle(Extractor):
        name = "returns-cycle"
        def extract(self, document):
            record = {"type": "meeting", "slots": {}}
            record["slots"]["self"] = record
            return [record]

    class ReturnsDeep(Extractor):
        name = "returns-deep"
        def extract(self, document):
            value = "x"
            for _ in range(100_000):
                value = [value]
            return [{"type": "meeting", "slots": {"date": value}}]

    class ExitsSilently(Extractor):
        name = "exits-silently"
        def extract(self, document):
            os._exit(0)

    class Segfaults(Extractor):
        name = "segfaults"
        def extract(self, document):
            os.kill(os.getpid(), signal.SIGSEGV)

    class FailsInLoad(Extractor):
        name = "fails-in-load"
        def load(self):
            raise OSError("model file missing")
        def extract(self, document):
            return GOOD

    class FailsInInit(Extractor):
        name = "fails-in-init"
        def __init__(self, config=None):
            raise RuntimeError("bad constructor")

    class TooMany(Extractor):
        name = "too-many"
        def extract(self, document):
            return [{"type": "meeting", "slots": {"date": "2021-02-17", "description": str(i)}}
                    for i in range(50_000)]

    class NotAList(Extractor):
        name = "not-a-list"
        def extract(self, document):
            return {"type": "meeting", "slots": {"date": "2021-02-17"}}

    class AllBad(Extractor):
        name = "all-bad"
        def extract(self, document):
            return ["meeting", 17, None]
''')

BROKEN_IMPORT = textwrap.dedent('''
    from benchmark.extractor import Extractor
    raise ImportError("this plugin needs a library that is not here")

    class Never(Extractor):
        name = "never"
''')


def factbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def manifests(runs: Path) -> dict[str, dict]:
    return {m["extractor"]: m for m in (json.loads(p.read_text()) for p in runs.glob("*/manifest.json"))}


@pytest.fixture()
def faulty(tmp_path: Path) -> Path:
    path = tmp_path / "faulty.py"
    path.write_text(FAULTY)
    return path


# Each fault: class -> (status of the document, the start of its reason; None when ok).
OUTPUT_FAULTS = {
    "Quitting": ("failed", "exception: SystemExit: 0"),
    "Interrupted": ("failed", "exception: KeyboardInterrupt"),
    "Unprintable_": ("failed", "exception: Unprintable: <Unprintable that cannot be shown>"),
    "ReturnsSet": ("failed", "garbage: output is not JSON-serializable"),
    "ReturnsObject": ("failed", "garbage: output is not JSON-serializable"),
    "ReturnsNaN": ("ok", None),  # NaN travels as null, as a predictions file's reader takes it
    "ReturnsCycle": ("failed", "garbage: output is not JSON-serializable"),
    "ReturnsDeep": ("failed", "garbage: output is not JSON-serializable"),
    "ExitsSilently": ("failed", "worker exited with status 0 while extracting tass-2021-02-17 without output"),
    "Segfaults": ("failed", "worker was killed by SIGSEGV while extracting tass-2021-02-17 without output"),
    "FailsInLoad": ("failed", "load failed: OSError: model file missing"),
    "TooMany": ("failed", "garbage: TOO_MANY_RECORDS: more than 10000 records"),
    "NotAList": ("failed", "garbage: no usable record: BAD_FIELD: extract() returned dict, not a list"),
    "AllBad": ("failed", "garbage: no usable record: NOT_AN_OBJECT"),
}
NAMES = {"Unprintable_": "unprintable", "ReturnsSet": "returns-set", "ReturnsObject": "returns-object",
         "ReturnsNaN": "returns-nan", "ReturnsCycle": "returns-cycle", "ReturnsDeep": "returns-deep",
         "ExitsSilently": "exits-silently", "FailsInLoad": "fails-in-load", "TooMany": "too-many",
         "NotAList": "not-a-list", "AllBad": "all-bad"}
RESOURCE_FAULTS = {
    "Spinning": ("failed", "timeout: no answer after 3 s while extracting tass-2021-02-17"),
    "LoadHog": ("failed", "memory limit: resident memory"),
    "Flooding": ("ok", None),
}


def _check(runs: Path, faults: dict[str, tuple[str, str | None]], result: subprocess.CompletedProcess) -> None:
    found = manifests(runs)
    for cls, (status, reason) in faults.items():
        name = NAMES.get(cls, cls.lower())
        manifest = found[name]
        assert manifest["complete"] is True, name
        record = manifest["documents"][DOC]
        assert record["status"] == status, (name, record)
        if reason:
            assert record["reason"].startswith(reason), (name, record["reason"])
            assert f"failed: {name}@default on {DOC}: {reason[:30]}" in " ".join(result.stderr.split()), name
    assert found["oracle"]["documents"][DOC]["status"] == "ok"
    rows = {(r["extractor"], r["regime"]): r for r in _csv(runs / "leaderboard.csv")}
    assert rows[("oracle", "lenient")]["f1"] == "1.0"
    for cls, (status, _) in faults.items():
        name = NAMES.get(cls, cls.lower())
        assert rows[(name, "lenient")]["failed_docs"] == ("1" if status == "failed" else "0"), name
    assert "Traceback" not in result.stderr


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_output_faults_are_recorded_and_the_others_finish(tmp_path: Path, faulty: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN_IMPORT)
    runs = tmp_path / "runs"
    specs = [a for cls in OUTPUT_FAULTS for a in ("-e", f"{faulty}:{cls}")]
    result = factbench("run", *specs, "-e", f"{broken}:Never", "-e", f"{faulty}:FailsInInit", "-e", "oracle",
                       "--documents", "original", "--timeout", "20", "--out", str(runs))
    assert result.returncode == 1, result.stderr
    _check(runs, OUTPUT_FAULTS, result)
    lines = result.stderr.splitlines()
    # the plugins that fail at import or construction run nothing, and say why in one line each
    assert [line for line in lines if "broken.py:Never" in line] == [
        f"factbench: failed: {broken}:Never: extractor {broken}:Never: cannot import {broken}: "
        "ImportError: this plugin needs a library that is not here"]
    assert [line for line in lines if "FailsInInit" in line] == [
        f"factbench: failed: {faulty}:FailsInInit: cannot construct: RuntimeError: bad constructor"]
    assert "never" not in manifests(runs) and "fails-in-init" not in manifests(runs)
    # nothing garbage is cached: a second run tries those documents again (NaN became null: no garbage)
    cached = {p.parent.parent.parent.name for p in (runs / "cache").glob("*/*/*/*.json")}
    assert cached == {"oracle", "returns-nan"}


def test_resource_faults_are_recorded_and_the_log_keeps_a_tail(tmp_path: Path, faulty: Path) -> None:
    runs = tmp_path / "runs"
    specs = [a for cls in RESOURCE_FAULTS for a in ("-e", f"{faulty}:{cls}")]
    result = factbench("run", *specs, "-e", "oracle", "--documents", "original", "--timeout", "3",
                       "--memory-mb", "400", "--out", str(runs))
    assert result.returncode == 1, result.stderr
    _check(runs, RESOURCE_FAULTS, result)
    flooding = manifests(runs)["flooding"]
    assert flooding["log_bytes"] >= 200 * 1_048_576
    log = next(runs.glob("*-flooding-*/worker.log"))
    assert log.stat().st_size <= LOG_TAIL_BYTES + 200
    assert log.read_text().rstrip().endswith("LAST LINE OF THE FLOOD")
    assert flooding["documents"][DOC]["records"] == 1
    rows = {(r["extractor"], r["regime"]): r for r in _csv(runs / "leaderboard.csv")}
    assert int(rows[("flooding", "lenient")]["tp"]) == 3


def test_a_plugin_failing_at_import_alone_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN_IMPORT)
    result = factbench("run", "-e", f"{broken}:Never", "--documents", "original", "--out", str(tmp_path / "runs"))
    assert result.returncode == 1
    assert "ImportError: this plugin needs a library that is not here" in result.stderr
    assert "Traceback" not in result.stderr
    # extract with such a plugin is one EXTRACTOR_FAILED line
    (tmp_path / "news.txt").write_text("Putin met Pashinyan.")
    result = factbench("extract", "-e", f"{broken}:Never", str(tmp_path / "news.txt"))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("factbench: EXTRACTOR_FAILED: ")


# --------------------------------------------------------------------------- ids never escape the runs folder


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_extractor_name_version_and_label_cannot_escape_the_runs_folder(tmp_path: Path) -> None:
    plugin = tmp_path / "escape.py"
    plugin.write_text(textwrap.dedent('''
        from benchmark.extractor import Extractor
        class Escape(Extractor):
            name = "../../../escaped"
            version = "../../v"
            default_config = {"label": ""}
            def extract(self, document):
                return [{"doc_id": "../../../x", "type": "meeting", "slots": {"date": "2021-02-17"}}]
    '''))
    work = tmp_path / "work"
    runs = work / "deep" / "runs"
    before = _files(tmp_path)
    result = factbench("run", "-e", f"{plugin}:Escape", "--set", "../../../escaped.label=../../../../label",
                       "--documents", "original", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    new = _files(tmp_path) - before
    assert new and all(runs in p.parents for p in new), sorted(map(str, new - {p for p in new if runs in p.parents}))
    (run_dir,) = [p for p in runs.iterdir() if (p / "manifest.json").is_file()]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["extractor"] == "../../../escaped" and run_dir.parent == runs
    # the record's hostile doc_id was replaced by the document's own id
    (line,) = (run_dir / "predictions.jsonl").read_text().splitlines()
    assert json.loads(line)["doc_id"] == DOC


def test_runs_helpers_refuse_paths_outside(tmp_path: Path) -> None:
    from benchmark.errors import BadInput
    from benchmark.runs import PredictionCache, inside, new_run_id, safe_part

    for hostile in ("../../x", "..", ".", "/etc/passwd", "a/../../b", "\x00", "", "-", "C:\\x", "~root"):
        part = safe_part(hostile)
        assert "/" not in part and "\\" not in part and part not in (".", "..") and part
        assert inside(tmp_path, part).parent == tmp_path.resolve()
        assert tmp_path.resolve() in inside(tmp_path, safe_part(new_run_id(hostile, hostile, "0" * 12))).parents
    with pytest.raises(BadInput):
        inside(tmp_path, "..", "x")
    with pytest.raises(BadInput):
        inside(tmp_path, "/etc")
    cache = PredictionCache(tmp_path)
    cache.put("../../a", "../b", "../c", "../../d", {"records": []})
    assert all(tmp_path in p.parents for p in _files(tmp_path))
    assert cache.get("../../a", "../b", "../c", "../../d") == {"records": []}


# --------------------------------------------------------------------------- no eval, no pickle

DANGEROUS = re.compile(r"(?<![\w.])(eval|exec|compile|__import__)\s*\(|\bpickle\b|\bcPickle\b|\bdill\b|"
                       r"\bmarshal\b|\bshelve\b|\bjoblib\b|yaml\.(unsafe_)?load\s*\(|yaml\.load_all|"
                       r"torch\.load\s*\(|shell\s*=\s*True|os\.system\s*\(|os\.popen\s*\(")


def test_no_input_is_ever_evaluated_or_unpickled() -> None:
    hits = []
    for folder in ("benchmark", "runners"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if DANGEROUS.search(line.split("#", 1)[0]):
                    hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == []
    # the one literal parser used (for LLM output) is ast.literal_eval, which evaluates no code
    literal = [p for p in (ROOT / "runners").rglob("*.py") if "literal_eval(" in p.read_text(encoding="utf-8")]
    assert all("ast.literal_eval(" in p.read_text(encoding="utf-8") for p in literal)
    assert DANGEROUS.search("x = eval(text)") and DANGEROUS.search("pickle.loads(b)")
    assert not DANGEROUS.search("self.model.eval()")
