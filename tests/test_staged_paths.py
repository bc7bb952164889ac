"""The fast paths must agree with the plain ones: the staged gold loader with load_gold, scores from
precomputed document results with a full score, the candidate index with a brute-force comparison, the
runner's streamed facts.jsonl and scores.json with `factbench score`, and CSV cells checked in part."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import MINI_ID, SHIPPED_ID, mini_gold_dict, to_predictions, write_gold_dir

import benchmark.gold as gold_module
from benchmark.cli import main
from benchmark.errors import GoldError
from benchmark.gold import GoldLoader, default_gold_dir, gold_sha256, load_gold
from benchmark.predictions import read_predictions
from benchmark.runs import csv_text, facts_jsonl
from benchmark.scoring import DocumentScorer, positive_cells, prepare_predictions, score, score_document
from benchmark.types import REGIMES
from benchmark.values import compare

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ORDER = ["tass-2021-02-17-cf1", "tass-2021-02-17-cf2", "tass-2021-02-17-cf3", "tass-2021-02-17-para1",
                 "tass-2021-02-17-para2", "tass-2021-02-17-para3", "tass-2021-02-17"]


@pytest.fixture
def no_cache(monkeypatch):
    """A private gold cache: loads are cached by path and mtimes, and a hit would skip the staged path."""
    cache: dict = {}
    monkeypatch.setattr(gold_module, "_CACHE", cache)
    return cache


def _shipped_copy(tmp_path: Path) -> Path:
    source = default_gold_dir()
    shutil.copytree(source, tmp_path / "gold")
    shutil.copytree(source.parent / "seeds", tmp_path / "seeds")
    return tmp_path / "gold"


def _bad_record_dict() -> dict:
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["participants"][0]["entity"] = "biden"
    return gold


# --------------------------------------------------------------------------- 1-2. staged gold loading


@pytest.mark.parametrize("where", ["shipped", "copy"])
def test_staged_loader_equals_load_gold(where, tmp_path, no_cache):
    path = None if where == "shipped" else _shipped_copy(tmp_path)
    fresh = load_gold(path)
    expected_sha = gold_sha256(fresh)
    no_cache.clear()
    loader = GoldLoader(path, staged=True)
    assert loader.gold is None  # nothing validated yet: only the documents were read
    assert list(loader.documents) == SHIPPED_ORDER == list(fresh.documents)
    seeds = (default_gold_dir() if path is None else path).parent / "seeds"
    for doc_id, doc in fresh.documents.items():
        assert loader.digests[doc_id] == hashlib.sha256((seeds / doc.text_file).read_bytes()).hexdigest()
    # The last document first (as a scorer would ask for it), before any step.
    last = loader.document(SHIPPED_ID)
    assert last.id == SHIPPED_ID and len(last.facts()) == 50
    assert last.document is loader.documents[SHIPPED_ID]
    steps = 0
    while loader.step():
        steps += 1
    assert steps == 6 + 7  # the six files not read yet, then one share of the sha256 per document
    assert "sha256" in loader.gold.__dict__  # computed by the steps, not lazily later
    assert loader.step() is False
    gold = loader.finish()
    assert list(gold.documents) == SHIPPED_ORDER
    assert gold.documents[SHIPPED_ID] is last
    assert gold.sha256 == expected_sha == fresh.sha256
    for doc_id in SHIPPED_ORDER:
        assert loader.documents[doc_id] is gold.documents[doc_id].document
    # finish() without any step does everything too.
    no_cache.clear()
    other = GoldLoader(path, staged=True).finish()
    assert other is not gold and list(other.documents) == SHIPPED_ORDER and other.sha256 == expected_sha


def test_staged_loader_fails_early_on_a_bad_document_section(tmp_path, no_cache):
    gold = mini_gold_dict()
    folder = write_gold_dir(tmp_path, gold)
    (tmp_path / "seeds" / gold["document"]["text_file"]).unlink()
    with pytest.raises(GoldError) as staged:
        GoldLoader(folder, staged=True)
    with pytest.raises(GoldError) as plain:
        load_gold(folder)
    assert staged.value.code == plain.value.code == "FILE_NOT_FOUND"
    assert str(staged.value) == str(plain.value)


def test_staged_loader_raises_record_errors_later_as_load_gold_does(tmp_path, no_cache):
    good = mini_gold_dict()
    good["document"].update(id="a-good", text_file="a_good.txt")
    write_gold_dir(tmp_path, good, name="a.json")
    folder = write_gold_dir(tmp_path, _bad_record_dict(), name="b.json")
    with pytest.raises(GoldError) as plain:
        load_gold(folder)
    assert plain.value.code == "UNKNOWN_ENTITY"
    assert plain.value.where == f"{folder / 'b.json'}: record talks slot participants[0]"

    loader = GoldLoader(folder, staged=True)  # both document sections are fine
    assert list(loader.documents) == ["a-good", MINI_ID]
    with pytest.raises(GoldError) as late:
        loader.finish()
    assert (late.value.code, str(late.value)) == (plain.value.code, str(plain.value))

    loader = GoldLoader(folder, staged=True)
    assert loader.step() is True  # a.json
    with pytest.raises(GoldError) as stepped:
        loader.step()  # b.json
    assert (stepped.value.code, str(stepped.value)) == (plain.value.code, str(plain.value))
    for again in (loader.step, loader.finish):  # the same error on every later call
        with pytest.raises(GoldError, match="UNKNOWN_ENTITY"):
            again()

    loader = GoldLoader(folder, staged=True)
    assert len(loader.document("a-good").facts()) == 24
    with pytest.raises(GoldError, match="UNKNOWN_ENTITY"):
        loader.document(MINI_ID)
    assert no_cache == {}  # a failed load is never cached


# --------------------------------------------------------------------------- 3. known results, Outcomes

WRONG = [
    {"type": "meeting", "slots": {"date": "February 2021", "participants": ["Putin", "Aliyev"],
                                  "location": "Sochi"}},
    {"type": "agreement", "slots": {"date": "2020-11-10", "signatories": "Putin, Aliyev and Pashinyan"}},
    {"type": "office_holder", "slots": {"person": "Putin", "office": "President"}},
    {"type": "deployment", "slots": {"force": "peacekeepers Russian", "country": "Russian Federation",
                                     "locations": ["Karabakh", "Stepanakert"]}},
    {"type": "body", "slots": {"chairs": ["Deputy Prime Minister", "President of Russia"], "established": "someday",
                               "focus": ["ties transport", "trade"]}},
    {"type": "conflict_event", "slots": {"date": "1988", "parties": ["Armenia", "Azerbaijan"],
                                         "location": "Nagorno Karabakh"}},
    {"type": "ceasefire", "slots": {"start_date": "November 2020", "region": "Karabakh"}},
    {"type": "meeting", "slots": {"date": "2021-01-11", "participants": "Vladimir Putin and Ilham Aliyev",
                                  "initiator": "Pashinyan", "duration": "four hours", "location": "Moscow"}},
]


def test_known_results_score_as_a_full_score(shipped_gold):
    docs = shipped_gold.scope("all")
    preds = to_predictions(WRONG, SHIPPED_ID) + to_predictions(WRONG[:3], "tass-2021-02-17-cf1")
    full = score(shipped_gold, preds, docs).report
    known = {d: score_document(shipped_gold.documents[d], [p for p in preds if p.doc_id == d]) for d in docs}
    fast = score(shipped_gold, [], docs, known=known).report
    assert fast.as_dict() == full.as_dict()
    assert facts_jsonl(fast.outcomes) == facts_jsonl(full.outcomes)
    # The predictions are wrong in many ways: the comparison is not between two perfect scores.
    strict, lenient = (full.regimes[r].documents[SHIPPED_ID] for r in REGIMES)
    assert (strict.tp, strict.partial, strict.fp, strict.fn) == (16, 0, 15, 34)
    assert (lenient.tp, lenient.partial, lenient.fp, lenient.fn) == (18, 5, 8, 27)
    assert full.parse_errors == 1  # "someday" (WRONG[:3], on cf1, has no parse error)
    assert full.regimes["strict"].f1_ci is not None and full.regimes["strict"].f1_ci == fast.regimes["strict"].f1_ci


def test_counts_only_scores_the_same(shipped_gold):
    preds = to_predictions(WRONG, SHIPPED_ID) + to_predictions(WRONG[:3], "tass-2021-02-17-cf1")
    docs = shipped_gold.scope("all")
    full = score(shipped_gold, preds, docs).report
    counts = score(shipped_gold, preds, docs, keep_outcomes=False).report
    assert counts.as_dict() == full.as_dict()
    assert len(counts.outcomes) == len(full.outcomes) > 0
    for read in (list, lambda o: o[0], facts_jsonl, lambda o: list(o.fact_cells())):
        with pytest.raises(RuntimeError, match="not kept"):
            read(counts.outcomes)


def test_outcomes_is_a_sequence_of_its_items(shipped_gold):
    preds = to_predictions(WRONG, SHIPPED_ID)
    outcomes = score(shipped_gold, preds, (SHIPPED_ID,), bootstrap=0).report.outcomes
    items = list(outcomes)
    assert len(outcomes) == len(items) == (16 + 15 + 34) + (18 + 5 + 8 + 27)  # strict, then lenient
    assert outcomes[0] == items[0] and outcomes[-1] == items[-1] and outcomes[3:7] == tuple(items[3:7])
    assert outcomes == tuple(items) and tuple(items) == outcomes and outcomes != tuple(items[:-1])
    assert [o.regime for o in items] == sorted((o.regime for o in items), key=REGIMES.index)
    assert list(outcomes.fact_cells()) == [(o.fact_id, o.regime, o.outcome) for o in outcomes if o.fact_id]
    # The compact writer and the dataclasses.asdict one write the same bytes.
    asdict_jsonl = "".join(json.dumps(dataclasses.asdict(o), ensure_ascii=False) + "\n" for o in items)
    assert facts_jsonl(outcomes) == facts_jsonl(items) == asdict_jsonl


# --------------------------------------------------------------------------- 4. the candidate index


def test_positive_cells_are_every_cell_with_credit(shipped_gold):
    doc = shipped_gold.documents[SHIPPED_ID]
    scorer = DocumentScorer(doc)
    extra = [
        {"type": "office_holder", "slots": {"person": "Pashinyan", "office": "Prime Minister"}},
        {"type": "body", "slots": {"chairs": ["deputy prime minister of Russia", "Deputy Prime Minister"],
                                   "established": "January 2021", "focus": ["economic ties", "economy links"]}},
        {"type": "meeting", "slots": {"date": "February 17", "participants": ["Putin", "Pashinyan"]}},
        {"type": "deployment", "slots": {"force": "Russian peacekeeping forces", "locations": "contact line"}},
        {"type": "conflict_event", "slots": {"date": "1992", "parties": "Armenia; Azerbaijan"}},
    ]
    records, _ = prepare_predictions(to_predictions(WRONG + extra, SHIPPED_ID), scorer.normalizer, {})
    assert REGIMES == ("strict", "lenient")  # the order positive_cells returns its two maps in
    found: dict[str, set] = {regime: set() for regime in REGIMES}
    expected: dict[str, set] = {regime: set() for regime in REGIMES}
    alike = 0  # record types whose lenient cells add nothing (positive_cells returns None)
    for rtype in sorted({r.prediction.type for r in records}):
        preds = [r for r in records if r.prediction.type == rtype]
        golds = scorer.gold_by_type[rtype]
        strict, lenient = positive_cells(preds, rtype, scorer.index)
        alike += lenient is None
        for regime, cells in zip(REGIMES, (strict, strict if lenient is None else lenient)):
            listed = [(rtype, p, g, slot, *cell) for (p, g), by_slot in cells.items()
                      for slot, slot_cells in by_slot.items() for cell in slot_cells]
            assert len(listed) == len(set(listed)), listed  # no cell twice
            found[regime].update(listed)
        for p, pred in enumerate(preds):
            for g, view in enumerate(golds):
                for slot, pvals in pred.values.items():
                    for i, pv in enumerate(pvals):
                        for j, (_, normals) in enumerate(view.values.get(slot, ())):
                            for regime in REGIMES:
                                credit, reason = compare(pv.normal, normals, regime) if pv.normal else (0, "")
                                if credit > 0:
                                    expected[regime].add((rtype, p, g, slot, i, j, credit, reason))
    assert found == expected
    assert expected["strict"] < expected["lenient"]
    reasons = Counter(cell[-1] for cell in expected["lenient"] - expected["strict"])
    assert reasons == {"truncated_date": 4, "missing_country": 9, "fuzzy_text": 2}
    assert (len(expected["strict"]), len(expected["lenient"])) == (42, 42 + 15)
    assert alike == 1


# --------------------------------------------------------------------------- 5-6. the runner


def test_run_writes_what_score_computes(tmp_path, capsys):
    folder = write_gold_dir(tmp_path / "bench", mini_gold_dict())
    second = mini_gold_dict()
    second["document"].update(id="mini-b", text_file="mini_b.txt")
    write_gold_dir(tmp_path / "bench", second, name="mini_b.json")
    # The oracle reads a gold of its own where mini-b's talks have a truncated date and the wrong place.
    wrong = copy.deepcopy(second)
    wrong["records"][0]["slots"]["date"]["value"] = "2021-03"
    wrong["records"][0]["slots"]["location"]["entity"] = "moscow"
    oracle_gold = write_gold_dir(tmp_path / "oracle", mini_gold_dict())
    write_gold_dir(tmp_path / "oracle", wrong, name="mini_b.json")
    runs = tmp_path / "runs"
    assert main(["run", "-e", "oracle", "--set", f"oracle.gold={oracle_gold}", "--gold", str(folder),
                 "--out", str(runs)]) == 0
    capsys.readouterr()
    [run] = [p.parent for p in runs.glob("*/manifest.json")]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["seed"] == 0 and manifest["status"] == "ok"
    gold = load_gold(folder)
    assert manifest["gold_sha256"] == gold.sha256
    ok_docs = tuple(d for d in gold.scope("all") if manifest["documents"][d]["status"] == "ok")
    assert ok_docs == (MINI_ID, "mini-b")
    predictions = read_predictions(run / "predictions.jsonl", gold.documents)
    report = score(gold, predictions, ok_docs, bootstrap=1000, seed=0).report
    assert (run / "facts.jsonl").read_bytes() == facts_jsonl(report.outcomes).encode("utf-8")
    assert json.loads((run / "scores.json").read_text()) == json.loads(json.dumps(report.as_dict()))
    kinds = Counter((o.regime, o.doc_id, o.outcome) for o in report.outcomes)
    assert kinds == {("strict", MINI_ID, "tp"): 24, ("strict", "mini-b", "tp"): 22, ("strict", "mini-b", "fp"): 2,
                     ("strict", "mini-b", "fn"): 2, ("lenient", MINI_ID, "tp"): 24, ("lenient", "mini-b", "tp"): 22,
                     ("lenient", "mini-b", "partial"): 1, ("lenient", "mini-b", "fp"): 1,
                     ("lenient", "mini-b", "fn"): 1}


def factbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          timeout=240, cwd=ROOT)


def test_run_on_gold_with_a_record_error_aborts_and_is_never_counted(tmp_path):
    bad = write_gold_dir(tmp_path / "bad", _bad_record_dict())
    good = write_gold_dir(tmp_path / "good", mini_gold_dict())
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "empty", "--gold", str(bad), "--out", str(runs))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "UNKNOWN_ENTITY: " in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    manifests = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    assert all(m["complete"] is False and m["status"].startswith("aborted") for m in manifests), manifests
    board = factbench("leaderboard", "--runs", str(runs), "--gold", str(good))
    assert board.returncode == 0, board.stderr
    assert board.stdout.strip() == "no complete runs yet"
    csv_path = runs / "leaderboard.csv"
    assert not csv_path.exists() or ",empty," not in csv_path.read_text()


def test_a_gold_error_found_after_the_documents_still_aborts_cleanly(tmp_path):
    """The broken file is a variant out of scope: nothing reads it before the end of the documents."""
    variant = _bad_record_dict()
    variant["document"].update(id="mini-cf", variant_of=MINI_ID, perturbation="counterfactual")
    folder = write_gold_dir(tmp_path / "g", mini_gold_dict())
    write_gold_dir(tmp_path / "g", variant, name="mini-cf.json")
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "empty", "--documents", "original", "--gold", str(folder), "--out", str(runs))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert "UNKNOWN_ENTITY: " in line and "mini-cf.json" in line
    (manifest,) = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    assert manifest["complete"] is False and manifest["status"] == "aborted: GoldError"
    assert [p.name for p in runs.rglob("*.tmp")] == []  # no half-written facts.jsonl parts


def test_a_record_whose_line_would_be_refused_is_not_kept():
    """What predictions.jsonl's reader refuses (a line over the limit) is never scored from memory either."""
    from benchmark.predictions import MAX_LINE_CHARS, parse_records

    names = ["x" * 9000 for _ in range(MAX_LINE_CHARS // 9000 + 1)]
    kept, problems = parse_records([{"type": "meeting", "slots": {"participants": names}},
                                    {"type": "meeting", "slots": {"date": "2021-02-17"}}], "d", "t")
    assert [p.slots for p in kept] == [{"date": "2021-02-17"}]
    assert [p.code for p in problems] == ["LINE_TOO_LONG"]


# --------------------------------------------------------------------------- 7. CSV cells


def test_csv_text_checks_only_the_free_cells():
    rows = [["=1+1", "-2", "=3", "@x"], ["ok", "+a", "tp", "fn"]]
    assert csv_text(["a", "b", "c", "d"], rows, free=(0, 1)) == "a,b,c,d\n'=1+1,'-2,=3,@x\nok,'+a,tp,fn\n"
    assert csv_text(["a", "b", "c", "d"], rows, free=(2,)) == "a,b,c,d\n=1+1,-2,'=3,@x\nok,+a,tp,fn\n"
    assert csv_text(["a", "b", "c", "d"], rows) == "a,b,c,d\n'=1+1,'-2,'=3,'@x\nok,'+a,tp,fn\n"
    assert csv_text(["a", "b", "c", "d"], [tuple(r) for r in rows], free=(0, 1)) == \
        csv_text(["a", "b", "c", "d"], rows, free=(0, 1))


def test_an_extractor_is_started_early_only_when_it_will_be_needed(tmp_path):
    """A first run starts the extractor before reading the gold; a run that may find it all cached does not."""
    from benchmark.runner import early_worker, make_plan
    from benchmark.runs import PredictionCache

    plan = make_plan("empty", {})
    ex = plan.extractor
    worker = early_worker(plan, tmp_path / "runs", "missing", 512)
    assert worker is not None and not worker.loaded
    worker.wait_loaded()
    assert worker.loaded and worker.info["name"] == "empty"
    assert worker.extract(load_gold().documents[SHIPPED_ID].document, 30)[0] == []
    worker.close()
    assert early_worker(plan, tmp_path / "runs", "always", 512) is None
    PredictionCache(tmp_path / "runs").put(ex.name, ex.version, ex.config_hash(), "0" * 64, {"records": []})
    assert early_worker(plan, tmp_path / "runs", "missing", 512) is None  # something cached: maybe not needed
    never = early_worker(plan, tmp_path / "runs", "never", 512)
    assert never is not None
    never.kill()
    assert never.proc.poll() is not None


SLOW = '''
import time
from benchmark.extractor import Extractor

class Slow(Extractor):
    name = "slow"
    version = "1"

    def extract(self, document):
        time.sleep(0.4)
        return []
'''


def test_an_answer_that_came_in_time_is_no_timeout_after_long_idle_work(tmp_path):
    """The parent's idle work (validating gold) may run past the deadline: what came before it counts."""
    from benchmark.types import Document
    from benchmark.worker import Worker

    plugin = tmp_path / "slow.py"
    plugin.write_text(SLOW)
    document = Document("d1", "hello")
    steps = []

    def idle() -> bool:  # three long steps of gold validation: 0.9 s in all, the answer comes after 0.4 s
        steps.append(1)
        time.sleep(0.3)
        return len(steps) < 3

    with Worker(f"{plugin}:Slow", {}) as worker:
        worker.submit(document)
        assert worker.result(document, 0.5, idle=idle) == ([], pytest.approx(0.4, abs=0.2))
    assert len(steps) >= 2  # the deadline (0.5 s) had passed while the parent worked


def test_a_large_run_is_read_whole_by_the_leaderboard(tmp_path, monkeypatch):
    """The size limit of a predictions file given by hand does not cut a run folder's own file."""
    from benchmark import predictions
    from benchmark.leaderboard import build

    runs = tmp_path / "runs"
    assert main(["run", "-e", "oracle", "--documents", "original", "--out", str(runs)]) == 0
    monkeypatch.setattr(predictions, "MAX_FILE_BYTES", 100)  # far below the run's predictions.jsonl
    rows = {r.regime: r for r in build(runs).rows if r.extractor == "oracle"}
    assert (rows["lenient"].f1, rows["lenient"].tp, rows["lenient"].fn) == (1.0, 50, 0)


# --------------------------------------------------------------------------- 8. parallel scoring


@pytest.fixture
def small_chunks(monkeypatch):
    """Fork workers for the seven shipped documents (normally not worth it below MIN_DOCUMENTS)."""
    from benchmark import parallel

    monkeypatch.setattr(parallel, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(parallel, "CHUNKS_PER_JOB", 2)
    return parallel


def _mixed_predictions():
    return (to_predictions(WRONG, SHIPPED_ID) + to_predictions(WRONG[:3], "tass-2021-02-17-cf1")
            + to_predictions(WRONG[2:], "tass-2021-02-17-para2"))


@pytest.fixture
def scoring_pids(monkeypatch):
    """The ids of the processes that score documents (a set filled as `score_document` runs)."""
    import os

    from benchmark import scoring

    pids = set()
    real = scoring.score_document

    def spy(doc, predictions, keep=True):
        pids.add(os.getpid())
        return real(doc, predictions, keep)

    monkeypatch.setattr(scoring, "score_document", spy)
    return pids


def test_parallel_counts_equal_one_process(shipped_gold, small_chunks, scoring_pids):
    import os

    pids = scoring_pids
    preds, docs = _mixed_predictions(), shipped_gold.scope("all")
    one = score(shipped_gold, preds, docs, keep_outcomes=False).report
    assert pids == {os.getpid()}
    pids.clear()
    two = score(shipped_gold, preds, docs, keep_outcomes=False, jobs=2).report
    assert not pids  # the spy ran in the workers only
    assert two.as_dict() == one.as_dict() == score(shipped_gold, preds, docs).report.as_dict()
    assert len(two.outcomes) == len(one.outcomes)
    lenient = two.regimes["lenient"].overall
    assert (lenient.tp, lenient.partial, lenient.fp, lenient.fn) == (32, 10, 22, 308)
    assert two.duplicates == one.duplicates and two.unknown == one.unknown


def test_parallel_workers_split_into_chunks_in_order(shipped_gold, small_chunks):
    from benchmark.parallel import score_counts

    docs = list(shipped_gold.scope("all"))
    found = score_counts(shipped_gold, {}, docs, jobs=2)
    assert list(found) == docs  # chunks come back in document order
    assert all(r.codes[0] and r.scorer is None and not r.entries[0] for r in found.values())


def test_a_dead_scoring_process_is_one_error(shipped_gold, small_chunks, monkeypatch, capsys):
    import os

    from benchmark import scoring
    from benchmark.errors import ScoringFailed

    parent = os.getpid()

    def dies(doc, predictions, keep=True):
        if os.getpid() != parent:
            os._exit(9)  # as if the system killed it

    monkeypatch.setattr(scoring, "score_document", dies)
    with pytest.raises(ScoringFailed, match="a scoring process died") as failed:
        score(shipped_gold, _mixed_predictions(), shipped_gold.scope("all"), keep_outcomes=False, jobs=2)
    assert failed.value.line().startswith("SCORING_PROCESS_DIED: ") and failed.value.exit_status == 1


def test_score_command_jobs(tmp_path, small_chunks, capsys):
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"doc_id": SHIPPED_ID, **r}) + "\n" for r in WRONG))
    outputs = []
    for jobs in ("1", "2", "0"):
        assert main(["score", "--pred", str(pred), "--documents", "all", "--json", "--jobs", jobs]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2]
    assert main(["score", "--pred", str(pred), "--jobs", "-1"]) == 2
    assert "BAD_ARGUMENT: --jobs -1: expected 0 (every core) to 1024 processes" in capsys.readouterr().err


