"""`factbench run` and `factbench extract`: extractors x documents, cached, isolated, recorded.

For each extractor (a name, a preset, a config), every document in scope is taken
from the prediction cache when allowed, else extracted in the extractor's worker
process under its limits. Predictions, scores and per-fact outcomes go to a run
folder as they come; the manifest says `complete` only at the end. The CSVs are then
rebuilt from every run in the folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmark.errors import BadInput, ExtractorFailed
from benchmark.extractor import Extractor
from benchmark.types import Document, Prediction

if TYPE_CHECKING:
    from benchmark.gold import GoldLoader
    from benchmark.worker import Worker

# The benchmark runs offline: models come from installed packages, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PACKAGES = ("numpy", "scipy", "scikit-learn", "datasets", "transformers", "torch", "spacy", "accelerate", "gguf")


@dataclass
class Plan:
    """One leaderboard row to produce: an extractor class, its preset and its config."""

    spec: str
    cls: type[Extractor]
    preset: str | None
    extractor: Extractor
    origin: str

    @property
    def worker_target(self) -> str:
        """What the worker resolves: the path or module target as given, else the registered name
        (its config, preset included, travels separately)."""
        return self.spec if ":" in self.spec else self.extractor.name

    @property
    def title(self) -> str:
        return f"{self.extractor.name}@{self.extractor.config_label()}"


def parse_sets(items: list[str]) -> dict[str, dict[str, str]]:
    """`--set NAME.key=value` -> {NAME: {key: value}}."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        target, sep, value = item.partition("=")
        name, dot, key = target.rpartition(".")
        if not sep or not dot or not name or not key:
            raise BadInput(f"--set {item!r}: expected NAME.key=value", code="BAD_ARGUMENT")
        out.setdefault(name, {})[key] = value
    return out


class PluginBroken(ExtractorFailed):
    """A plugin raised while being imported or constructed in the parent: that extractor fails (exit 1)."""


CONSTRUCT_LIMIT_S = 60.0  # what a constructor may take in the parent: heavy work belongs in load()
LOAD_TIMEOUT_S = 900.0  # what load() may take in the worker (--load-timeout)


