"""The runs folder: one folder per run, a prediction cache, atomic writes and a lock.

    runs/
      <run_id>/manifest.json      who ran what, on which gold, how long, complete or not
      <run_id>/predictions.jsonl  raw records, one line each, appended as documents finish
      <run_id>/scores.json        metrics of the run's documents
      <run_id>/facts.jsonl        every atomic fact's outcome with its explanation
      <run_id>/worker.log         the tail (16 KiB) of what the extractor's worker printed
      cache/<extractor>/<version>/<config_hash>/<doc_sha256>.json
      leaderboard.csv, robustness.csv, facts_matrix.csv   (derived; rebuilt from the runs)

A run is counted only once its manifest says `complete`; a run killed midway stays
incomplete and its cached documents are reused when it is run again.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmark.errors import BadInput
from benchmark.types import FactOutcome, field_names

SAFE_PART = re.compile(r"[^A-Za-z0-9._-]+")


def safe_part(text: str, limit: int = 60) -> str:
    """A path component that cannot climb out of its folder."""
    cleaned = SAFE_PART.sub("-", text).strip("-.")[:limit]
    return cleaned or "x"


def inside(root: Path, *parts: str) -> Path:
    """root/parts, refusing any path that resolves outside root."""
    path = root.joinpath(*parts).resolve()
    base = root.resolve()
    if path != base and base not in path.parents:
        raise BadInput(f"path {'/'.join(parts)!r} leaves {root}")
    return path


_TEMPORARY = itertools.count()


def _temporary(path: Path) -> tuple[int, str]:
    """A new file beside `path`, named for this process (no other writer can hold the name), mode 0666 - umask."""
    name = f"{path.parent}/.{path.name}.{os.getpid()}.{next(_TEMPORARY)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(name, flags, 0o666), name
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(name, flags, 0o666), name
    except FileExistsError:  # left by a killed process that had the same pid
        return _temporary(path)


def atomic_write(path: Path, data: str | bytes, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    `durable` also fsyncs, so the file survives a power loss; a killed process never needs it.
    """
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class FactsWriter:
    """facts.jsonl of a run, written document by document (regime by regime, as `Outcomes.jsonl` orders it):
    one temporary file per regime beside the target, joined and renamed at the end. Memory stays flat."""

    def __init__(self, path: Path, regimes: int):
        self.path = path
        self._parts: list[tuple[Any, str]] = []
        for _ in range(regimes):
            fd, tmp = _temporary(path)
            self._parts.append((os.fdopen(fd, "w", encoding="utf-8", newline=""), tmp))

    def add(self, result: Any) -> None:
        """Append one scoring.DocumentResult."""
        for regime_index, (handle, _) in enumerate(self._parts):
            handle.write(result.jsonl(regime_index))

    def finish(self) -> None:
        first, tmp = self._parts[0]
        for handle, name in self._parts[1:]:
            handle.close()
            with open(name, encoding="utf-8", newline="") as part:
                shutil.copyfileobj(part, first, 1 << 20)
        first.flush()
        os.fsync(first.fileno())
        first.close()
        os.replace(tmp, self.path)
        self.discard()

    def discard(self) -> None:
        for handle, name in self._parts:
            handle.close()
            with contextlib.suppress(OSError):
                os.unlink(name)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """An exclusive lock on a runs folder, for rebuilding the CSVs."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- cache


class PredictionCache:
    """Raw predictions per (extractor, version, config hash, document hash)."""

    def __init__(self, root: Path):
        self.root = root / "cache"
        self._folders: dict[tuple[str, str, str], Path] = {}

    def _path(self, name: str, version: str, config_hash: str, doc_sha: str) -> Path:
        folder = self._folders.get((name, version, config_hash))
        if folder is None:
            folder = self._folders[(name, version, config_hash)] = inside(
                self.root, safe_part(name), safe_part(version), safe_part(config_hash))
        return folder / (safe_part(doc_sha, 64) + ".json")  # a safe part never leaves its folder

    def holds(self, name: str, version: str, config_hash: str) -> bool:
        """Whether anything of this extractor (version, config) is cached."""
        return self._path(name, version, config_hash, "x").parent.is_dir()

    def get(self, name: str, version: str, config_hash: str, doc_sha: str) -> dict[str, Any] | None:
        path = self._path(name, version, config_hash, doc_sha)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return entry if isinstance(entry, dict) and "records" in entry else None

    def put(self, name: str, version: str, config_hash: str, doc_sha: str, entry: dict[str, Any]) -> None:
        # The cache can always be rebuilt: an atomic rename is enough, no fsync per document.
        atomic_write(self._path(name, version, config_hash, doc_sha), json.dumps(entry, ensure_ascii=False),
                     durable=False)


# --------------------------------------------------------------------------- run folders


def new_run_id(name: str, label: str, config_hash: str) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{safe_part(name, 40)}-{safe_part(label, 30)}-{config_hash[:8]}-{os.getpid()}"


class RunFolder:
    """One run: its manifest is rewritten atomically; predictions are appended per document."""

    def __init__(self, root: Path, run_id: str, manifest: dict[str, Any]):
        self.path = inside(root, safe_part(run_id, 160))
        self.path.mkdir(parents=True, exist_ok=False)
        self.manifest = manifest
        self.save_manifest()
        self._predictions = open(self.path / "predictions.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def save_manifest(self, durable: bool = True) -> None:
        atomic_write(self.path / "manifest.json", json.dumps(self.manifest, indent=2, ensure_ascii=False),
                     durable=durable)
        self._saved_at = time.monotonic()

    def checkpoint(self, every_s: float = 1.0) -> None:
        """Save the manifest of a run in progress at most every `every_s` seconds (no fsync):
        rewriting it per document would make long runs quadratic. The cache makes resuming safe."""
        if time.monotonic() - self._saved_at >= every_s:
            self.save_manifest(durable=False)

    def append_predictions(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            self._predictions.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._predictions.flush()  # in the OS's hands: a killed process loses nothing

    def facts_writer(self) -> FactsWriter:
        from benchmark.types import REGIMES

        return FactsWriter(self.path / "facts.jsonl", len(REGIMES))

    def save_log(self, log: Any) -> None:
        """Keep the tail of the worker's stdout/stderr (`worker.log`) and how many bytes it wrote in all."""
        if not log.total:
            return
        header = f"[worker wrote {log.total} bytes; the last {len(log.tail)} follow]\n" \
            if log.total > len(log.tail) else ""
        path = self.path / "worker.log"
        previous = path.read_text(encoding="utf-8", errors="replace")[-4096:] if path.exists() else ""
        atomic_write(path, previous + header + log.text())
        self.manifest["log_bytes"] = self.manifest.get("log_bytes", 0) + log.total

    def close(self) -> None:
        self._predictions.flush()
        os.fsync(self._predictions.fileno())
        self._predictions.close()