def test_score_command_uses_every_core_by_default(tmp_path, small_chunks, scoring_pids, monkeypatch, capsys):
    """Without --jobs, `score` forks one process per usable core; --jobs 1 and --facts score in this one."""
    import os

    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"doc_id": SHIPPED_ID, **r}) + "\n" for r in WRONG))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # two usable cores
    monkeypatch.setattr(small_chunks, "CPU_MAX", str(tmp_path / "no-quota"))
    pids = scoring_pids
    outputs = {}
    for name, extra in (("default", []), ("one", ["--jobs", "1"]), ("facts", ["--facts", str(tmp_path / "f.jsonl")])):
        pids.clear()
        assert main(["score", "--pred", str(pred), "--documents", "all", "--json", *extra]) == 0
        outputs[name] = (capsys.readouterr().out, os.getpid() in pids)
    assert outputs["default"][1] is False  # every document was scored in a forked worker
    assert outputs["one"][1] is True and outputs["facts"][1] is True
    assert outputs["default"][0] == outputs["one"][0] == outputs["facts"][0]


@pytest.mark.parametrize(("cpu_max", "cores"), [
    ("150000 100000\n", 2),  # a quota of 1.5 CPUs: 2 processes
    ("50000 100000\n", 1),
    ("max 100000\n", 8),  # no quota
    ("garbled\n", 8),
    (None, 8),  # no cgroup file
])
def test_every_core_means_within_the_cpu_quota(tmp_path, monkeypatch, cpu_max, cores):
    import os

    from benchmark import parallel

    path = tmp_path / "cpu.max"
    if cpu_max is not None:
        path.write_text(cpu_max)
    monkeypatch.setattr(parallel, "CPU_MAX", str(path))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert parallel.usable_jobs(0) == cores
    assert parallel.usable_jobs(3) == 3