class _TookTooLong(BaseException):
    """Raised into a plugin's constructor that overran its time (a BaseException: no `except Exception`
    of the plugin swallows it)."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the block past `seconds` (where a timer signal can reach it: the main thread, POSIX)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def interrupt(signum, frame):
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, interrupt)
    started = time.monotonic()
    outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    if outer and outer < seconds:  # a caller's own timer, due first, stays in charge
        signal.setitimer(signal.ITIMER_REAL, outer, interval)
        signal.signal(signal.SIGALRM, previous)
        yield
        return
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # a caller's timer, due later: it goes on with what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer - (time.monotonic() - started)), interval)


def make_plan(spec: str, sets: dict[str, dict[str, str]], limit_s: float = CONSTRUCT_LIMIT_S) -> Plan:
    """The plan of one extractor spec. The plugin's code runs here with what it prints sent to stderr
    (stdout carries results); its import was tried in a child process first (registry), and its
    constructor gets `limit_s` seconds."""
    from benchmark.registry import entries, plugin_imports, resolve

    with contextlib.redirect_stdout(sys.stderr), plugin_imports(spec):
        try:
            cls, preset, origin = resolve(spec)
        except BadInput as exc:
            if exc.__cause__ is not None and not isinstance(exc.__cause__, BadInput):
                message = str(exc).removeprefix(f"{exc.code}: ")
                raise PluginBroken(f"{spec}: {message}") from None  # the plugin's own import raised
            raise
        config: dict[str, Any] = dict(cls.presets.get(preset, {})) if preset else {}
        config.update(sets.get(getattr(cls, "name", ""), {}))
        config.update(sets.get(spec, {}))
        try:
            with _time_limit(limit_s):
                extractor = cls(config)
                extractor.name, extractor.version, extractor.config_hash(), extractor.config_label()
        except BadInput:
            raise
        except _TookTooLong:
            raise PluginBroken(f"{spec}: cannot construct: took longer than {limit_s:g} s (heavy work belongs "
                               "in load())") from None
        except (Exception, SystemExit) as exc:  # a plugin's __init__ or attributes may raise anything
            raise PluginBroken(f"{spec}: cannot construct: {type(exc).__name__}: {exc}") from None
    builtin = entries().get(extractor.name)
    if (builtin is not None and builtin.origin == "built-in" and spec.partition("@")[0] != extractor.name
            and not _is_target(cls, builtin.target)):
        # Runs are cached and ranked by name: a plugin named like a built-in (a subclass inherits the name)
        # would be served the built-in's cached predictions and take its row.
        raise PluginBroken(f"{spec}: its name {extractor.name!r} is the built-in extractor {builtin.target}; "
                           "give it a name of its own")
    return Plan(spec, cls, preset, extractor, origin)


def _is_target(cls: type, target: str) -> bool:
    """True when `cls` is the class `target` (module:Class) names, loaded from its file by path."""
    import importlib.util
    import inspect

    module_name, _, attr = target.partition(":")
    try:
        found = importlib.util.find_spec(module_name)
        source = inspect.getfile(cls)
    except (ImportError, ValueError, TypeError):
        return False
    origin = found.origin if found is not None else None
    return origin is not None and Path(origin).resolve() == Path(source).resolve() and cls.__qualname__ == attr


def is_reference(plan: Plan) -> bool:
    """Reference rows (never ranked) are the built-in references only: a plugin cannot opt out of ranking."""
    from benchmark.registry import REFERENCES

    return bool(plan.extractor.reference) and plan.origin == "built-in" and plan.extractor.name in REFERENCES


def check_set_targets(sets: dict[str, dict[str, str]], plans: list[Plan], given: list[str] = ()) -> None:
    """A `--set` for an extractor that is not run is a typo, never silently ignored."""
    unknown = set(sets) - {p.extractor.name for p in plans} - {p.spec for p in plans} - set(given)
    if unknown:
        raise BadInput(f"--set names extractors that are not run: {', '.join(sorted(unknown))}",
                       code="BAD_ARGUMENT")


def _check_limits(args) -> None:
    import math

    for flag, value in (("--timeout", args.timeout), ("--load-timeout", getattr(args, "load_timeout", 1.0))):
        if not (math.isfinite(value) and value > 0):
            raise BadInput(f"{flag} {value}: expected a positive number of seconds", code="BAD_ARGUMENT")
    if getattr(args, "memory_mb", 1) <= 0:
        raise BadInput(f"--memory-mb {args.memory_mb}: expected a positive number of MiB", code="BAD_ARGUMENT")
    if not 0 <= getattr(args, "seed", 0) < 2**32:
        raise BadInput(f"--seed {args.seed}: expected 0 <= seed < 2**32", code="BAD_ARGUMENT")


def default_plans(sets: dict[str, dict[str, str]], limit_s: float = CONSTRUCT_LIMIT_S) -> list[Plan]:
    """Every built-in that is installed and works offline (each preset a row), plus the references.

    One that cannot be set up is skipped with a notice, unless `--set` configured it: a wrong setting
    is the user's to fix (exit 2), not a row to drop quietly."""
    from benchmark.registry import entries

    plans = []
    for name, entry in entries().items():
        if entry.origin != "built-in":
            continue
        if entry.missing:
            print(f"factbench: skipping {name}: missing {', '.join(entry.missing)}", file=sys.stderr)
            continue
        try:
            cls = make_plan(name, sets, limit_s).cls
        except BadInput as exc:
            if any(target.partition("@")[0] == name for target in sets):
                raise
            print(f"factbench: skipping {name}: {exc}", file=sys.stderr)
            continue
        for preset in (sorted(cls.presets) or [None]):
            plan = make_plan(f"{name}@{preset}" if preset else name, sets, limit_s)
            reason = plan.extractor.is_available()
            if reason or not cls.offline:
                print(f"factbench: skipping {plan.title}: {reason or 'needs the network'}", file=sys.stderr)
                continue
            plans.append(plan)
    return plans


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def select_shard(doc_ids: tuple[str, ...], shard: str | None) -> tuple[str, ...]:
    """Documents of shard I/N (0-based I): every N-th document of the sorted ids, from the I-th."""
    if not shard:
        return doc_ids
    try:
        index, count = (int(x) for x in shard.split("/"))
    except ValueError:
        raise BadInput(f"--shard {shard!r}: expected I/N, e.g. 0/4", code="BAD_ARGUMENT") from None
    if not (count >= 1 and 0 <= index < count):
        raise BadInput(f"--shard {shard!r}: need 0 <= I < N", code="BAD_ARGUMENT")
    return tuple(d for i, d in enumerate(sorted(doc_ids)) if i % count == index)


