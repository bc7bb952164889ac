"""Scoring documents in several processes.

A document's judgments depend only on its gold and its predictions (scoring.DocumentResult),
so a corpus splits into chunks of documents that worker processes score side by side.

Only counts cross the process boundary: a counts-only DocumentResult is a few lists of
integers. The outcomes that explain each value hold references into the scorer's objects, so
scoring that keeps them (`keep_outcomes=True`) stays in one process. Workers are forked, so
they read the parent's gold and predictions without copying them; where fork does not exist
(Windows), documents are scored in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from benchmark.errors import ScoringFailed

if TYPE_CHECKING:
    from benchmark.gold import GoldSet
    from benchmark.scoring import DocumentResult
    from benchmark.types import Prediction

MIN_DOCUMENTS = 64  # below this a fork costs more than it saves
CHUNKS_PER_JOB = 8  # small enough chunks that workers finish together

_WORK: tuple[GoldSet, Mapping[str, Sequence[Prediction]]] | None = None  # read by forked workers


def usable_jobs(jobs: int) -> int:
    """`jobs`, or every core this process may use when it is 0."""
    if jobs < 0:
        raise ValueError(f"jobs must be >= 0, not {jobs}")
    if jobs:
        return jobs
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def score_counts(gold: GoldSet, grouped: Mapping[str, Sequence[Prediction]], doc_ids: Sequence[str],
                 jobs: int) -> dict[str, DocumentResult]:
    """Counts-only results of `doc_ids`, scored by `jobs` forked processes when that pays off."""
    from benchmark.scoring import score_document

    jobs = min(usable_jobs(jobs), max(1, len(doc_ids) // max(1, MIN_DOCUMENTS // 2)))
    if jobs <= 1 or len(doc_ids) < MIN_DOCUMENTS or not can_fork():
        return {d: score_document(gold.documents[d], grouped.get(d, ()), keep=False) for d in doc_ids}
    size = max(1, -(-len(doc_ids) // (jobs * CHUNKS_PER_JOB)))
    chunks = [doc_ids[i:i + size] for i in range(0, len(doc_ids), size)]
    global _WORK
    _WORK = (gold, grouped)
    found: dict[str, DocumentResult] = {}
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for part in pool.map(_score_chunk, chunks):
                found.update(part)
    except BrokenProcessPool:
        raise ScoringFailed("a scoring process died (killed, or out of memory); try fewer --jobs") from None
    finally:
        _WORK = None
    return found


def _score_chunk(doc_ids: Sequence[str]) -> dict[str, DocumentResult]:
    from benchmark.scoring import score_document

    assert _WORK is not None, "a scoring worker must be forked from score_counts"
    gold, grouped = _WORK
    return {d: score_document(gold.documents[d], grouped.get(d, ()), keep=False) for d in doc_ids}
