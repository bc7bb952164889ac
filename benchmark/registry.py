"""Finding extractors: the entry-point group `factbench.extractors`, paths and modules.

Listing reads entry-point metadata only: no plugin is imported until it is used, so
`factbench list` is instant and one broken plugin cannot hide the others. A name may
carry a preset (`hf-llm@gemma3`); `path/to/file.py:Class` and `module:Class` work too.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmark.errors import BadInput, UnknownExtractor

GROUP = "factbench.extractors"
REFERENCES = ("oracle", "empty")


@dataclass(frozen=True)
class ExtractorEntry:
    """What the registry knows about an extractor before importing it."""

    name: str
    target: str  # module:Class
    origin: str  # built-in | plugin (distribution) | path
    needs: tuple[str, ...]  # requirement strings of its extras
    missing: tuple[str, ...]  # of those, the ones not installed


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0]


def _installed(name: str) -> bool:
    """Whether a distribution is installed, without parsing its metadata (that is slow)."""
    from importlib import metadata

    return next(iter(metadata.distributions(name=name)), None) is not None


_REQUIRES: dict[str, list[str]] = {}


def _requires(dist) -> list[str]:
    if dist.name not in _REQUIRES:
        _REQUIRES[dist.name] = dist.requires or []
    return _REQUIRES[dist.name]


def _needs(ep) -> tuple[tuple[str, ...], tuple[str, ...]]:
    extras = ep.extras
    if not extras or ep.dist is None:
        return (), ()
    needs = []
    for requirement in _requires(ep.dist):
        if ";" not in requirement:
            continue
        spec, marker = requirement.split(";", 1)
        found = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if found and found.group(1) in extras:
            needs.append(spec.strip())
    missing = tuple(n for n in needs if not _installed(_requirement_name(n)))
    return tuple(needs), missing


def _index_path() -> Path:
    """Where the entry-point index is cached, keyed by the state of every folder on sys.path.

    Installing or removing a distribution changes its site folder's mtime, so a stale index
    is never read. Reading installed metadata costs more than the rest of `factbench list`.
    """
    state = []
    for entry in sys.path:
        try:
            state.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            state.append(entry)
    key = hashlib.sha256("\n".join(state).encode()).hexdigest()[:16]
    root = os.environ.get("FACTBENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "factbench")
    return Path(root) / "registry" / f"entry-points-{key}.json"


def entries() -> dict[str, ExtractorEntry]:
    """Every registered extractor by name, from metadata alone (cached per sys.path state)."""
    path = _index_path()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        return {e["name"]: ExtractorEntry(e["name"], e["target"], e["origin"], tuple(e["needs"]),
                                          tuple(e["missing"])) for e in cached}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    out = _scan()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([asdict(e) for e in out.values()]), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: scan every time
    return out


def _scan() -> dict[str, ExtractorEntry]:
    from importlib import metadata

    out: dict[str, ExtractorEntry] = {}
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else "?"
        origin = "built-in" if dist == "factbench" else f"plugin ({dist})"
        needs, missing = _needs(ep)
        target = ep.value.split("[")[0].strip()
        out.setdefault(ep.name, ExtractorEntry(ep.name, target, origin, needs, missing))
    return out


def _plugin_home(spec: str) -> str | None:
    """Where a plugin's own modules live: a file's folder (`path/to/file.py:Class`), the current folder
    (`module:Class`); None for a registered name."""
    base = spec.partition("@")[0]
    if ":" not in base:
        return None
    module_name = base.split(":")[0]
    return os.path.dirname(os.path.abspath(module_name)) if module_name.endswith(".py") else os.getcwd()


@contextlib.contextmanager
def plugin_imports(spec: str):
    """Import and construct a plugin as Python would run it: its folder first on sys.path, so its helper
    modules (`helpers.py` beside it) are its own. Afterwards the folder stays, last, for helpers imported
    later, and the standard library and installed packages come first again for everything else. In the
    factbench process, which may import several plugins, the helper modules a plugin brought are let go
    (only those directly in its folder), so another plugin's `helpers.py` is imported as its own."""
    home = _plugin_home(spec)
    if home is None:
        yield
        return
    saved = list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, home)
    try:
        yield
    finally:
        sys.path[:] = [entry for entry in saved if os.path.abspath(entry or ".") != home] + [home]
        if not os.environ.get("FACTBENCH_WORKER"):
            for name in set(sys.modules) - before:
                if _is_helper_of(sys.modules.get(name), name, home):
                    del sys.modules[name]


