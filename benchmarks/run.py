#!/usr/bin/env python
"""factbench performance, measured as ratios in one run (the machine is noisy: medians of interleaved repeats).

    .venv/bin/python benchmarks/run.py            # everything: sizes 100..100k, every installed built-in
    .venv/bin/python benchmarks/run.py --quick    # no heavy extractors, no 100k corpus
    .venv/bin/python benchmarks/run.py --quick --sizes 100 --repeat 1 --no-write   # a smoke test

What it measures (each line of the table says how):

- startup: `factbench --help` and `factbench list` as subprocesses, against a bare `python -c pass`;
- scoring: atomic facts per second of `benchmark.scoring.score` (both regimes, 1,000 bootstrap
  resamples) on synthetic corpora, gold loaded beforehand, without the cyclic garbage collector
  (as the `factbench` command runs), and the scaling exponent of its time (log-log least squares,
  1k documents and up). Every value is judged; the sizes are compared keeping the counts only
  (`keep_outcomes=False`, as `factbench score` without --facts), which keeps the 100k corpus in
  memory; one more row scores the largest of the others keeping every outcome, one in a process per core,
  and one measures what two processes can gain on this machine at all: two processes that share nothing,
  each scoring its own corpus, at once against alone (cores of a shared host are not independent);
- loading: `load_gold` of the synthetic corpus written as files (gold/*.json + seeds/*.txt);
- harness overhead: `factbench run -e rules --gold <1k synthetic documents>` against the same
  extractor called directly on the same texts (`--direct-extract`), each a new process timed
  from start to exit;
- cached re-score: `factbench leaderboard` and `factbench run --reuse always` on the shipped gold
  after a run;
- peak memory of each installed built-in extractor on the article (`peak_mem_mb` of its run).

Commands run as a user's would: with Python's bytecode cache (under the run's temporary folder), even where
the environment sets PYTHONDONTWRITEBYTECODE, so no timed process spends its time recompiling the package.

The synthetic corpus. Document i is one of the shipped gold documents (the article, its two
counterfactuals, its paraphrase) with every word of every person, place and country name (and
their aliases, ids and mentions) replaced by an invented word of the same length that is
unique to the document, and every year (1500-2099) moved by a per-document number of years;
both rewrite the text and the gold together and keep every length, so evidence spans stay
valid and the files pass `load_gold`. Predictions are generated per document from its own
gold: most values right (canonical or an alias or another format), some partial (a truncated
date, an office without its country), some wrong (another entity, a shifted date, an invented
name), some missing, records dropped or duplicated, a spurious record now and then, lists as
strings. All of it is seeded: the same corpus every run. Caches of the scorer are cleared
before every timed call, so no document is scored twice in the same state.

"Atomic facts" are the gold values in scope (about 50 per document): the unit the spec counts.
Throughput also shows the judged values (gold + predicted values) for reference.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmark.gold import GoldSet, default_gold_dir  # noqa: E402
from benchmark.types import (  # noqa: E402
    COUNTRY,
    DATE,
    DURATION,
    OFFICE,
    PERSON,
    PLACE,
    RECORD_TYPES,
    TEXT,
    GoldDocument,
    Prediction,
)

PY = sys.executable
HEAVY = ("spacy", "minilm-qa", "hf-llm", "hf-ner")  # skipped by --quick
TARGETS = {
    "startup": 3.0,  # x bare python
    "facts_per_s": 100_000,  # at 10k documents
    "exponent": 1.1,
    "harness": 1.2,
    "rescore_s": 1.0,
}


# =========================================================================== machine


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    import numpy
    import scipy

    return {
        "cpu": cpu, "cores": f"{usable} usable ({os.cpu_count()} online)", "memory": mem,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "numpy": numpy.__version__, "scipy": scipy.__version__,
    }


# =========================================================================== timing helpers


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed_subprocess(argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                     timeout: float = 3600) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - start, result


def factbench_argv() -> list[str]:
    """The installed console script beside this interpreter, else `python -m benchmark.cli`."""
    script = Path(PY).with_name("factbench")
    return [str(script)] if script.exists() else [PY, "-m", "benchmark.cli"]


def clear_caches() -> None:
    """Forget everything the scorer and the gold loader memoize, so a timed call starts cold."""
    import benchmark.dates
    import benchmark.gold
    import benchmark.scoring
    import benchmark.values

    for module in (benchmark.scoring, benchmark.values, benchmark.gold, benchmark.dates):
        for name, value in list(vars(module).items()):
            if name in ("_SCORERS", "_CACHE") and isinstance(value, dict):
                value.clear()
            elif callable(getattr(value, "cache_clear", None)) and not isinstance(value, type):
                value.cache_clear()  # memoized string functions (fold, dates, tokens), wherever defined
    gc.collect()


# =========================================================================== synthetic corpus

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_YEAR = re.compile(r"(?<![\d\[,])(1[5-9]\d\d|20\d\d)(?!\d)")


class Template:
    """One shipped gold document, ready to be rewritten into many documents of its own."""

    def __init__(self, gold_file: Path, seeds: Path):
        raw = json.loads(gold_file.read_text(encoding="utf-8"))
        self.text = (seeds / raw["document"]["text_file"]).read_text(encoding="utf-8")
        self.base_id = raw["document"]["id"]
        raw["document"]["text_sha256"] = None
        self.json = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        words: set[str] = set()
        for entity in raw["entities"]:
            if entity["type"] in (PERSON, PLACE, COUNTRY):
                for form in (entity["canonical"], *entity.get("aliases", [])):
                    words.update(w for w in re.findall(r"[^\W\d_]+", form) if len(w) >= 4 and w[0].isupper())
        self.words = sorted(words, key=lambda w: (-len(w), w))
        if len(self.words) > 26:
            raise SystemExit(f"{gold_file}: more than 26 name words; extend the code scheme")
        self.pattern = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, self.words)) + r")(?![^\W\d_])",
                                  re.IGNORECASE)
        self.index = {w.casefold(): k for k, w in enumerate(self.words)}

    def codes(self, i: int) -> dict[str, str]:
        """Invented words for document i: same length as the originals, distinct within the document."""
        out = {}
        for word, k in self.index.items():
            n, letters = i, []
            for _ in range(len(word) - 1):
                n, r = divmod(n, 26)
                letters.append(_LETTERS[(r + 7 * k) % 26])
            out[word] = _LETTERS[k].upper() + "".join(letters)
        return out

    def instance(self, i: int) -> tuple[str, dict[str, Any]]:
        codes = self.codes(i)
        delta = (i * 7919) % 7900 - 400  # years stay four digits (1588..9521)

        def name(m: re.Match[str]) -> str:
            found = m.group(0)
            new = codes[found.casefold()]
            if found.isupper():
                return new.upper()
            if found.islower():
                return new.lower()
            return new

        def year(m: re.Match[str]) -> str:
            return str(int(m.group(0)) + delta)

        text = _YEAR.sub(year, self.pattern.sub(name, self.text))
        raw = json.loads(_YEAR.sub(year, self.pattern.sub(name, self.json)))
        doc = raw["document"]
        doc["id"] = f"syn{i:06d}-{self.base_id}"
        doc["text_file"] = f"syn{i:06d}.txt"
        doc["variant_of"] = doc["perturbation"] = None  # each synthetic document is an original of its own
        assert len(text) == len(self.text)
        return text, raw


def templates() -> list[Template]:
    gold_dir = default_gold_dir()
    seeds = gold_dir.parent / "seeds"
    return [Template(path, seeds) for path in sorted(gold_dir.glob("*.json"))]


def gold_document(raw: dict[str, Any], text: str) -> GoldDocument:
    """A GoldDocument from a gold object and its text, through the loader's own parsing (no file)."""
    from benchmark import gold as g
    from benchmark.types import Document
    from benchmark.values import Normalizer

    problems = g._Problems(Path(raw["document"]["text_file"]))
    d = raw["document"]
    document = Document(d["id"], text, d.get("published"), d.get("source"), d.get("variant_of"),
                        d.get("perturbation"))
    entities = g._parse_entities(raw["entities"], problems)
    normalizer = Normalizer(entities)
    records = g._parse_records(raw["records"], document, entities, normalizer, problems)
    errors = [p for p in problems.items if p.severity == "error"]
    if errors:
        raise SystemExit(f"synthetic document {d['id']}: {errors[0]}")
    return GoldDocument(document, d["text_file"], entities, records, "", normalizer)


