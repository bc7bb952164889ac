"""Each extractor runs in a worker process of its own, with a time and a resident-memory limit.

A crash, a hang, a memory blow-up, a flood of output or garbage costs that extractor
its document, never the run: the parent records the reason and goes on. The limit is
on resident memory (polled from /proc), not on address space, which torch exceeds at
import. Replies travel on a private pipe; whatever the plugin prints goes to its log.

Protocol (JSON lines): the parent sends `{"op": "extract", "doc": {...}}` or `{"op": "exit"}`
on stdin; the worker answers on the reply pipe `{"op": "loaded"|"result", "ok": ..., ...}`. A result
carries the records, the seconds taken and `unread`: the answers the extractor reported it could not
read (`last_stats["parse_failures"]`), which count as parse errors. NaN and infinity travel as null.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmark.errors import FactbenchError, ReportedError
from benchmark.runs import count_of
from benchmark.types import Document

LOG_TAIL_BYTES = 16_384
MAX_REPLY_BYTES = 200_000_000


class WorkerFailure(Exception):
    """The worker could not deliver: the message is the reason recorded in the run. `reported`: the
    factbench error the extractor's own code raised (a missing dependency, a bad config), if any."""

    def __init__(self, message: str, reported: ReportedError | None = None):
        super().__init__(message)
        self.reported = reported


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MiB, from /proc; zeros where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return 0.0, 0.0


@dataclass
class _LogTail:
    """Keeps the last bytes a worker wrote to stdout/stderr, however much it writes."""

    tail: bytes = b""
    total: int = 0

    def feed(self, stream) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.total += len(chunk)
            self.tail = (self.tail + chunk)[-LOG_TAIL_BYTES:]

    def text(self) -> str:
        return self.tail.decode("utf-8", "replace")


def _pipe_size(fd: int) -> int:
    try:
        import fcntl

        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError, OSError):
        return 4096  # POSIX guarantees at least this much