@dataclass
class RunOutcome:
    plan: Plan
    failed: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the run folder
    results: dict[str, Any] = field(default_factory=dict)  # doc_id -> scoring.DocumentResult, for the leaderboard
    unread: dict[str, int] = field(default_factory=dict)  # doc_id -> answers the extractor could not read


def run_plan(plan: Plan, gold: GoldLoader, doc_ids: tuple[str, ...], root: Path, *, timeout: float,
             memory_mb: int, reuse: str, seed: int, shard: str | None, progress, worker: Worker | None = None,
             load_timeout: float = LOAD_TIMEOUT_S) -> RunOutcome:
    """Run one extractor over the documents; write its run folder; never raise for its failures.

    The worker holds the next documents to extract while the parent handles the last answer (parse,
    cache, append, score) and, while it waits, validates the gold still unread: on two cores the
    harness works while the extractor does. A gold error raises GoldError (the run stays incomplete).
    `worker`: this plan's worker, started already (see `early_worker`). An extractor that cannot be
    loaded fails every document still to extract with the reason, without loading it again for each.
    """
    from benchmark import __version__
    from benchmark.predictions import parse_records, prediction_to_json
    from benchmark.runs import PredictionCache, RunFolder, count_of, new_run_id, now
    from benchmark.scoring import score_document
    from benchmark.worker import Worker, WorkerFailure

    ex = plan.extractor
    cache = PredictionCache(root)
    manifest: dict[str, Any] = {
        "run_id": "", "extractor": ex.name, "extractor_version": ex.version, "origin": plan.origin,
        "spec": plan.spec, "preset": plan.preset, "config": ex.config, "config_hash": ex.config_hash(),
        "config_label": ex.config_label(), "reference": is_reference(plan), "gold_sha256": None,  # at the end
        "factbench_version": __version__, "git_commit": _git_commit(), "packages": package_versions(),
        "python": sys.version.split()[0], "seed": seed, "shard": shard, "reuse": reuse,
        "limits": {"timeout_s": timeout, "load_timeout_s": load_timeout, "memory_mb": memory_mb},
        "documents": {}, "timings": {"load_s": None, "extract_s": 0.0, "total_s": None},
        "peak_mem_mb": None, "created_at": now(), "finished_at": None, "complete": False, "status": "running",
    }
    run_id = new_run_id(ex.name, ex.config_label(), ex.config_hash())
    manifest["run_id"] = run_id
    try:
        folder = RunFolder(root, run_id, manifest)
        facts = folder.facts_writer()
    except BaseException:
        if worker is not None:
            worker.kill()
        raise
    outcome = RunOutcome(plan, path=folder.path)
    queued: list[str] = []  # documents sent to the worker and not answered yet, oldest first
    load_failure: str | None = None  # why the extractor could not be loaded: every document fails with it
    shas: dict[str, str] = {}
    entries: dict[str, dict[str, Any] | None] = {}

    def cached(doc_id: str) -> dict[str, Any] | None:
        if doc_id not in entries:
            shas[doc_id] = gold.digests[doc_id]
            entries[doc_id] = cache.get(ex.name, ex.version, ex.config_hash(), shas[doc_id]) \
                if reuse != "never" else None
        return entries[doc_id]

    scan = 0  # documents before this one were looked at for the worker already

    def next_for_worker(position: int, reach: int = 64) -> str | None:
        """The first document after `position` (and within `reach`), not queued yet, that the worker
        has to extract."""
        nonlocal scan
        scan = max(scan, position + 1)
        while scan < min(len(doc_ids), position + 1 + reach):
            doc = doc_ids[scan]
            if doc not in queued and reuse != "always" and cached(doc) is None:
                return doc
            scan += 1
        return None

    def drop_worker() -> None:
        nonlocal worker, scan
        manifest["peak_mem_mb"] = max(manifest["peak_mem_mb"] or 0, worker.peak_mb)
        worker.kill()
        folder.save_log(worker.log)
        worker, scan = None, 0
        queued.clear()  # lost with the worker: each is sent again when its turn comes

    def run_documents() -> None:
        """Every document: from the cache or the worker, then parsed, cached, appended and scored."""
        nonlocal worker, lines, load_failure
        for position, doc_id in enumerate(doc_ids):
            document: Document = gold.documents[doc_id]
            entry = cached(doc_id)
            entries.pop(doc_id, None)
            record: dict[str, Any] = {"sha256": shas.pop(doc_id)}
            if entry is None and reuse == "always":
                record.update(status="failed", reason="not in the cache (--reuse always)")
            elif entry is not None:
                seconds = entry.get("seconds")
                record.update(status="ok", source="cache",
                              seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0)
            elif load_failure is not None:
                record.update(status="failed", reason=load_failure)
            else:
                loading = False
                try:
                    if worker is None:
                        loading = True
                        worker = Worker(plan.worker_target, ex.config, memory_mb=memory_mb, wait=False,
                                        load_timeout=load_timeout)
                    if not worker.loaded:
                        loading = True
                        worker.wait_loaded()
                        manifest["timings"]["load_s"] = worker.load_s
                    loading = False
                    if not queued:
                        worker.submit(document)
                        queued.append(doc_id)
                    raw, seconds = worker.result(document, timeout, idle=gold.step)
                    queued.pop(0)
                    entry = {"records": raw, "seconds": seconds, "created_at": now()}
                    if worker.last_unread:
                        entry["unread"] = worker.last_unread
                    record.update(status="ok", source="run", seconds=seconds)
                except WorkerFailure as exc:
                    record.update(status="failed", reason=str(exc))
                    if loading:
                        load_failure = str(exc)
                    if worker is not None:
                        drop_worker()
                    worker = None
                # Two documents in the worker's hands: it never waits for the parent between them.
                # The second goes only if it fits in the pipe, so a busy worker never blocks the parent.
                while worker is not None and len(queued) < 2:
                    following = next_for_worker(position)
                    if following is None:
                        break
                    try:
                        if not worker.submit(gold.documents[following], worker.queue_bytes if queued else None):
                            break
                        queued.append(following)
                    except WorkerFailure:  # gone between two documents: the next one starts a new worker
                        drop_worker()
            if entry is not None:
                kept, problems = parse_records(entry["records"], doc_id, f"{ex.name} on {doc_id}")
                record["records"] = len(kept)
                unread = count_of(entry.get("unread"))
                if unread:
                    record["unread"] = outcome.unread[doc_id] = unread  # answers it could not read: parse errors
                if problems:
                    record["problems"] = [str(p) for p in problems[:20]]
                    record["problem_count"] = len(problems)
                garbage = _garbage(entry["records"], kept, problems)
                if garbage:
                    # Nothing usable (not a list, every record bad) or more records than the limit:
                    # the document failed; its output is neither cached nor scored.
                    record.update(status="failed", reason=f"garbage: {garbage}", records=0)
                    kept = []
                elif record.get("source") == "run":
                    cache.put(ex.name, ex.version, ex.config_hash(), record["sha256"], entry)
                folder.append_predictions(prediction_to_json(p) for p in kept)
                manifest["timings"]["extract_s"] += float(record.get("seconds") or 0.0)
                if record["status"] == "ok":
                    # Scored as written: line numbers are those of predictions.jsonl.
                    kept = [Prediction(p.doc_id, p.type, p.slots, p.evidence, p.confidence, lines + k)
                            for k, p in enumerate(kept, start=1)]
                    outcome.results[doc_id] = result = score_document(gold.document(doc_id), kept)
                    facts.add(result)
                lines += len(kept)
            if record["status"] == "failed":
                outcome.failed[doc_id] = record["reason"]
            manifest["documents"][doc_id] = record
            folder.checkpoint()
            progress.update(1)

    lines = 0
    started = time.perf_counter()
    try:
        try:
            run_documents()
        except BaseException:
            if worker is not None:
                drop_worker()  # at once: a closing worker would finish what it holds first
            raise
        finally:
            if worker is not None:
                worker.close()
                manifest["peak_mem_mb"] = max(manifest["peak_mem_mb"] or 0, worker.peak_mb)
                folder.save_log(worker.log)
            folder.close()
        complete = gold.finish()
        manifest["gold_sha256"] = complete.sha256
        _score_run(folder, complete, doc_ids, outcome, seed, facts)
    except BaseException as exc:
        facts.discard()
        manifest["status"] = f"aborted: {type(exc).__name__}"
        folder.save_manifest()
        raise
    manifest["timings"]["total_s"] = time.perf_counter() - started
    manifest["finished_at"] = now()
    manifest["complete"] = True
    manifest["status"] = "failed" if outcome.failed else "ok"
    folder.save_manifest()
    return outcome