# -- predictions -------------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _date_forms(iso: str, rng: random.Random) -> tuple[str, str | None, str]:
    """(a correct other format, a partial form or None, a wrong value) of an ISO gold date."""
    parts = iso.split("/")[0].split("-")
    if "/" in iso or len(parts) == 1:
        year = int(parts[0])
        return iso, None, str(year + 1)
    if len(parts) == 2:
        year, month = int(parts[0]), int(parts[1])
        return f"{_MONTHS[month - 1]} {year}", str(year), f"{_MONTHS[month % 12]} {year}"
    year, month, day = (int(p) for p in parts)
    right = rng.choice([f"{day} {_MONTHS[month - 1]} {year}", f"{_MONTHS[month - 1]} {day}, {year}", iso])
    wrong = rng.choice([f"{year}-{month:02d}-{(day % 28) + 1:02d}", f"{_MONTHS[month - 1]} {day}"])  # or no year
    return right, f"{_MONTHS[month - 1]} {year}", wrong


def predictions_for(raw: dict[str, Any], i: int) -> list[dict[str, Any]]:
    """Seeded, partly wrong predictions of one synthetic document, from its own gold."""
    rng = random.Random(i)
    entities = {e["id"]: e for e in raw["entities"]}
    by_type: dict[str, list[str]] = {}
    for e in raw["entities"]:
        by_type.setdefault(e["type"], []).append(e["id"])
    doc_id = raw["document"]["id"]
    out: list[dict[str, Any]] = []
    for record in raw["records"]:
        if rng.random() < 0.08:
            continue  # a record missed
        spec = RECORD_TYPES[record["type"]]
        slots: dict[str, Any] = {}
        for key in ("name", "description"):
            if isinstance(record.get(key), str) and rng.random() < 0.6:
                slots[key] = record[key]
        for slot, value in record.get("slots", {}).items():
            if slot not in spec:
                continue
            if not spec[slot].scored:
                if isinstance(value, str) and rng.random() < 0.6:
                    slots[slot] = value
                continue
            items = value if isinstance(value, list) else [value]
            produced = []
            for item in items:
                r = rng.random()
                if r >= 0.88:
                    continue  # a value missed
                if "entity" in item:
                    e = entities[item["entity"]]
                    forms = [e["canonical"], *e.get("aliases", [])]
                    if r < 0.62:
                        produced.append(e["canonical"])
                    elif r < 0.74:
                        produced.append(rng.choice(forms))
                    elif r < 0.80 and e["type"] == OFFICE:
                        produced.append(e.get("role") or e["canonical"])  # no country: lenient partial
                    elif r < 0.84:
                        other = rng.choice(by_type[e["type"]])
                        produced.append(entities[other]["canonical"])  # another entity: wrong
                    else:
                        produced.append(f"Zq{rng.choice(_LETTERS)}{i % 997} Xyv")  # invented: unsupported
                    continue
                literal = item["value"]
                vtype = spec[slot].value_type
                if vtype == DATE:
                    right, partial, wrong = _date_forms(literal, rng)
                    produced.append(right if r < 0.72 else (partial or right) if r < 0.80 else wrong)
                elif vtype == DURATION:
                    produced.append(literal if r < 0.7 else "four hours" if r < 0.8 else "PT1H")
                elif vtype == TEXT:
                    aliases = item.get("aliases", [])
                    produced.append(literal if r < 0.7 else rng.choice(aliases) if aliases and r < 0.8
                                    else f"the {literal}" if r < 0.84 else f"{literal} mission of state")
                else:
                    produced.append(literal)
            if not produced:
                continue
            if spec[slot].is_list:
                slots[slot] = ", ".join(produced) if rng.random() < 0.15 else produced
            else:
                slots[slot] = produced[0]
        out.append({"doc_id": doc_id, "type": record["type"], "slots": slots})
        if rng.random() < 0.05:
            out.append(dict(out[-1]))  # an exact duplicate
    if rng.random() < 0.3:  # a spurious record
        out.append({"doc_id": doc_id, "type": "meeting", "slots": {
            "date": f"{1990 + i % 30}-0{1 + i % 9}-1{i % 10}", "participants": [f"Qorv{i % 101} Tallen", "N/A"],
            "location": rng.choice(["Qelmar", "unknown"])}})
    return out