class Worker:
    """The parent's handle on one extractor process."""

    def __init__(self, spec: str, config: dict[str, Any], preset: str | None = None, *,
                 memory_mb: int = 8192, load_timeout: float = 900.0, env: dict[str, str] | None = None,
                 wait: bool = True):
        """Start the extractor's process; with `wait` (the default), wait until it is loaded. Without,
        `wait_loaded()` waits later: the parent can do other work while the extractor loads."""
        self.spec, self.config, self.preset = spec, config, preset
        self.memory_mb = memory_mb
        self.peak_mb = 0.0
        self.load_s: float | None = None
        self.log = _LogTail()
        read_fd, write_fd = os.pipe()
        self._reply_fd = read_fd
        self._buffer = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmark.worker", str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), start_new_session=True, env={**os.environ, **(env or {}), "FACTBENCH_WORKER": "1"},
        )
        os.close(write_fd)
        # What a queued request may take of the pipe to the worker without ever blocking the parent.
        self.queue_bytes = min(32_768, _pipe_size(self.proc.stdin.fileno()) // 2)
        self._log_thread = threading.Thread(target=self.log.feed, args=(self.proc.stdout,), daemon=True)
        self._log_thread.start()
        self._send({"op": "init", "spec": spec, "preset": preset, "config": config})
        self._load_timeout = load_timeout
        self.loaded = False
        self.info: dict[str, Any] = {}
        self.last_unread = 0  # answers of the last document the extractor could not read (its parse failures)
        if wait:
            self.wait_loaded()

    def wait_loaded(self) -> None:
        """Wait for the extractor to be loaded; raises WorkerFailure if it could not be."""
        if self.loaded:
            return
        reply = self._receive(self._load_timeout, "loading")
        if not reply.get("ok"):
            self.kill()
            reported = reply.get("reported")
            if isinstance(reported, dict) and isinstance(reported.get("line"), str):
                error = ReportedError(reported["line"], reported.get("code"), int(reported.get("status") or 2))
                raise WorkerFailure(error.line(), error)
            raise WorkerFailure(f"load failed: {reply.get('error', 'unknown error')}")
        self.loaded = True
        self.load_s = reply.get("load_s")
        self.info = reply.get("info", {})

    # -- transport ---------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        self._write((json.dumps(message) + "\n").encode())

    def _write(self, line: bytes) -> None:
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerFailure(self._exit_reason("before it could take a request")) from exc

    def _exit_reason(self, when: str) -> str:
        code = self.proc.wait(timeout=5)
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            how = f"was killed by {name}"
        else:
            how = f"exited with status {code}"
        tail = self.log.text().strip().splitlines()
        last = f": {tail[-1][:300]}" if tail else ""
        return f"worker {how} {when} without output{last}"

    def _receive(self, timeout: float, doing: str, idle: Callable[[], bool] | None = None) -> dict[str, Any]:
        """The next reply. `idle` is work of the parent's to do while none has come: a call returns
        True while there is more (each should take a millisecond or so)."""
        deadline = time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        selector.register(self._reply_fd, selectors.EVENT_READ)
        measured = 0.0
        try:
            while b"\n" not in self._buffer:
                # What has come is read first: an answer in time is never a timeout, and the memory of the
                # next document (the worker may hold two) is never blamed on this one.
                if not selector.select(timeout=0):
                    now = time.monotonic()
                    if now > deadline:
                        self.kill()
                        raise WorkerFailure(f"timeout: no answer after {timeout:g} s while {doing}")
                    if now - measured >= 0.05:
                        measured = now
                        rss, hwm = _rss_mb(self.proc.pid)
                        self.peak_mb = max(self.peak_mb, rss, hwm)
                        if rss > self.memory_mb:
                            self.kill()
                            raise WorkerFailure(f"memory limit: resident memory {rss:.0f} MiB > {self.memory_mb} "
                                                f"MiB while {doing}")
                    if idle is not None:
                        if idle():
                            continue
                        idle = None  # nothing left to do: wait
                    if not selector.select(timeout=min(0.05, max(0.0, deadline - now))):
                        continue
                chunk = os.read(self._reply_fd, 1 << 20)
                if not chunk:
                    raise WorkerFailure(self._exit_reason(f"while {doing}"))
                self._buffer += chunk
                if len(self._buffer) > MAX_REPLY_BYTES:
                    self.kill()
                    raise WorkerFailure(f"garbage: reply larger than {MAX_REPLY_BYTES} bytes while {doing}")
        finally:
            selector.close()
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge integers, deep nesting
            raise WorkerFailure(f"garbage: unreadable reply while {doing}") from exc
        if not isinstance(reply, dict):
            raise WorkerFailure(f"garbage: unreadable reply while {doing}")
        return reply

    # -- public ------------------------------------------------------------------------
    def extract(self, document: Document, timeout: float) -> tuple[Any, float]:
        """(records as returned, seconds); raises WorkerFailure with the reason."""
        self.submit(document)
        return self.result(document, timeout)

    def submit(self, document: Document, limit: int | None = None) -> bool:
        """Queue a document; the worker takes requests in order, so the next ones can be on their way while
        the parent handles the last answer. With `limit`, a request longer than that many bytes is not sent
        (False): a busy worker reads none, and one that fits in the pipe never blocks the parent.
        Raises WorkerFailure if the worker is gone."""
        if self.proc.poll() is not None:
            raise WorkerFailure(self._exit_reason("before this document"))
        line = (json.dumps({"op": "extract", "doc": asdict(document)}) + "\n").encode()
        if limit is not None and len(line) > limit:
            return False
        self._write(line)
        return True

    def result(self, document: Document, timeout: float, idle: Callable[[], bool] | None = None
               ) -> tuple[Any, float]:
        """The answer to the oldest submitted document: (records as returned, seconds).

        The timeout runs from this call: the worker started the document at the earliest when it
        answered the one before, which the parent had read before calling. `idle`: see `_receive`.
        """
        reply = self._receive(timeout, f"extracting {document.id}", idle)
        if not reply.get("ok"):
            raise WorkerFailure(reply.get("error", "unknown error"))
        self.last_unread = count_of(reply.get("unread"))
        seconds = reply.get("seconds")
        return reply.get("records"), float(seconds) if isinstance(seconds, (int, float)) else 0.0

    def close(self) -> None:
        if self.proc.poll() is None:
            _, hwm = _rss_mb(self.proc.pid)
            self.peak_mb = max(self.peak_mb, hwm)
            try:
                self._send({"op": "exit"})
                self.proc.wait(timeout=10)
            except (WorkerFailure, subprocess.TimeoutExpired):
                self.kill()
        self._cleanup()

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        with contextlib.suppress(OSError):
            os.close(self._reply_fd)
        self._reply_fd = -1
        self._log_thread.join(timeout=1)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- worker side


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    try:
        text = str(exc)
    except Exception:  # a plugin's exception whose __str__ raises
        text = f"<{type(exc).__name__} that cannot be shown>"
    if len(text) > 2000:
        text = text[:2000] + "…"
    return f"{type(exc).__name__}: {text}{where}"


def _exit_with_parent() -> None:
    """A worker whose parent died (SIGKILL, OOM killer) exits too instead of running on as an orphan.

    It lives in a session of its own, so killing the parent's process group does not reach it.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, daemon=True, name="factbench-parent-watch").start()


def _unread(extractor: Any) -> int:
    """How many of its answers the extractor could not read on the last document, as it reports them in
    `last_stats["parse_failures"]` (an LLM's malformed JSON): they count as parse errors."""
    stats = getattr(extractor, "last_stats", None)
    return count_of(stats.get("parse_failures")) if isinstance(stats, dict) else 0


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _serve(reply_fd: int) -> int:
    _exit_with_parent()
    reply = os.fdopen(reply_fd, "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the plugin prints goes to the log, never into the replies
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        reply.write(json.dumps(message, allow_nan=False) + "\n")
        reply.flush()

    extractor = None
    for line in sys.stdin:
        request = json.loads(line)
        op = request.get("op")
        if op == "exit":
            break
        if op == "init":
            start = time.perf_counter()
            try:
                from benchmark.registry import plugin_imports, resolve

                with plugin_imports(request["spec"]):
                    cls, preset, _ = resolve(request["spec"])
                    preset = request.get("preset") or preset
                    config = {**(cls.presets.get(preset, {}) if preset else {}), **request.get("config", {})}
                    extractor = cls(config)
                    extractor.ensure_loaded()
                info = {"name": extractor.name, "version": extractor.version}
                send({"op": "loaded", "ok": True, "load_s": time.perf_counter() - start, "info": info})
            except BaseException as exc:  # a plugin may raise anything, SystemExit included
                message: dict[str, Any] = {"op": "loaded", "ok": False, "error": _describe(exc)}
                if isinstance(exc, FactbenchError):  # a missing dependency, a bad config: said as such
                    message["reported"] = {"line": exc.line(), "code": exc.code, "status": exc.exit_status}
                send(message)
                return 1
            continue
        if op == "extract":
            start = time.perf_counter()
            try:
                records = extractor.extract(Document(**request["doc"]))
            except BaseException as exc:
                send({"op": "result", "ok": False, "error": f"exception: {_describe(exc)}"})
                continue
            seconds = time.perf_counter() - start
            reply_fields = {"op": "result", "ok": True, "records": records, "seconds": seconds,
                            "unread": _unread(extractor)}
            try:
                try:
                    message = json.dumps(reply_fields, allow_nan=False)
                except ValueError:  # NaN or infinity: null, as a predictions file's reader takes them
                    message = json.dumps(_finite(reply_fields), allow_nan=False)
            except (TypeError, ValueError, RecursionError) as exc:
                send({"op": "result", "ok": False,
                      "error": f"garbage: output is not JSON-serializable ({_describe(exc).split(' at ')[0]})"})
                continue
            reply.write(message + "\n")  # serialized first: a failure never leaves half a reply
            reply.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
