"""Reading predictions: JSON Lines files and extractor output, with named problems.

`read_predictions(path, gold)` is strict (the first error raises, naming file, line and
code: what `factbench score` wants); `parse_records(...)` collects problems instead so one
bad record of an extractor never costs the others.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from benchmark.errors import PredictionsError
from benchmark.gold import SAFE_ID
from benchmark.types import InputProblem, Prediction, Span

MAX_FILE_BYTES = 200_000_000
MAX_LINE_CHARS = 1_000_000
MAX_RECORDS_PER_DOC = 10_000
MAX_VALUE_CHARS = 10_000  # one string in a record's slots
MAX_LIST_ITEMS = 1_000  # values in one slot
MAX_DEPTH = 32  # nesting of JSON arrays and objects in one line or record


def _too_deep(value: Any, limit: int | None = None) -> bool:
    """True when `value` nests arrays/objects deeper than `limit` (default MAX_DEPTH).

    Level by level, keeping only containers: no recursion, and cheap for the flat records of real output.
    """
    limit = MAX_DEPTH if limit is None else limit
    containers = (dict, list, tuple)
    level = [value] if isinstance(value, containers) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, containers)]
    return False


def _long_value(slots: dict[str, Any]) -> str | None:
    """The first slot whose value breaks the value-length limits, with why; None when all fit."""
    for slot, value in slots.items():
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_LIST_ITEMS:
            return f"slot {str(slot)[:60]!r} holds {len(items)} values (limit {MAX_LIST_ITEMS})"
        for item in items:
            if isinstance(item, str) and len(item) > MAX_VALUE_CHARS:
                return f"a value of slot {str(slot)[:60]!r} has {len(item)} characters (limit {MAX_VALUE_CHARS})"
    return None


def _problem(where: str, code: str, message: str) -> InputProblem:
    from benchmark.errors import CODES

    return InputProblem(code, where, message, CODES.get(code, ("error", ""))[0])


def record_from_json(obj: Any, where: str, known_docs: Mapping[str, Any] | None,
                     doc_id: str | None = None, line: int = 0) -> Prediction | InputProblem:
    """One prediction from a decoded JSON value, or the problem that stops it."""
    if not isinstance(obj, dict):
        return _problem(where, "NOT_AN_OBJECT", f"a record is a JSON object, not {type(obj).__name__}")
    if _too_deep(obj):
        return _problem(where, "NESTED_TOO_DEEP", f"the record nests deeper than {MAX_DEPTH} levels")
    doc_id = obj.get("doc_id", doc_id)
    if doc_id is None:
        return _problem(where, "MISSING_DOC_ID", "the record has no doc_id")
    if not isinstance(doc_id, str) or not SAFE_ID.match(doc_id):
        return _problem(where, "BAD_DOC_ID", f"doc_id {str(doc_id)[:60]!r} is not a safe identifier")
    if known_docs is not None and doc_id not in known_docs:
        return _problem(where, "UNKNOWN_DOC", f"doc_id {doc_id!r} names no gold document")
    rtype = obj.get("type")
    if rtype is None:
        return _problem(where, "MISSING_FIELD", "the record has no 'type'")
    if not isinstance(rtype, str):
        return _problem(where, "BAD_FIELD", f"'type' must be a string, not {type(rtype).__name__}")
    if len(rtype) > MAX_VALUE_CHARS:
        return _problem(where, "VALUE_TOO_LONG", f"'type' has {len(rtype)} characters (limit {MAX_VALUE_CHARS})")
    slots = obj.get("slots", {})
    if slots is None:
        slots = {}
    if not isinstance(slots, dict):
        return _problem(where, "BAD_FIELD", f"'slots' must be an object, not {type(slots).__name__}")
    too_long = _long_value(slots)
    if too_long:
        return _problem(where, "VALUE_TOO_LONG", too_long)
    evidence: list[Span] = []
    raw_evidence = obj.get("evidence") or []
    if isinstance(raw_evidence, list):
        for span in raw_evidence:
            if (isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)
                    and 0 <= span[0] <= span[1]):
                evidence.append(Span(span[0], span[1]))
    confidence = obj.get("confidence")
    if not (isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and math.isfinite(confidence)):
        confidence = None
    return Prediction(doc_id, rtype, slots, tuple(evidence), confidence, line)


def record_warnings(obj: Any, prediction: Prediction, where: str) -> list[InputProblem]:
    """What of a readable record is ignored: unknown type or slots, unusable evidence or confidence."""
    from benchmark.types import RECORD_TYPES

    out: list[InputProblem] = []
    spec = RECORD_TYPES.get(prediction.type)
    if spec is None:
        out.append(_problem(where, "UNKNOWN_TYPE", f"type {prediction.type[:60]!r} is not in the schema: "
                                                    "counted, not scored"))
    else:
        for slot in prediction.slots:
            if slot not in spec:
                out.append(_problem(where, "UNKNOWN_SLOT", f"slot {slot[:60]!r} is not a slot of "
                                                            f"{prediction.type}: counted, not scored"))
    raw_evidence = obj.get("evidence")
    if raw_evidence and len(prediction.evidence) != (len(raw_evidence) if isinstance(raw_evidence, list) else -1):
        out.append(_problem(where, "IGNORED_FIELD", "'evidence' holds spans that are not [start, end] integer pairs "
                                                     "with 0 <= start <= end: unusable spans ignored"))
    if obj.get("confidence") is not None and prediction.confidence is None:
        out.append(_problem(where, "IGNORED_FIELD", "'confidence' is not a finite number: ignored"))
    return out


def _decode_line(text: str, where: str) -> Any | InputProblem:
    if len(text) > MAX_LINE_CHARS:
        return _problem(where, "LINE_TOO_LONG", f"longer than {MAX_LINE_CHARS} characters")
    try:
        value = json.loads(text, parse_constant=lambda c: None)
    except json.JSONDecodeError as exc:
        return _problem(where, "MALFORMED_JSON", f"not JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return _problem(where, "NESTED_TOO_DEEP", f"nests deeper than {MAX_DEPTH} levels")
    except ValueError as exc:  # an integer literal of more than sys.get_int_max_str_digits() digits
        return _problem(where, "NUMBER_TOO_LARGE", f"{str(exc).split(':')[0]}")
    if _too_deep(value):
        return _problem(where, "NESTED_TOO_DEEP", f"nests deeper than {MAX_DEPTH} levels")
    return value


def iter_prediction_file(path: Path, known_docs: Mapping[str, Any] | None, limit: bool = True
                         ) -> Iterable[Prediction | InputProblem]:
    """Every line of a predictions file as a Prediction or the problem that stops it. `limit=False` lifts
    the file-size limit (for a run folder's own file: a large run writes more than a hand-made file may)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield _problem(str(path), "FILE_NOT_FOUND", exc.strerror or "cannot read")
        return
    if path.is_dir():
        yield _problem(str(path), "FILE_NOT_FOUND", "is a folder, not a predictions file")
        return
    if limit and size > MAX_FILE_BYTES:
        yield _problem(str(path), "FILE_TOO_LARGE", f"larger than {MAX_FILE_BYTES} bytes")
        return
    try:
        data = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        yield _problem(str(path), "NOT_UTF8", f"byte {exc.start} is not UTF-8")
        return
    except OSError as exc:
        yield _problem(str(path), "FILE_NOT_FOUND", exc.strerror or "cannot read")
        return
    data = data.removeprefix("\ufeff")  # a byte-order mark some editors write
    per_doc: dict[str, int] = {}
    # JSON Lines ends lines with \n (or \r\n) only: str.splitlines() would also cut at U+2028,
    # U+0085 and friends, which JSON strings may hold raw (json.dumps(ensure_ascii=False) writes them).
    for number, text in enumerate(data.split("\n"), start=1):
        text = text.removesuffix("\r")
        if not text.strip():
            continue
        where = f"{path}:{number}"
        obj = _decode_line(text, where)
        if isinstance(obj, InputProblem):
            yield obj
            continue
        item = record_from_json(obj, where, known_docs, line=number)
        if isinstance(item, Prediction):
            per_doc[item.doc_id] = per_doc.get(item.doc_id, 0) + 1
            if per_doc[item.doc_id] > MAX_RECORDS_PER_DOC:
                yield _problem(where, "TOO_MANY_RECORDS", f"more than {MAX_RECORDS_PER_DOC} records for {item.doc_id}")
                return
            yield item
            yield from record_warnings(obj, item, where)
            continue
        yield item


def read_predictions(path: Path | str, known_docs: Mapping[str, Any] | None,
                     warnings: list[InputProblem] | None = None) -> list[Prediction]:
    """All predictions of a file; the first error raises PredictionsError (exit 2) naming file and line.

    Warnings (unknown types and slots, ignored fields) go to `warnings` when a list is given.
    """
    out: list[Prediction] = []
    for item in iter_prediction_file(Path(path), known_docs):
        if isinstance(item, InputProblem):
            if item.severity == "warning":
                if warnings is not None:
                    warnings.append(item)
                continue
            raise PredictionsError(item.message, code=item.code, where=item.where)
        out.append(item)
    return out


def parse_records(records: Any, doc_id: str, where: str) -> tuple[list[Prediction], list[InputProblem]]:
    """An extractor's output for one document: good records kept, every bad one named."""
    if not isinstance(records, list):
        return [], [_problem(where, "BAD_FIELD", f"extract() returned {type(records).__name__}, not a list")]
    kept: list[Prediction] = []
    problems: list[InputProblem] = []
    for index, obj in enumerate(records):
        if isinstance(obj, dict) and obj.get("doc_id") not in (None, doc_id):
            obj = {**obj, "doc_id": doc_id}
        item = record_from_json(obj, f"{where} record {index}", None, doc_id=doc_id, line=index + 1)
        if isinstance(item, Prediction) and \
                len(json.dumps(prediction_to_json(item), ensure_ascii=False)) > MAX_LINE_CHARS:
            # The line it would take in predictions.jsonl: what a reader of that file refuses is not kept.
            item = _problem(f"{where} record {index}", "LINE_TOO_LONG",
                            f"the record's line would be longer than {MAX_LINE_CHARS} characters")
        (kept if isinstance(item, Prediction) else problems).append(item)
        if len(kept) > MAX_RECORDS_PER_DOC:
            problems.append(_problem(where, "TOO_MANY_RECORDS", f"more than {MAX_RECORDS_PER_DOC} records"))
            kept = kept[:MAX_RECORDS_PER_DOC]
            break
    return kept, problems


def prediction_to_json(prediction: Prediction) -> dict[str, Any]:
    out: dict[str, Any] = {"doc_id": prediction.doc_id, "type": prediction.type, "slots": dict(prediction.slots)}
    if prediction.evidence:
        out["evidence"] = [[s.start, s.end] for s in prediction.evidence]
    if prediction.confidence is not None:
        out["confidence"] = prediction.confidence
    return out