class Corpus:
    """n synthetic documents in memory: a GoldSet and its predictions."""

    def __init__(self, n: int, tmpls: list[Template]):
        from benchmark.predictions import parse_records

        start = time.perf_counter()
        documents: dict[str, GoldDocument] = {}
        self.predictions: list[Prediction] = []
        for i in range(n):
            text, raw = tmpls[i % len(tmpls)].instance(i)
            doc = gold_document(raw, text)
            documents[doc.id] = doc
            kept, problems = parse_records(predictions_for(raw, i), doc.id, "synthetic")
            assert not problems, problems[:3]
            self.predictions.extend(kept)
        self.gold = GoldSet(documents, "synthetic")
        self.doc_ids = tuple(documents)
        self.facts = sum(len(d.facts()) for d in documents.values())
        self.built_s = time.perf_counter() - start
        start = time.perf_counter()
        _ = self.gold.sha256
        self.sha_s = time.perf_counter() - start


def write_corpus(n: int, tmpls: list[Template], folder: Path) -> Path:
    """gold/*.json + seeds/*.txt of n synthetic documents under folder; returns the gold folder."""
    (folder / "gold").mkdir(parents=True, exist_ok=True)
    (folder / "seeds").mkdir(parents=True, exist_ok=True)
    import hashlib

    for i in range(n):
        text, raw = tmpls[i % len(tmpls)].instance(i)
        data = text.encode("utf-8")
        raw["document"]["text_sha256"] = hashlib.sha256(data).hexdigest()
        (folder / "seeds" / raw["document"]["text_file"]).write_bytes(data)
        (folder / "gold" / f"{raw['document']['id']}.json").write_text(
            json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder / "gold"


# =========================================================================== measurements


class Results:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []  # measure, value, target, verdict
        self.notes: list[str] = []
        self.on_add: Callable[[], None] = lambda: None  # e.g. rewrite the results file: a killed run keeps its rows

    def add(self, measure: str, value: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "MISSED")
        self.rows.append((measure, value, target, verdict))
        print(f"  {measure}: {value}" + (f"  (target {target}: {verdict})" if target else ""), flush=True)
        self.on_add()


def measure_startup(res: Results, repeat: int) -> None:
    print("startup ...", flush=True)
    fb = factbench_argv()
    cases = {"bare": [PY, "-c", "pass"], "help": [*fb, "--help"], "list": [*fb, "list"]}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(max(5, repeat * 5)):
        for name, argv in cases.items():
            seconds, result = timed_subprocess(argv)
            if result.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} failed: {result.stderr[-500:]}")
            times[name].append(seconds)
    bare = median(times["bare"])
    for name in ("help", "list"):
        ratio = median(times[name]) / bare
        res.add(f"startup `factbench {'--help' if name == 'help' else 'list'}` / `python -c pass`",
                f"{ratio:.2f}x ({median(times[name]) * 1000:.0f} ms vs {bare * 1000:.0f} ms)",
                f"<= {TARGETS['startup']:g}x", ratio <= TARGETS["startup"])