def _garbage(raw: Any, kept: list, problems: list) -> str | None:
    """Why an extractor's output for a document is unusable as a whole, or None."""
    too_many = next((p for p in problems if p.code == "TOO_MANY_RECORDS"), None)
    if too_many is not None:
        return f"{too_many.code}: {too_many.message}"
    if problems and not kept and (raw or not isinstance(raw, list)):
        first = problems[0]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return f"no usable record: {first.code}: {first.message}{more}"
    return None


def _score_run(folder, gold, doc_ids, outcome: RunOutcome, seed: int, facts) -> None:
    from benchmark.runs import atomic_write
    from benchmark.scoring import score

    ok_docs = tuple(d for d in doc_ids if d not in outcome.failed)
    report = score(gold, (), ok_docs, bootstrap=1000, seed=seed, known=outcome.results).report
    # Answers the extractor could not read are parse errors too: output that never became predictions.
    # `unread_answers` says how many of the parse errors they are (written when there are any: otherwise
    # scores.json is what `factbench score --json` prints for the run's predictions).
    unread = sum(outcome.unread.get(d, 0) for d in ok_docs)
    data = dataclasses.replace(report, parse_errors=report.parse_errors + unread).as_dict()
    if unread:
        data["unread_answers"] = unread
    atomic_write(folder.path / "scores.json", json.dumps(data, indent=2))
    facts.finish()  # facts.jsonl, written document by document as they were scored