def test_no_fork_on_macos(monkeypatch):
    import os
    import sys

    from benchmark import parallel

    monkeypatch.setattr(sys, "platform", "darwin")
    assert not parallel.can_fork()
    assert parallel.forked_map(lambda shared, item: (shared, item, os.getpid()), "s", [1, 2], jobs=2) == [
        ("s", 1, os.getpid()), ("s", 2, os.getpid())]


class _TwoArgumentError(Exception):
    """An error that cannot be unpickled (its __init__ takes two arguments, its args hold one)."""

    def __init__(self, message, detail):
        super().__init__(message)
        self.detail = detail


def _fails_in_workers(shared, item):
    if item == 2:
        raise _TwoArgumentError("broken", 1)
    return item


def _dies_in_workers(shared, item):
    import os

    if item == 2:
        os._exit(9)
    return item


def test_a_worker_error_that_does_not_cross_the_pipe_is_no_death():
    from concurrent.futures.process import BrokenProcessPool

    from benchmark.errors import ScoringFailed
    from benchmark.parallel import forked_map

    assert forked_map(_fails_in_workers, None, [0, 1], 2) == [0, 1]
    with pytest.raises(BrokenProcessPool) as broken:  # a bug, reported as one: never "a process died"
        forked_map(_fails_in_workers, None, [0, 1, 2, 3], 2)
    assert not isinstance(broken.value, ScoringFailed) and broken.value.__cause__ is not None
    with pytest.raises(ScoringFailed):
        forked_map(_dies_in_workers, None, [0, 1, 2, 3], 2)