def _score_once(corpus: Corpus, keep_outcomes: bool = False, jobs: int = 1) -> float:
    from benchmark.scoring import score

    clear_caches()
    gc.disable()  # as in the `factbench` command, which runs without the cyclic collector (cli.console)
    try:
        start = time.perf_counter()
        scored = score(corpus.gold, corpus.predictions, corpus.doc_ids, bootstrap=1000, seed=0,
                       keep_outcomes=keep_outcomes, jobs=jobs)
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    corpus.judged = len(scored.report.outcomes) // 2
    del scored
    return seconds


CEILING_WAIT_S = 600  # the longest a process of `two_process_ceiling` waits for the other


def _ceiling_worker(k: int, n: int, repeat: int, tmpls: list[Template], barrier: Any, out: Any) -> None:
    """One of two forked processes of `two_process_ceiling`: its own corpus, scored alone or beside the other."""
    corpus = Corpus(n, tmpls)  # built after the fork: nothing of it is shared with the other process
    barrier.wait()
    for r in range(repeat):
        alone = _score_once(corpus) if r % 2 == k else None  # the other process waits at the barrier
        barrier.wait()
        beside = _score_once(corpus)
        barrier.wait()
        out.put((r, alone, beside))


def two_process_ceiling(n: int, repeat: int, tmpls: list[Template]) -> tuple[float, float, float]:
    """How much two processes can gain on this machine: two forked processes each build their own n-document
    corpus (no page of it shared) and score it, in turn alone and both at once. Returns (median seconds alone,
    median seconds of the slower of the two at once, throughput of two at once / one alone)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    # A process that dies breaks the barrier for the other, and the wait for results ends: nothing hangs.
    barrier, out = context.Barrier(2, timeout=CEILING_WAIT_S), context.Queue()
    workers = [context.Process(target=_ceiling_worker, args=(k, n, repeat, tmpls, barrier, out)) for k in range(2)]
    for worker in workers:
        worker.start()
    try:
        found = [out.get(timeout=CEILING_WAIT_S) for _ in range(2 * repeat)]
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
    alone = median([a for _, a, _ in found if a is not None])
    slower = median([max(b for r, _, b in found if r == round_) for round_ in range(repeat)])
    return alone, slower, 2 * alone / slower


def measure_scoring(res: Results, sizes: list[int], repeat: int, tmpls: list[Template], workdir: Path,
                    before_big: Callable[[], None] = lambda: None) -> None:
    """Sizes up to 10k: interleaved repeats; larger sizes once each, after `before_big` (other measurements
    run first, so a long 100k corpus never costs them)."""
    print(f"scoring: building corpora {sizes} ...", flush=True)
    small = [n for n in sizes if n <= 10_000]
    corpora = {n: Corpus(n, tmpls) for n in small}
    for n, c in corpora.items():
        print(f"  {n} documents: {c.facts} gold facts, {len(c.predictions)} predicted records, built in "
              f"{c.built_s:.1f} s", flush=True)
    from benchmark.parallel import can_fork, usable_jobs

    times: dict[int, list[float]] = {n: [] for n in sizes}
    kept: list[float] = []  # the largest small size, keeping every outcome
    jobs = usable_jobs(0) if can_fork() else 1
    parallel: list[float] = []  # the largest small size, counts scored by one process per core
    _score_once(Corpus(8, tmpls))  # warm-up: lazy imports (scipy) are paid once per process, not per size
    for r in range(repeat):
        order = small if r % 2 == 0 else small[::-1]
        for n in order:
            times[n].append(_score_once(corpora[n]))
        kept.append(_score_once(corpora[small[-1]], keep_outcomes=True))
        if jobs > 1:
            parallel.append(_score_once(corpora[small[-1]], jobs=jobs))
        print(f"  round {r + 1}: " + ", ".join(f"{n}: {times[n][-1]:.2f} s" for n in small)
              + f"; {small[-1]} keeping outcomes: {kept[-1]:.2f} s"
              + (f"; {small[-1]} in {jobs} processes: {parallel[-1]:.2f} s" if parallel else ""), flush=True)
    ceiling = None
    if jobs > 1:
        ceiling_docs = min(1000, small[-1])
        print(f"  two processes, each scoring its own {ceiling_docs}-document corpus, alone and at once", flush=True)
        ceiling = (ceiling_docs, *two_process_ceiling(ceiling_docs, repeat, tmpls))
    facts = {n: corpora[n].facts for n in small}
    judged = {n: corpora[n].judged for n in small}
    corpora.clear()
    gc.collect()
    before_big()
    for n in [m for m in sizes if m > 10_000]:
        big = Corpus(n, tmpls)
        print(f"  {n} documents: {big.facts} gold facts, built in {big.built_s:.1f} s; scoring once ...", flush=True)
        times[n].append(_score_once(big))
        facts[n], judged[n] = big.facts, big.judged
        print(f"  {n}: {times[n][-1]:.2f} s", flush=True)
        del big
        gc.collect()
    for n in sizes:
        t = median(times[n])
        target = n == 10_000
        res.add(f"scoring {n:,} documents ({facts[n]:,} gold facts, {judged[n]:,} judged values), 1,000 bootstrap "
                "resamples, counts kept (`keep_outcomes=False`), one process",
                f"{facts[n] / t:,.0f} gold facts/s ({judged[n] / t:,.0f} judged values/s; {t:.2f} s, median of "
                f"{len(times[n])})",
                f">= {TARGETS['facts_per_s']:,} facts/s" if target else "",
                facts[n] / t >= TARGETS["facts_per_s"] if target else None)
        if n == small[-1]:
            t = median(kept)
            res.add(f"scoring {n:,} documents, every outcome kept for facts.jsonl and reports (the default)",
                    f"{facts[n] / t:,.0f} gold facts/s ({t:.2f} s, median of {len(kept)})")
            if parallel:
                t = median(parallel)
                res.add(f"scoring {n:,} documents, counts kept, {jobs} processes (`jobs={jobs}`, `--jobs {jobs}`)",
                        f"{facts[n] / t:,.0f} gold facts/s ({t:.2f} s, median of {len(parallel)}; "
                        f"{median(times[n]) / t:.2f}x one process)",
                        f">= {TARGETS['facts_per_s']:,} facts/s" if target else "",
                        facts[n] / t >= TARGETS["facts_per_s"] if target else None)
            if ceiling:
                docs, alone, slower, gain = ceiling
                res.add(f"scoring {docs:,} documents in two processes that share nothing (each its own corpus), both "
                        "at once / one alone: what two processes can gain on this machine",
                        f"{gain:.2f}x the throughput of one ({alone:.2f} s alone, {slower:.2f} s for the slower of "
                        f"two at once, medians of {repeat})")
    fit = [n for n in sizes if n >= 1000]
    if len(fit) >= 2:
        xs = [math.log(facts[n]) for n in fit]
        ys = [math.log(median(times[n])) for n in fit]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        res.add(f"scaling exponent of scoring time, {fit[0]:,} to {fit[-1]:,} documents (log-log least squares)",
                f"{slope:.3f}", f"<= {TARGETS['exponent']:g}", slope <= TARGETS["exponent"])
    else:
        res.add("scaling exponent of scoring time", "n/a (needs two sizes >= 1,000)")


def measure_loading(res: Results, n: int, repeat: int, tmpls: list[Template], workdir: Path) -> None:
    from benchmark.gold import load_gold

    print(f"loading {n} documents from files ...", flush=True)
    folder = workdir / f"files-{n}"
    start = time.perf_counter()
    gold_dir = write_corpus(n, tmpls, folder)
    written = time.perf_counter() - start
    times, sha = [], []
    for _ in range(max(1, repeat)):
        clear_caches()
        gc.disable()  # as in the `factbench` command (cli.console)
        try:
            start = time.perf_counter()
            gold = load_gold(gold_dir)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            _ = gold.sha256
            sha.append(time.perf_counter() - start)
        finally:
            gc.enable()
        del gold
    facts = None
    t = median(times)
    res.add(f"`load_gold` of {n:,} synthetic documents (gold/*.json + seeds/*.txt, written in {written:.1f} s)",
            f"{t:.2f} s ({t / n * 1000:.2f} ms/document; gold sha256 {median(sha):.2f} s more)")
    shutil.rmtree(folder, ignore_errors=True)
    return facts


def direct_extract(gold_dir: Path) -> None:
    """The baseline of the harness measurement: read the texts, call the extractor on each, nothing else."""
    from benchmark.types import Document
    from runners.rules import RulesExtractor

    seeds = gold_dir.parent / "seeds"
    documents = []
    for path in sorted(gold_dir.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))["document"]
        documents.append(Document(d["id"], (seeds / d["text_file"]).read_text(encoding="utf-8"), d.get("published"),
                                  d.get("source"), d.get("variant_of"), d.get("perturbation")))
    extractor = RulesExtractor({})
    extractor.ensure_loaded()
    for document in documents:
        extractor.extract(document)


def measure_harness(res: Results, n: int, repeat: int, tmpls: list[Template], workdir: Path) -> None:
    """`factbench run -e rules` against the same extractor called directly on the same texts, each in a
    new process timed from start to exit, so both pay the interpreter's start and their imports."""
    print(f"harness overhead on {n} documents ...", flush=True)
    gold_dir = write_corpus(n, tmpls, workdir / f"harness-{n}")
    direct, harness = [], []
    for r in range(repeat):
        for which in (("direct", "run") if r % 2 == 0 else ("run", "direct")):
            if which == "direct":
                seconds, result = timed_subprocess([PY, str(Path(__file__).resolve()), "--direct-extract",
                                                    str(gold_dir)], cwd=workdir)
                if result.returncode != 0:
                    raise SystemExit(f"direct extraction failed: {result.stderr[-800:]}")
                direct.append(seconds)
            else:
                out = workdir / f"harness-runs-{r}"
                seconds, result = timed_subprocess(
                    [*factbench_argv(), "run", "-e", "rules", "--gold", str(gold_dir), "--out", str(out),
                     "--documents", "all"], cwd=workdir)
                if result.returncode != 0:
                    raise SystemExit(f"factbench run failed: {result.stderr[-800:]}")
                harness.append(seconds)
                shutil.rmtree(out, ignore_errors=True)
        print(f"  round {r + 1}: direct {direct[-1]:.1f} s, factbench run {harness[-1]:.1f} s", flush=True)
    ratio = median(harness) / median(direct)
    res.add(f"harness: `factbench run -e rules` on {n:,} synthetic documents / `RulesExtractor.extract` on the "
            "same texts, each a new process",
            f"{ratio:.2f}x ({median(harness):.1f} s vs {median(direct):.1f} s, medians of {repeat})",
            f"<= {TARGETS['harness']:g}x", ratio <= TARGETS["harness"])