def _is_helper_of(module: object, name: str, home: str) -> bool:
    """True when `module` (imported as `name`) was found directly in `home`: `home/NAME.py` or `home/NAME/`."""
    location = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", None) or ()), None)
    if not location:
        return False
    relative = os.path.relpath(os.path.abspath(location), home).split(os.sep)
    top = name.split(".")[0]
    return relative[0] in (top, f"{top}.py")


def _import_target(target: str, label: str) -> type:
    module_name, _, attr = target.partition(":")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise BadInput(f"extractor file {module_name} does not exist")
            name = f"factbench_plugin_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"extractor {label}: cannot import {module_name}: {type(exc).__name__}: {exc}") from exc
    cls = getattr(module, attr, None) if attr else None
    if cls is None:
        raise BadInput(f"extractor {label}: {module_name} has no class {attr!r}")
    return cls


PROBE_TIMEOUT_S = float(os.environ.get("FACTBENCH_PROBE_TIMEOUT", "60"))
IMPORT_PROBE = """
import importlib, importlib.util, sys
target = sys.argv[1]
module_name = target.partition(":")[0]
if module_name.endswith(".py"):
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(module_name)))  # as `python file.py` has it
    spec = importlib.util.spec_from_file_location("factbench_probe", module_name)
    module = sys.modules["factbench_probe"] = importlib.util.module_from_spec(spec)  # as an import has it
    spec.loader.exec_module(module)
else:
    importlib.import_module(module_name)
"""


def _probe_import(target: str, label: str) -> None:
    """Import a third-party plugin in a child process first: one that hangs or exits at import
    then costs only itself, never the run. Raises BadInput (caused by the failure) with the reason."""
    if os.environ.get("FACTBENCH_WORKER"):
        return  # already isolated: the worker is the child
    import subprocess

    module_name = target.partition(":")[0]
    try:
        result = subprocess.run([sys.executable, "-c", IMPORT_PROBE, target], capture_output=True, text=True,
                                timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        cause = TimeoutError(f"import took longer than {PROBE_TIMEOUT_S:g} s")
        raise BadInput(f"extractor {label}: cannot import {module_name}: {cause}") from cause
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1][:300] if lines else f"the import exited with status {result.returncode}"
        parts = module_name.split(".")
        absent = {f"ModuleNotFoundError: No module named '{'.'.join(parts[:i])}'" for i in range(1, len(parts) + 1)}
        if not module_name.endswith(".py") and reason in absent:
            # The module itself is not there (a typo, like a file that does not exist): bad input, not a
            # plugin that broke while importing.
            raise BadInput(f"extractor {label}: no module named {module_name!r} (from the current folder or "
                           "an installed package)")
        cause = RuntimeError(reason)
        raise BadInput(f"extractor {label}: cannot import {module_name}: {reason}") from cause


def resolve(spec: str) -> tuple[type, str | None, str]:
    """(class, preset, origin) for NAME, NAME@PRESET, path/to/file.py:Class or module:Class."""
    base, _, preset = spec.partition("@")
    if ":" in base:
        origin = "path" if base.split(":")[0].endswith(".py") else "module"
        if origin == "path" and not Path(base.split(":")[0]).is_file():
            raise BadInput(f"extractor file {base.split(':')[0]} does not exist")
        _probe_import(base, spec)
        cls = _import_target(base, spec)
    else:
        known = entries()
        entry = known.get(base)
        if entry is None:
            names = sorted(known)
            close = difflib.get_close_matches(base, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownExtractor(f"unknown extractor {base!r} (available: {', '.join(names)}){hint}")
        origin = entry.origin
        if origin != "built-in":
            _probe_import(entry.target, spec)
        cls = _import_target(entry.target, spec)
    from benchmark.extractor import Extractor

    if not (isinstance(cls, type) and issubclass(cls, Extractor)):
        raise BadInput(f"extractor {spec}: {cls!r} is not a subclass of benchmark.extractor.Extractor")
    if preset and preset not in cls.presets:
        options = ", ".join(sorted(cls.presets)) or "none"
        raise UnknownExtractor(f"extractor {base!r} has no preset {preset!r} (presets: {options})")
    return cls, preset or None, origin


def list_command(args) -> int:
    from benchmark.reports import table

    rows = []
    for entry in entries().values():
        status = "reference" if entry.name in REFERENCES else "ready"
        if entry.missing:
            status = "missing: " + ", ".join(_requirement_name(m) for m in entry.missing)
        rows.append([entry.name, entry.origin, ", ".join(_requirement_name(n) for n in entry.needs) or "-", status,
                     entry.target])
    print(table(["name", "origin", "needs", "status", "target"], rows))
    return 0
