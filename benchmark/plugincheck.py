"""`factbench check-plugin`: run an extractor on a small invented document and name every
contract violation (identity, cheap import, load, output shape, evidence, determinism)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from benchmark.types import RECORD_TYPES, Document

HEAVY_MODULES = ("torch", "transformers", "datasets", "spacy", "tensorflow", "jax")

CHECK_DOCUMENT = Document(
    id="check-plugin",
    published="2019-06-14",
    source="factbench",
    text=(
        "Valdoria and Kestrel sign border pact\n\n"
        "ORLENBURG, June 14. Valdorian President Mira Talven and Kestreli Prime Minister Oskar Brenn "
        "signed a border agreement in Orlenburg on June 12, 2019, after three-hour talks initiated by Talven.\n\n"
        "Clashes between Valdoria and Kestrel erupted in March 2017 over the Serrat valley. "
        "Valdorian monitors were deployed to the Serrat valley on Wednesday.\n\n"
        "A joint commission chaired by the foreign ministers of the two countries will focus on trade."
    ),
)


def _record_violations(records: Any, text: str) -> list[str]:
    if not isinstance(records, list):
        return [f"extract() must return a list of records, not {type(records).__name__}"]
    out: list[str] = []
    for i, record in enumerate(records):
        where = f"record {i}"
        if not isinstance(record, dict):
            out.append(f"{where}: not an object ({type(record).__name__})")
            continue
        unknown_keys = set(record) - {"type", "slots", "evidence", "confidence", "doc_id"}
        if unknown_keys:
            out.append(f"{where}: unknown keys {sorted(unknown_keys)}")
        rtype = record.get("type")
        if rtype not in RECORD_TYPES:
            out.append(f"{where}: type {rtype!r} is not one of {', '.join(RECORD_TYPES)}")
            continue
        slots = record.get("slots")
        if not isinstance(slots, dict) or not slots:
            out.append(f"{where}: 'slots' must be a non-empty object")
            continue
        for slot, value in slots.items():
            spec = RECORD_TYPES[rtype].get(slot)
            if spec is None:
                out.append(f"{where}: {rtype} has no slot {slot!r}")
                continue
            if spec.scored and spec.is_list and not isinstance(value, (list, str, type(None))):
                out.append(f"{where}: slot {slot} takes a list of strings, not {type(value).__name__}")
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                out.append(f"{where}: slot {slot} holds a non-string value")
            if spec.scored and not spec.is_list and isinstance(value, list) and len(value) > 1:
                out.append(f"{where}: slot {slot} is a single value, got a list of {len(value)}")
        evidence = record.get("evidence", [])
        if evidence is not None:
            if not isinstance(evidence, list):
                out.append(f"{where}: 'evidence' must be a list of [start, end] spans")
            else:
                for span in evidence:
                    if not (isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)
                            and 0 <= span[0] < span[1] <= len(text)):
                        out.append(f"{where}: evidence span {span!r} is not [start, end) inside the text")
        confidence = record.get("confidence")
        if confidence is not None and not (isinstance(confidence, (int, float)) and 0 <= confidence <= 1):
            out.append(f"{where}: confidence {confidence!r} is not a number in [0, 1]")
    return out


def _identity_violations(cls: type) -> list[str]:
    out = []
    if not isinstance(cls.name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", cls.name or ""):
        out.append(f"name {cls.name!r} must be a short lowercase identifier")
    if not isinstance(cls.version, str) or not cls.version:
        out.append("version must be a non-empty string")
    if not isinstance(cls.default_config, Mapping):
        out.append("default_config must be a mapping")
    else:
        try:
            json.dumps(dict(cls.default_config))
        except (TypeError, ValueError):
            out.append("default_config must be JSON-serializable")
    if not isinstance(cls.needs, tuple) or not all(isinstance(n, str) for n in cls.needs):
        out.append("needs must be a tuple of strings")
    if cls.reads_gold and cls.name != "oracle":
        out.append("only the oracle reference may read the gold")
    return out


def _heavy_imports(cls: type, target: str) -> list[str]:
    """Modules the plugin imports at import time that belong in load()."""
    from benchmark.registry import IMPORT_PROBE

    base = target.split("@")[0]
    # The registry's import probe (a file with its folder first, a module by name), then the heavy modules
    # it brought, on the line after a marker: whatever the plugin prints at import comes before it.
    imported = base if base.split(":")[0].endswith(".py") else f"{cls.__module__}:{cls.__name__}"
    probe = IMPORT_PROBE + f"print('\\n{_MARK}' + ','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", probe, imported], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return [f"does not import in a fresh Python process: {lines[-1] if lines else 'no output'}"]
    found = next((line[len(_MARK):] for line in result.stdout.splitlines() if line.startswith(_MARK)), "")
    return [f"imports {m} at module import; import it inside load()" for m in found.split(",") if m]


_MARK = "factbench-heavy-modules:"


def check_plugin(target: str, sets: dict[str, dict[str, str]], timeout: float = 300.0) -> list[str]:
    from benchmark.runner import CONSTRUCT_LIMIT_S, check_set_targets, make_plan
    from benchmark.worker import Worker, WorkerFailure

    plan = make_plan(target, sets, min(CONSTRUCT_LIMIT_S, timeout))  # an unknown name or unimportable target: exit 2
    check_set_targets(sets, [plan])
    violations = _identity_violations(plan.cls) + _heavy_imports(plan.cls, target)
    try:
        with Worker(plan.worker_target, plan.extractor.config) as worker:
            first, _ = worker.extract(CHECK_DOCUMENT, timeout)
            second, _ = worker.extract(CHECK_DOCUMENT, timeout)
    except WorkerFailure as exc:
        return [*violations, f"run failed: {exc}"]
    violations += _record_violations(first, CHECK_DOCUMENT.text)
    if json.dumps(first, sort_keys=True) != json.dumps(second, sort_keys=True):
        violations.append("extract() is not deterministic: two calls on the same document differ")
    return violations