def installed_builtins() -> list[str]:
    from benchmark.registry import entries

    return [name for name, e in entries().items() if e.origin == "built-in" and not e.missing]


def measure_rescore_and_memory(res: Results, repeat: int, quick: bool, workdir: Path) -> None:
    print("cached re-score and peak memory ...", flush=True)
    runs = workdir / "runs-shipped"
    fb = factbench_argv()
    light = ["rules", "oracle", "empty"]
    seconds, result = timed_subprocess([*fb, "run", *[arg for x in light for arg in ("-e", x)], "--out", str(runs)],
                                       cwd=workdir)
    if result.returncode != 0:
        raise SystemExit(f"factbench run failed: {result.stderr[-800:]}")
    print(f"  first run of {', '.join(light)} on every shipped document: {seconds:.1f} s", flush=True)
    peaks: dict[str, str] = {}
    for name in installed_builtins():
        if name in ("oracle", "empty") or name in light:
            continue
        if quick and name in HEAVY:
            peaks[name] = "skipped (--quick)"
            continue
        seconds, result = timed_subprocess([*fb, "run", "-e", name, "--documents", "original", "--out", str(runs),
                                            "--timeout", "1800"], cwd=workdir, timeout=7200)
        last_line = " ".join(result.stderr.strip().splitlines()[-1:])
        if result.returncode == 2 or ("skipping" in result.stderr and "factbench run" not in result.stderr):
            peaks[name] = "unavailable: " + last_line[:80]
        elif result.returncode != 0:  # e.g. hf-ner without a model to run: its peak would be an idle worker's
            reason = re.sub(r" at \S+:\d+$", "", last_line.rsplit("load failed: ", 1)[-1])
            # "factbench: failed: hf-ner@default on <doc>: BAD_ARGUMENT: <why>": the why, after the first code.
            peaks[name] = "not run: " + re.sub(r"^.*?\b[A-Z][A-Z_]+: ", "", reason)[:100]
        print(f"  {name} on the article: {seconds:.1f} s (exit {result.returncode})", flush=True)
    bare, board, always = [], [], []
    for _ in range(max(3, repeat)):
        bare.append(timed_subprocess([PY, "-c", "pass"])[0])
        seconds, result = timed_subprocess([*fb, "leaderboard", "--runs", str(runs)], cwd=workdir)
        if result.returncode != 0:
            raise SystemExit(f"factbench leaderboard failed: {result.stderr[-800:]}")
        board.append(seconds)
        seconds, result = timed_subprocess([*fb, "run", "--reuse", "always", *[arg for x in light for arg in ("-e", x)],
                                            "--out", str(runs)], cwd=workdir)
        always.append(seconds)
    groups = len({p.parent for p in runs.glob("*/manifest.json")})
    res.add(f"cached re-score: `factbench leaderboard` (shipped gold, all documents, {groups} runs)",
            f"{median(board):.2f} s (bare python {median(bare) * 1000:.0f} ms)", f"< {TARGETS['rescore_s']:g} s",
            median(board) < TARGETS["rescore_s"])
    res.add(f"cached re-score: `factbench run --reuse always -e {' -e '.join(light)}`",
            f"{median(always):.2f} s", f"< {TARGETS['rescore_s']:g} s", median(always) < TARGETS["rescore_s"])
    manifests = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    for name in installed_builtins():
        found = [m.get("peak_mem_mb") for m in manifests
                 if m["extractor"] == name and m.get("status") == "ok" and m.get("peak_mem_mb")]
        if found and name not in peaks:
            peaks[name] = f"{max(found):.0f} MiB"
        else:
            peaks.setdefault(name, "unavailable (no run)")
    res.add("peak resident memory per built-in extractor (worker `peak_mem_mb`, on the article)",
            "; ".join(f"{k} {v}" for k, v in sorted(peaks.items())))