def early_worker(plan: Plan, root: Path, reuse: str, memory_mb: int, load_timeout: float = LOAD_TIMEOUT_S
                 ) -> Worker | None:
    """The first extractor's process, started before the gold is read when it will surely be needed
    (nothing of it is cached yet): its start and loading overlap the parent's reading."""
    from benchmark.runs import PredictionCache
    from benchmark.worker import Worker, WorkerFailure

    ex = plan.extractor
    if reuse == "always" or (reuse != "never" and PredictionCache(root).holds(ex.name, ex.version,
                                                                               ex.config_hash())):
        return None
    try:
        return Worker(plan.worker_target, ex.config, memory_mb=memory_mb, wait=False, load_timeout=load_timeout)
    except WorkerFailure:
        return None  # run_plan starts it again and records why it failed


def run_command(args) -> int:
    from benchmark.gold import GoldLoader
    from benchmark.leaderboard import print_leaderboard, rebuild

    _check_limits(args)
    sets = parse_sets(args.set)
    limit = min(CONSTRUCT_LIMIT_S, args.timeout)
    failures: list[str] = []
    if args.extractor:
        plans = []
        for spec in args.extractor:
            try:
                plans.append(make_plan(spec, sets, limit))
            except PluginBroken as exc:  # its import or constructor raised: a failed extractor, not bad input
                failures.append(str(exc))
    else:
        plans = default_plans(sets, limit)
    check_set_targets(sets, plans, args.extractor)
    root = Path(args.out)
    early = early_worker(plans[0], root, args.reuse, args.memory_mb, args.load_timeout) if plans else None
    try:
        # Documents first: extraction starts while the rest of the gold is validated (GoldLoader).
        gold = GoldLoader(args.gold, staged=True)
        doc_ids = select_shard(gold.scope(args.documents), args.shard)
        try:
            if root.exists() and not root.is_dir():
                raise NotADirectoryError(20, "not a folder")
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"--out {args.out}: {exc.strerror or exc}", code="IO_ERROR") from None
    except BaseException:
        if early is not None:
            early.kill()
        raise
    from tqdm import tqdm

    known: dict[Path, dict[str, Any]] = {}  # run folder -> its documents' scoring results
    with tqdm(total=len(plans) * len(doc_ids), unit="doc", disable=not sys.stderr.isatty(),
              desc="factbench run") as progress:
        for number, plan in enumerate(plans):
            progress.set_postfix_str(plan.title)
            result = run_plan(plan, gold, doc_ids, root, timeout=args.timeout, memory_mb=args.memory_mb,
                              reuse=args.reuse, seed=args.seed, shard=args.shard, progress=progress,
                              worker=early if number == 0 else None, load_timeout=args.load_timeout)
            known[result.path] = result.results
            for doc_id, reason in result.failed.items():
                failures.append(f"{plan.title} on {doc_id}: {reason}")
    rows = rebuild(root, gold_path=args.gold, known=known, seed=args.seed)
    print_leaderboard(rows)
    for failure in failures:
        print(f"factbench: failed: {' '.join(failure.split())}", file=sys.stderr)
    return 1 if failures else 0