# --------------------------------------------------------------------------- invariants on mutated gold


def _mutated_value(rng, value, pool):
    """One gold string made right, partial, wrong or broken in the ways the scorer's short paths treat apart."""
    if isinstance(value, list):
        out = [_mutated_value(rng, x, pool) for x in value if rng.random() < 0.8]
        if rng.random() < 0.3:
            out.append(rng.choice(pool))
        return ", ".join(x for x in out if isinstance(x, str)) if rng.random() < 0.2 else out
    r = rng.random()
    if r < 0.3:
        return value
    if r < 0.4 and " of " in value:
        return value.split(" of ")[0]  # an office without its country
    if r < 0.45 and " " in value:
        return " ".join(reversed(value.split()))  # the same words: fuzzy text
    if r < 0.6 and value[:4].isdigit():
        return value[:7] if r < 0.5 else "September 27"  # a truncated date, a date without a year
    if r < 0.65:
        return rng.choice(pool)  # a value of another record
    if r < 0.7:
        return value.upper() + " the"
    if r < 0.75:
        return "unknown"
    if r < 0.8:
        return ["a", "b"] if r < 0.775 else 12  # several values in a scalar slot, a number
    return f"Nonsense {rng.randrange(3)}"


def _mutated_predictions(gold, seed):
    import random

    from benchmark.gold import gold_as_records

    rng = random.Random(seed)
    lines = []
    for doc_id in gold.scope("all"):
        records = gold_as_records(gold.documents[doc_id])
        pool = [x for r in records for v in r["slots"].values() for x in (v if isinstance(v, list) else [v])]
        for record in records:
            for _ in range(rng.choice([0, 1, 1, 2])):
                slots = {k: _mutated_value(rng, v, pool) for k, v in record["slots"].items() if rng.random() < 0.9}
                rtype = record["type"] if rng.random() < 0.9 else rng.choice(records)["type"]
                lines.append({"type": rtype, "slots": slots, "doc_id": doc_id})
                if rng.random() < 0.15:
                    lines.append(copy.deepcopy(lines[-1]))
    return lines