# =========================================================================== report


def markdown(res: Results, info: dict[str, str], args: argparse.Namespace, total_s: float) -> str:
    lines = [
        "# factbench performance",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} memory; {info['python']} on {info['os']}; "
        f"numpy {info['numpy']}, scipy {info['scipy']}.",
        f"Command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`".rstrip() + f" ({total_s / 60:.1f} min). "
        "Ratios are medians of interleaved repeats measured in the same run; absolute times depend on the "
        "machine and its load.",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
    ]
    sections = ("startup", "scoring", "scaling", "`load_gold`", "harness", "cached", "peak")

    def section(row: tuple[str, str, str, str]) -> int:
        return next((i for i, p in enumerate(sections) if row[0].startswith(p)), len(sections))

    for measure, value, target, verdict in sorted(res.rows, key=section):
        lines.append(f"| {measure} | {value} | {target} | {verdict} |")
    lines.append("")
    lines.extend(res.notes)
    return "\n".join(lines) + "\n"


def keep_bytecode(workdir: Path) -> None:
    """Let the commands timed here cache their compiled bytecode, as Python does by default, even where the
    environment turns that off (PYTHONDONTWRITEBYTECODE): otherwise every `factbench` process recompiles the
    package from source, which no installed copy does. The cache goes under `workdir`, not into the sources."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the heavy extractors and the 100k corpus")
    parser.add_argument("--sizes", default=None, help="corpus sizes, comma-separated (default 100,1000,10000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats per measurement (default 3)")
    parser.add_argument("--harness-docs", type=int, default=None, help="documents of the harness test (default 1000)")
    parser.add_argument("--only", default="startup,scoring,loading,harness,rescore",
                        help="comma-separated parts to run")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results.md"))
    parser.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    parser.add_argument("--direct-extract", metavar="GOLD_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.direct_extract:
        direct_extract(Path(args.direct_extract))
        return 0
    sizes = [int(s) for s in (args.sizes or ("100,1000,10000" if args.quick else "100,1000,10000,100000")).split(",")]
    harness_docs = args.harness_docs or min(1000, max(sizes))
    parts = set(args.only.split(","))
    started = time.perf_counter()
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    res = Results()
    if not args.no_write:
        def partial() -> None:
            text = markdown(res, info, args, time.perf_counter() - started)
            Path(args.out).write_text(text + "\n(partial: the run was still measuring)\n", encoding="utf-8")

        res.on_add = partial
    tmpls = templates()
    with tempfile.TemporaryDirectory(prefix="factbench-bench-") as tmp:
        workdir = Path(tmp)
        keep_bytecode(workdir)
        if "startup" in parts:
            measure_startup(res, args.repeat)

        def others() -> None:
            if "loading" in parts:
                measure_loading(res, min(10_000, max(sizes)), args.repeat, tmpls, workdir)
            if "harness" in parts:
                measure_harness(res, harness_docs, args.repeat, tmpls, workdir)
            if "rescore" in parts:
                measure_rescore_and_memory(res, args.repeat, args.quick, workdir)

        if "scoring" in parts:
            measure_scoring(res, sizes, args.repeat, tmpls, workdir, before_big=others)
        else:
            others()
    text = markdown(res, info, args, time.perf_counter() - started)
    print()
    print(text)
    if not args.no_write:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