def extract_command(args) -> int:
    from benchmark.worker import Worker, WorkerFailure

    _check_limits(args)
    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise BadInput(exc.strerror or str(exc), code="FILE_NOT_FOUND", where=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", code="NOT_UTF8", where=str(path)) from None
    if args.published:
        import re

        from benchmark.dates import resolve_date

        try:
            valid = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.published)) and \
                resolve_date(args.published, None) == args.published
        except ValueError:
            valid = False
        if not valid:
            raise BadInput(f"--published {args.published!r}: expected YYYY-MM-DD", code="BAD_ARGUMENT")
    sets = parse_sets(args.set)
    plan = make_plan(args.extractor, sets, min(CONSTRUCT_LIMIT_S, args.timeout))
    check_set_targets(sets, [plan])
    document = Document(id=_doc_id(path), text=text, published=args.published)
    try:
        with Worker(plan.worker_target, plan.extractor.config, load_timeout=args.load_timeout) as worker:
            records, _ = worker.extract(document, args.timeout)
            unread = worker.last_unread
    except WorkerFailure as exc:
        if exc.reported is not None:  # a missing dependency, a bad config: the error as the extractor raised it
            raise exc.reported from None
        raise ExtractorFailed(f"{plan.title}: {exc}") from None
    if unread:
        print(f"factbench: {plan.title}: {unread} answer(s) could not be read (counted as parse errors when "
              "scored in a run)", file=sys.stderr)
    from benchmark.predictions import parse_records, prediction_to_json

    kept, problems = parse_records(records, document.id, plan.title)
    for problem in problems:
        print(f"factbench: {problem}", file=sys.stderr)
    out = sys.stdout
    for prediction in kept:
        out.write(json.dumps(prediction_to_json(prediction), ensure_ascii=False) + "\n")
    return 1 if problems and not kept else 0


def _doc_id(path: Path) -> str:
    from benchmark.runs import safe_part

    return safe_part(path.stem, 100)


def check_plugin_command(args) -> int:
    from benchmark.plugincheck import check_plugin

    _check_limits(args)
    violations = check_plugin(args.target, parse_sets(args.set), timeout=args.timeout)
    for line in violations:
        print(f"violation: {' '.join(line.split())}")
    if violations:
        print(f"{args.target}: {len(violations)} contract violation(s)")
        return 1
    print(f"{args.target}: follows the extractor contract")
    return 0