def _predictions(lines):
    out = []
    for doc_id in dict.fromkeys(line["doc_id"] for line in lines):
        out += to_predictions([{k: v for k, v in line.items() if k != "doc_id"} for line in lines
                               if line["doc_id"] == doc_id], doc_id)
    return out


def _judgments(outcomes):
    """Every outcome without its line number (which moves with the line): what a shuffle must not change."""
    return sorted((o.regime, o.doc_id, o.outcome, o.slot, o.fact_id or "", o.gold_record or "", o.predicted or "",
                   o.reason) for o in outcomes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mutated_predictions_score_alike_in_any_order_and_any_mode(shipped_gold, seed):
    """The short paths (counts only, no lenient extra, a slot all matched, a single cell) judge as the long ones."""
    import random

    lines = _mutated_predictions(shipped_gold, seed)
    docs = shipped_gold.scope("all")
    full = score(shipped_gold, _predictions(lines), docs, bootstrap=50)
    reasons = {o.reason for o in full.report.outcomes}
    assert {"truncated_date", "missing_country", "no_year", "parse_error", "wrong_record"} <= reasons
    counts = score(shipped_gold, _predictions(lines), docs, bootstrap=50, keep_outcomes=False)
    assert counts.report.as_dict() == full.report.as_dict()
    random.Random(seed).shuffle(lines)
    shuffled = score(shipped_gold, _predictions(lines), docs, bootstrap=50)
    assert shuffled.report.as_dict() == full.report.as_dict()
    assert _judgments(shuffled.report.outcomes) == _judgments(full.report.outcomes)
    for regime in REGIMES:
        assert (shuffled.tables[regime].units == full.tables[regime].units).all()
