"""The extractor API: what a plugin implements and what the runner calls.

Adding an extractor:

1. Subclass `Extractor` in a module of your own; set `name`, `version`, and
   `default_config` (every key a user may change with `--set NAME.key=value`).
   Declare `needs`: the pip extra or packages it requires, shown by `factbench list`.
2. Import heavy libraries inside `load()`, never at module import: `factbench list`
   and `--help` must stay instant. Call `require("torch", extra="llm")` there so a
   missing package raises an error with the exact `pip install` line.
3. Implement `extract(document) -> list[dict]`: records such as
   `{"type": "meeting", "slots": {"date": "2021-01-11", "participants": ["A", "B"]},
   "evidence": [[10, 42]], "confidence": 0.8}`. Read only `document.text`,
   `document.published` and `document.id`; never the gold.
4. Register it under the entry-point group `factbench.extractors` in your package's
   pyproject.toml (`myname = "mypkg.module:MyExtractor"`), or run it without installing as
   `factbench run -e path/to/file.py:MyExtractor`. `factbench check-plugin NAME` names every
   contract violation. See examples/factbench-example-plugin.

Keep the constructor cheap (it runs in the factbench process, 60 s at most), give the extractor a
name of its own (not a built-in's), and report answers you could not read as
`self.last_stats = {"parse_failures": n}` after each `extract()`: they count as parse errors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from benchmark.errors import BadInput, MissingDependency
from benchmark.types import Document


class Extractor:
    """Base class of every extractor. Construction is cheap; `load()` does heavy setup once."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.0.0"
    default_config: ClassVar[Mapping[str, Any]] = {}
    # Named configurations that the default `factbench run` runs as rows of their own
    # (select one with `-e NAME@PRESET`). Empty: the default config only.
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    needs: ClassVar[tuple[str, ...]] = ()  # pip extras or requirement strings, for `factbench list`
    reference: ClassVar[bool] = False  # reference rows (oracle, empty) are never ranked
    reads_gold: ClassVar[bool] = False  # only the oracle may
    offline: ClassVar[bool] = True  # works without network; False keeps it out of the default run

    def __init__(self, config: Mapping[str, Any] | None = None):
        unknown = sorted(set(config or {}) - set(self.default_config) - {"label"})
        if unknown:
            known = ", ".join(sorted(self.default_config)) or "none"
            raise BadInput(f"{self.name}: unknown config key(s) {', '.join(unknown)} (known: {known})")
        merged = dict(self.default_config)
        for key, value in (config or {}).items():
            merged[key] = _coerce(value, self.default_config.get(key))
        self.config: dict[str, Any] = merged
        self._loaded = False

    # -- identity -------------------------------------------------------------------
    def config_hash(self) -> str:
        payload = {k: v for k, v in self.config.items() if k != "label"}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def config_label(self) -> str:
        """A short human label for the config; override or pass `--set NAME.label=...`."""
        label = self.config.get("label")
        if label:
            return str(label)
        changed = {k: v for k, v in self.config.items() if k in self.default_config
                   and v != type(self).default_config.get(k)}
        if not changed:
            return "default"
        return ",".join(f"{k}={v}" for k, v in sorted(changed.items()))

    def is_available(self) -> str | None:
        """None when usable offline here; else the reason (used to pick default extractors)."""
        return None

    # -- lifecycle ------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if not self._loaded:
            self.load()
            self._loaded = True

    def load(self) -> None:
        """Heavy setup (models, tables). Called once before the first `extract`."""

    def extract(self, document: Document) -> list[dict[str, Any]]:
        raise NotImplementedError


def _coerce(value: Any, default: Any) -> Any:
    """`--set` values arrive as strings; give them the type of the default."""
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, (list, tuple, dict)):
            return json.loads(value)
    except ValueError as exc:
        raise BadInput(f"config value {value!r} is not a {type(default).__name__}") from exc
    return value


def require(module: str, *, extra: str | None = None, package: str | None = None) -> None:
    """Fail early, with the exact pip line, when an optional dependency is missing."""
    if importlib.util.find_spec(module) is None:
        target = f"'factbench[{extra}]'" if extra else (package or module)
        raise MissingDependency(f"{module} is not installed: pip install {target}")


def cache_dir(*parts: str) -> Path:
    """The one folder for converted models and caches: $FACTBENCH_CACHE or the user cache dir."""
    root = os.environ.get("FACTBENCH_CACHE")
    if root:
        base = Path(root)
    else:
        try:
            from platformdirs import user_cache_dir

            base = Path(user_cache_dir("factbench"))
        except ImportError:  # pragma: no cover - platformdirs is a dependency
            base = Path.home() / ".cache" / "factbench"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
