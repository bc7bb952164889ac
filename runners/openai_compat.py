"""`openai`: chat completions against any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, OpenAI).

Standard library only (urllib): no `openai` package.

Configuration (config key, else environment):
    base_url  FACTBENCH_OPENAI_BASE_URL, else OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1; a bare
              host gets /v1 appended). Without one, `is_available()` gives a reason and the default run
              leaves this extractor out.
    model     FACTBENCH_OPENAI_MODEL; else the first id the server lists at /models.
    api_key   OPENAI_API_KEY (sent as a bearer token; never written to caches or manifests).

Requests ask for JSON mode (`response_format={"type": "json_object"}`) with the records wrapped as
`{"records": [...]}`; a server that rejects it (HTTP 400/404/415/422/501) is asked again without, and
JSON mode stays off for the rest of the run. 429, 5xx, timeouts and connection errors are retried with
exponential backoff (honouring Retry-After). Chunks of long documents are sent with bounded concurrency.
Each answered request is cached on disk under `cache_dir("openai")`, keyed by the sha256 of the URL and
request body, so a re-run sends nothing. Temperature 0 and a fixed seed keep answers reproducible where
the server allows it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, ClassVar

from benchmark.errors import BadInput, FactbenchError
from benchmark.extractor import Extractor, cache_dir
from benchmark.types import Document
from runners.llm_common import chat_messages, chunk_text, records_from_answers

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
JSON_MODE_REJECTED = {400, 404, 415, 422, 501}


class OpenAIRequestError(FactbenchError):
    """The server could not be reached or kept failing; the runner records the document as failed."""

    exit_status = 1


def _env(*names: str) -> str:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


def normalize_base_url(url: str) -> str:
    """`http://host:8000` -> `http://host:8000/v1`; a URL with a path is kept; no trailing slash."""
    url = url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"openai: base_url must be an http(s) URL, not {url!r}")
    if parts.path in ("", "/"):
        url += "/v1"
    return url


class OpenAIExtractor(Extractor):
    name = "openai"
    version = "0.1.0"
    needs = ()  # the standard library only
    # Runs wherever a server is configured (often a local vLLM/llama.cpp); is_available() decides.
    offline = True
    default_config: ClassVar[dict[str, Any]] = {
        "base_url": "",  # else FACTBENCH_OPENAI_BASE_URL / OPENAI_BASE_URL
        "model": "",  # else FACTBENCH_OPENAI_MODEL / the server's first model
        "api_key": "",  # else OPENAI_API_KEY; excluded from the config hash
        "json_mode": True,
        "few_shot": True,
        "temperature": 0.0,
        "seed": 0,
        "max_tokens": 2048,
        "timeout": 120.0,  # seconds per request
        "max_retries": 4,
        "backoff": 1.0,  # seconds; doubles per retry (with jitter), capped by max_backoff
        "max_backoff": 30.0,
        "concurrency": 2,  # requests in flight for the chunks of one document
        "chunk_chars": 12000,
        "cache": True,
        "resolve_dates": True,
        "require_grounding": True,
    }

    def __init__(self, config=None):
        super().__init__(config)
        self._json_mode_ok: bool | None = None  # None: untried
        self._model_id: str | None = None
        self._lock = threading.Lock()
        self.last_stats: dict[str, Any] = {}
        self.last_outputs: list[str] = []
        self._counters = {"requests": 0, "retries": 0, "cache_hits": 0}

    # -- configuration --------------------------------------------------------------------------
    def base_url(self) -> str:
        raw = str(self.config["base_url"] or _env("FACTBENCH_OPENAI_BASE_URL", "OPENAI_BASE_URL"))
        return normalize_base_url(raw) if raw else ""

    def api_key(self) -> str:
        return str(self.config["api_key"] or _env("OPENAI_API_KEY"))

    def configured_model(self) -> str:
        return str(self.config["model"] or _env("FACTBENCH_OPENAI_MODEL"))

    def config_hash(self) -> str:
        """The effective endpoint and model count (they may come from the environment); the key never."""
        payload = {k: v for k, v in self.config.items() if k not in ("label", "api_key")}
        try:
            payload["base_url"] = self.base_url()
        except BadInput:
            payload["base_url"] = str(self.config["base_url"])
        payload["model"] = self.configured_model()
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def config_label(self) -> str:
        if self.config.get("label"):
            return str(self.config["label"])
        return self.configured_model() or self._model_id or "server-default"

    def is_available(self) -> str | None:
        try:
            if not self.base_url():
                return "not configured: set FACTBENCH_OPENAI_BASE_URL"
        except BadInput as exc:
            return str(exc)
        return None

    def load(self) -> None:
        if not self.base_url():
            raise BadInput("openai: not configured: set FACTBENCH_OPENAI_BASE_URL (or --set openai.base_url=...)")
        self._check_reachable()
        self._model_id = self.configured_model() or self._first_model()

    def _check_reachable(self) -> None:
        """Connect once before any request: a server that is not there fails the load at once, instead of
        every document after its retries. Behind a proxy the proxy answers for it: not checked."""
        parts = urllib.parse.urlsplit(self.base_url())
        host = parts.hostname
        if not host or (urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host)):
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((host, port), timeout=min(10.0, float(self.config["timeout"]))):
                pass
        except OSError as exc:
            raise BadInput(f"openai: cannot connect to {host}:{port} ({exc.strerror or exc}): is the server "
                           "running? (--set openai.base_url=... or FACTBENCH_OPENAI_BASE_URL)") from None

    # -- HTTP -----------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "User-Agent": "factbench-openai/" + self.version}
        key = self.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _first_model(self) -> str:
        status, body = self._send("GET", self.base_url() + "/models", None)
        if status != 200:
            raise OpenAIRequestError(f"openai: set a model (FACTBENCH_OPENAI_MODEL): GET /models gave {status}")
        try:
            return str(json.loads(body)["data"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise OpenAIRequestError("openai: set a model (FACTBENCH_OPENAI_MODEL): /models lists none") from exc

    def _send(self, method: str, url: str, payload: dict[str, Any] | None) -> tuple[int, str]:
        """One request with retries on 429/5xx/connection errors; returns (status, body) otherwise."""
        data = json.dumps(payload).encode() if payload is not None else None
        attempts = int(self.config["max_retries"]) + 1
        last_error = ""
        for attempt in range(attempts):
            request = urllib.request.Request(url, data=data, method=method, headers=self._headers())
            retry_after: float | None = None
            with self._lock:
                self._counters["requests"] += 1
            try:
                with urllib.request.urlopen(request, timeout=float(self.config["timeout"])) as response:
                    return response.status, response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace") if exc.fp else ""
                if exc.code not in RETRY_STATUS:
                    return exc.code, body
                last_error = f"HTTP {exc.code}: {body[:200]}"
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            if attempt + 1 < attempts:
                delay = float(self.config["backoff"]) * (2 ** attempt) * (1 + 0.1 * random.random())
                if retry_after is not None:
                    delay = max(delay, retry_after)
                delay = min(delay, float(self.config["max_backoff"]))
                with self._lock:
                    self._counters["retries"] += 1
                log.info("openai: %s; retry %d in %.2fs", last_error, attempt + 1, delay)
                time.sleep(delay)
        raise OpenAIRequestError(f"openai: {url} failed after {attempts} attempts: {last_error}")

    # -- cache ----------------------------------------------------------------------------------
    @staticmethod
    def _cache_key(url: str, payload: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps([url, payload], sort_keys=True).encode()).hexdigest()

    def _cache_path(self, key: str) -> Path:
        return cache_dir("openai", key[:2]) / f"{key}.json"

    def _cached(self, key: str) -> str | None:
        if not self.config["cache"]:
            return None
        path = self._cache_path(key)
        try:
            return json.loads(path.read_text(encoding="utf-8"))["content"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, content: str, payload: dict[str, Any]) -> None:
        if not self.config["cache"]:
            return
        path = self._cache_path(key)
        tmp = path.with_suffix(f".tmp-{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(json.dumps({"content": content, "model": payload.get("model"),
                                   "created": time.time()}), encoding="utf-8")
        os.replace(tmp, path)

    def _json_mode_marker(self) -> Path:
        key = hashlib.sha256(json.dumps([self.base_url(), self._model_id]).encode()).hexdigest()
        return cache_dir("openai", "json-mode") / f"{key}.rejected"

    def _json_mode_rejected_before(self) -> bool:
        """A server that rejected JSON mode once is not asked again (so cached answers are found)."""
        return bool(self.config["cache"]) and self._json_mode_marker().exists()

    def _remember_json_mode_rejected(self, status: int) -> None:
        if self.config["cache"]:
            self._json_mode_marker().write_text(str(status), encoding="utf-8")

    # -- completion -----------------------------------------------------------------------------
    def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant's text for `messages` (JSON mode when the server allows), cached on disk."""
        url = self.base_url() + "/chat/completions"
        payload: dict[str, Any] = {
            "model": self._model_id, "messages": messages, "temperature": float(self.config["temperature"]),
            "max_tokens": int(self.config["max_tokens"]), "seed": int(self.config["seed"]),
        }
        if self._json_mode_ok is None and self._json_mode_rejected_before():
            self._json_mode_ok = False
        use_json = bool(self.config["json_mode"]) and self._json_mode_ok is not False
        if use_json:
            key = self._cache_key(url, {**payload, "response_format": {"type": "json_object"}})
            hit = self._cached(key)
            if hit is not None:
                return self._hit(hit)
            status, body = self._send("POST", url, {**payload, "response_format": {"type": "json_object"}})
            if status == 200:
                self._json_mode_ok = True
                return self._answer(key, body, payload)
            if status not in JSON_MODE_REJECTED:
                raise OpenAIRequestError(f"openai: HTTP {status}: {body[:300]}")
            log.info("openai: server rejected JSON mode (HTTP %s); asking without it", status)
            self._json_mode_ok = False
            self._remember_json_mode_rejected(status)
        key = self._cache_key(url, payload)
        hit = self._cached(key)
        if hit is not None:
            return self._hit(hit)
        status, body = self._send("POST", url, payload)
        if status != 200:
            raise OpenAIRequestError(f"openai: HTTP {status}: {body[:300]}")
        return self._answer(key, body, payload)

    def _hit(self, content: str) -> str:
        with self._lock:
            self._counters["cache_hits"] += 1
        return content

    def _answer(self, key: str, body: str, payload: dict[str, Any]) -> str:
        try:
            message = json.loads(body)["choices"][0]["message"]
            content = message.get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise OpenAIRequestError(f"openai: unexpected response: {body[:300]}") from exc
        self._store(key, content, payload)
        return content

    def extract(self, document: Document) -> list[dict[str, Any]]:
        self.ensure_loaded()
        started = time.perf_counter()
        before = dict(self._counters)
        pieces = chunk_text(document.text, int(self.config["chunk_chars"]))
        wrapper = bool(self.config["json_mode"])
        few_shot = bool(self.config["few_shot"])

        def run(piece: str) -> str:
            return self.complete(chat_messages(piece, document.published, few_shot=few_shot, wrapper=wrapper))

        workers = max(1, min(int(self.config["concurrency"]), len(pieces)))
        if workers == 1:
            outputs = [run(piece) for _, piece in pieces]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outputs = list(pool.map(run, [piece for _, piece in pieces]))
        read = records_from_answers(((o, p, raw) for (o, p), raw in zip(pieces, outputs)), document, self.config)
        records, failures, truncated, stats = read.records, read.failures, read.truncated, read.stats
        self.last_outputs = outputs
        self.last_stats = {
            "parse_failures": failures, "truncated": truncated, **stats.as_dict(), "records": len(records),
            "chunks": len(pieces), "json_mode": self._json_mode_ok, "model": self._model_id,
            **{k: self._counters[k] - before[k] for k in self._counters},
            "extract_s": round(time.perf_counter() - started, 3),
        }
        return records


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