def warn(message: str) -> None:
    """One warning line on stderr, whatever characters a path or value holds."""
    print(f"factbench: warning: {' '.join(message.split())}", file=sys.stderr)


def count_of(value: Any) -> int:
    """A count read back from a manifest, a cache entry or a worker's reply (`unread`): a positive int, else 0."""
    return value if type(value) is int and value > 0 else 0


def read_manifests(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every run folder's manifest; one that cannot be read is named in a warning and left out."""
    out = []
    if not root.is_dir():
        return out
    for manifest in sorted(root.glob("*/manifest.json")):
        data = _read_manifest(manifest)
        if data is not None:
            out.append((manifest.parent, data))
    return out


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror or exc})"
    except UnicodeDecodeError as exc:
        problem = f"is not UTF-8 (byte {exc.start})"
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON, truncated or corrupt ({exc.msg} at line {exc.lineno} column {exc.colno})"
    else:
        if isinstance(data, dict) and data.get("extractor"):
            return data
        problem = "is not a run manifest (no extractor named)"
    warn(f"{path}: {problem}; its run is not counted")
    return None


# --------------------------------------------------------------------------- outputs


def facts_jsonl(outcomes: Iterable[FactOutcome]) -> str:
    """facts.jsonl text: one JSON object of an outcome's fields per line; a score's `Outcomes` give theirs
    document by document."""
    from benchmark.outcomes import Outcomes, jsonl_lines

    return outcomes.jsonl() if isinstance(outcomes, Outcomes) else jsonl_lines(outcomes)


def write_facts(path: str | Path, outcomes: Iterable[FactOutcome]) -> None:
    atomic_write(Path(path), facts_jsonl(outcomes))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """Numbers stay numbers; None is an empty cell; strings that a spreadsheet would run are neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "" if value != value else round(value, 6)
    if isinstance(value, int):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_text(columns: Iterable[str], rows: Iterable[Sequence[Any]], free: Sequence[int] | None = None) -> str:
    """CSV of rows through `csv_cell`; with `free`, only the cells at those positions can hold arbitrary
    text, and the others (safe ids, a fixed vocabulary) are written as they are. Header cells always go
    through `csv_cell`: some are names a plugin chose."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])  # facts_matrix.csv's columns are extractor names
    cell, formula = csv_cell, _FORMULA_START
    if free is None:
        for row in rows:
            # Most cells are plain strings: only the others go through csv_cell.
            writer.writerow([v if type(v) is str and not v.startswith(formula) else cell(v) for v in row])
    else:
        for row in rows:
            row = list(row)
            for i in free:
                row[i] = cell(row[i])
            writer.writerow(row)
    return buffer.getvalue()


def dataclass_csv(cls: type, rows: Iterable[Any]) -> str:
    """CSV whose columns are the dataclass's fields, in order."""
    names = field_names(cls)
    return csv_text(names, ([getattr(row, n) for n in names] for row in rows))
