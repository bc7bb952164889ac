"""Scoring in several processes.

A document's judgments depend only on its gold and its predictions (scoring.DocumentResult),
so a corpus splits into chunks of documents that worker processes score side by side; the
bootstrap splits into ranges of resamples (stats.py).

Only counts cross the process boundary: a counts-only DocumentResult is a few lists of
integers. The outcomes that explain each value hold references into the scorer's objects, so
scoring that keeps them (`keep_outcomes=True`) stays in one process. Workers are forked, so
they read the parent's gold and predictions without copying them; where fork does not exist
(Windows) or is unsafe (macOS), documents are scored in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from benchmark.errors import ScoringFailed

if TYPE_CHECKING:
    from benchmark.gold import GoldSet
    from benchmark.scoring import DocumentResult
    from benchmark.types import Prediction

MIN_DOCUMENTS = 64  # below this a fork costs more than it saves
CHUNKS_PER_JOB = 8  # small enough chunks that workers finish together

_SHARED: tuple[Callable[[Any, Any], Any], Any] | None = None  # (function, shared data): read by forked workers
_FORKING = threading.Lock()


CPU_MAX = "/sys/fs/cgroup/cpu.max"  # a container's CPU quota (cgroup v2): "max 100000" or "200000 100000"


def usable_jobs(jobs: int) -> int:
    """`jobs`, or when it is 0 every core this process may use: those it may run on, within its CPU quota."""
    if jobs < 0:
        raise ValueError(f"jobs must be >= 0, not {jobs}")
    if jobs:
        return jobs
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    quota = _cpu_quota()
    return min(cores, quota) if quota else cores


def _cpu_quota() -> int | None:
    """The cores a cgroup CPU quota allows, rounded up; None without one. A pod limited to 2 CPUs on a
    64-core host sees 64 cores: forking 64 workers would only share 2 cores among them."""
    try:
        with open(CPU_MAX, encoding="ascii") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        return None


def can_fork() -> bool:
    """Fork only where it is safe: not on Windows (no fork), nor on macOS, where system libraries (Accelerate
    under numpy) may crash in a forked child and Python itself starts processes by spawning."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def forked_map(function: Callable[[Any, Any], Any], shared: Any, items: Sequence[Any], jobs: int) -> list[Any]:
    """[function(shared, item) for item in items], computed by `jobs` forked processes, in order.

    `shared` reaches the workers through the fork, not through a pipe; only items and results are
    pickled. Without fork (Windows) the items are computed in this process.
    """
    if jobs <= 1 or not can_fork():
        return [function(shared, item) for item in items]
    global _SHARED
    with _FORKING:  # one forked_map at a time per process: the workers read _SHARED
        _SHARED = (function, shared)
        try:
            with ProcessPoolExecutor(min(jobs, len(items)), mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(_call_shared, items))
        except BrokenProcessPool as exc:
            if exc.__cause__ is not None:  # not a death: a result or an error that did not cross the pipe
                raise
            raise ScoringFailed("a scoring process died (killed, or out of memory); try fewer --jobs") from None
        finally:
            _SHARED = None


_ONE_THREAD = False  # set once per worker


def _call_shared(item: Any) -> Any:
    global _ONE_THREAD
    assert _SHARED is not None, "a worker must be forked from forked_map"
    if not _ONE_THREAD:
        # The workers are the parallelism: a BLAS pool of its own in each would oversubscribe the cores
        # (numpy's products then slow down manyfold while its threads spin).
        _ONE_THREAD = True
        with contextlib.suppress(ImportError):
            from threadpoolctl import threadpool_limits  # comes with scikit-learn

            threadpool_limits(1)
    function, shared = _SHARED
    return function(shared, item)


def score_counts(gold: GoldSet, grouped: Mapping[str, Sequence[Prediction]], doc_ids: Sequence[str],
                 jobs: int) -> dict[str, DocumentResult]:
    """Counts-only results of `doc_ids`, scored by `jobs` forked processes when that pays off."""
    jobs = usable_jobs(jobs)
    # At least MIN_DOCUMENTS / 2 documents per process: fewer cost more to fork than they save.
    jobs = min(jobs, len(doc_ids) // max(1, MIN_DOCUMENTS // 2)) if len(doc_ids) >= MIN_DOCUMENTS else 1
    size = max(1, -(-len(doc_ids) // (jobs * CHUNKS_PER_JOB)))
    chunks = [doc_ids[i:i + size] for i in range(0, len(doc_ids), size)]
    found: dict[str, DocumentResult] = {}
    for part in forked_map(_score_chunk, (gold, grouped), chunks, jobs):
        found.update(part)
    return found


def _score_chunk(shared: tuple[GoldSet, Mapping[str, Sequence[Prediction]]], doc_ids: Sequence[str]
                 ) -> dict[str, DocumentResult]:
    from benchmark.scoring import score_document

    gold, grouped = shared
    return {d: score_document(gold.documents[d], grouped.get(d, ()), keep=False) for d in doc_ids}
