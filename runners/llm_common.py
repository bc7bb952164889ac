"""Shared pieces of the LLM extractors (`hf-llm`, `openai`): prompts, tolerant JSON parsing, clean-up.

Nothing here imports a model stack; it is plain Python so the parser can be tested on its own.

Prompts
    The schema is rendered compactly from `benchmark.types.RECORD_TYPES` (never typed twice). The
    optional few-shot example is an *invented* news item (invented people, countries, places and
    dates), so no prompt ever contains facts of a benchmark document.

Output format asked of a model
    One flat JSON object per record, one per line (JSON Lines): `{"type": "meeting", "date": ...}`.
    Flat objects are shorter than `{"type": ..., "slots": {...}}` and tiny models keep them valid more
    often. With `wrapper=True` (JSON mode of OpenAI-compatible servers, which must return one object)
    the same records come inside `{"records": [...]}`.

Tolerant parsing (`parse_records`)
    Accepts a JSON array, JSON Lines, a wrapper object (`{"records": [...]}`, `{"meeting": [...]}`),
    nested `slots`, code fences and prose around the JSON. Each candidate object that is not valid JSON
    is repaired (trailing commas, single quotes, Python literals, unquoted keys, missing commas between
    values); one that still fails, or that was cut off (truncated output), is dropped and counted in
    `ParseResult.failures`. Complete objects before a truncation are kept.

Clean-up (`clean_records`)
    Keeps known record types and schema slots only (the rest is counted), coerces value shapes, resolves
    year-less dates and weekdays from the published date (`benchmark.dates`), optionally drops entity
    values with no support in the text (small models copy the few-shot example), adds evidence spans
    where a value occurs verbatim, and removes duplicate records.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmark.dates import WEEKDAYS, parse_date, resolve_date, weekday_date
from benchmark.types import DATE, DURATION, RECORD_TYPES, TEXT

# --------------------------------------------------------------------------- schema and prompts

VALUE_HINTS = {
    "DATE": "dates as YYYY-MM-DD (or YYYY-MM, YYYY, or an interval YYYY/YYYY)",
    "PERSON": "people by name",
    "PLACE": "places by name",
    "COUNTRY": "countries by name",
    "OFFICE": 'offices as "role of country"',
    "DURATION": "durations in ISO 8601 (PT4H)",
    "TEXT": "other values as short noun phrases from the text",
}


def schema_lines(types: Mapping[str, Mapping[str, Any]] = RECORD_TYPES) -> list[str]:
    """`meeting: description, date, participants[], ...`: one line per record type."""
    lines = []
    for name, slots in types.items():
        parts = [spec.name + ("[]" if spec.is_list else "") for spec in slots.values()]
        lines.append(f"{name}: {', '.join(parts)}")
    return lines


def instructions(*, wrapper: bool = False) -> str:
    value_types = []
    for slots in RECORD_TYPES.values():
        for spec in slots.values():
            if spec.value_type and spec.value_type not in value_types:
                value_types.append(spec.value_type)
    value_types.sort(key=lambda v: v == TEXT)  # "other values" last
    hints = "; ".join(VALUE_HINTS[v] for v in value_types if v in VALUE_HINTS)
    shape = (
        'Answer with one JSON object {"records": [...]}, each record a flat object with "type" and its slots.'
        if wrapper
        else 'Answer with JSON Lines: one flat object per line with "type" and its slots.'
    )
    return (
        "Extract the facts of a news text as typed records.\n"
        "Record types and their slots ([] marks a list):\n"
        + "\n".join(schema_lines())
        + "\nValues: " + hints + ".\n"
        "Talks, calls and summits are meetings. One record per event; leave out slots the text does not "
        "state. Use only facts stated in the text.\n" + shape
    )


# An invented news item and its records: no real person, place or event.
EXAMPLE_PUBLISHED = "2019-06-04"
EXAMPLE_TEXT = (
    "Oskar, Ranne hold talks on border accord\n\n"
    "LORVIK, June 4. /Norpress/. Valdrian President Marten Oskar and Kestonian Prime Minister Ilse Ranne "
    "held three-hour talks in Lorvik on Monday, initiated by the Valdrian leader, his office said.\n\n"
    "On March 2, 2019 Oskar, Ranne and Dastovian President Hugo Ferrent signed the Ambel accord on a "
    "truce in the Sarn valley starting from March 3. Valdrian border guards were then deployed to the "
    "Sarn valley and to the town of Merow. Fighting between Kestonia and Dastovia had broken out in the "
    "Sarn valley in May 2018.\n\n"
    "On Monday the leaders set up a commission chaired by the foreign ministers of Valdria and Kestonia, "
    "which will focus on trade and water supply."
)
EXAMPLE_RECORDS: tuple[dict[str, Any], ...] = (
    {"type": "meeting", "description": "talks in Lorvik", "date": "2019-06-03",
     "participants": ["Marten Oskar", "Ilse Ranne"], "location": "Lorvik", "initiator": "Marten Oskar",
     "duration": "PT3H"},
    {"type": "agreement", "name": "Ambel accord", "date": "2019-03-02",
     "signatories": ["Marten Oskar", "Ilse Ranne", "Hugo Ferrent"]},
    {"type": "ceasefire", "description": "truce", "start_date": "2019-03-03", "region": "Sarn valley"},
    {"type": "deployment", "force": "border guards", "country": "Valdria",
     "locations": ["Sarn valley", "Merow"]},
    {"type": "conflict_event", "description": "fighting", "date": "2018-05",
     "parties": ["Kestonia", "Dastovia"], "location": "Sarn valley"},
    {"type": "body", "name": "commission", "chairs": ["foreign minister of Valdria",
     "foreign minister of Kestonia"], "established": "2019-06-03", "focus": ["trade", "water supply"]},
    {"type": "office_holder", "person": "Marten Oskar", "office": "president of Valdria"},
    {"type": "office_holder", "person": "Ilse Ranne", "office": "prime minister of Kestonia"},
    {"type": "office_holder", "person": "Hugo Ferrent", "office": "president of Dastovia"},
)


def render_records(records: Iterable[Mapping[str, Any]], *, wrapper: bool = False) -> str:
    items = list(records)
    if wrapper:
        return json.dumps({"records": items}, ensure_ascii=False)
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in items)


def document_block(text: str, published: str | None) -> str:
    head = f"Published: {published}\n" if published else ""
    return f"{head}Text:\n{text.strip()}"


def chat_messages(text: str, published: str | None, *, few_shot: bool = True,
                  wrapper: bool = False) -> list[dict[str, str]]:
    """Messages for a chat model: instructions, optionally the invented example as a turn, the text."""
    messages = [{"role": "system", "content": instructions(wrapper=wrapper)}]
    if few_shot:
        messages.append({"role": "user", "content": document_block(EXAMPLE_TEXT, EXAMPLE_PUBLISHED)})
        messages.append({"role": "assistant", "content": render_records(EXAMPLE_RECORDS, wrapper=wrapper)})
    messages.append({"role": "user", "content": document_block(text, published)})
    return messages


COMPLETION_STOP = ("\n\n", "\nPublished:", "\nText:", "###")


def completion_prompt(text: str, published: str | None, *, few_shot: bool = True) -> str:
    """A plain-text prompt for a base model; the answer ends at a blank line (`COMPLETION_STOP`)."""
    parts = [instructions(), ""]
    if few_shot:
        parts += [document_block(EXAMPLE_TEXT, EXAMPLE_PUBLISHED).replace("\n\n", "\n"), "Records:",
                  render_records(EXAMPLE_RECORDS), "", "###", ""]
    parts += [document_block(text, published).replace("\n\n", "\n"), "Records:", ""]
    return "\n".join(parts)


def chunk_text(text: str, max_chars: int) -> list[tuple[int, str]]:
    """Split on paragraph boundaries into pieces of at most ~max_chars; (offset, piece). 0: no split."""
    if max_chars <= 0 or len(text) <= max_chars:
        return [(0, text)]
    chunks: list[tuple[int, str]] = []
    start = 0
    cursor = 0
    for match in re.finditer(r"\n\s*\n", text):
        end = match.end()
        if end - start > max_chars and cursor > start:
            chunks.append((start, text[start:cursor]))
            start = cursor
        cursor = end
    if len(text) - start > max_chars and cursor > start:
        chunks.append((start, text[start:cursor]))
        start = cursor
    chunks.append((start, text[start:]))
    return [(off, piece) for off, piece in chunks if piece.strip()]


# --------------------------------------------------------------------------- tolerant JSON parsing


@dataclass
class ParseResult:
    objects: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0  # candidate objects that could not be repaired, truncated ones included
    truncated: int = 0
    repaired: int = 0  # objects that needed a repair step


_FENCE = re.compile(r"```[a-zA-Z]*[ \t]*\n?|```")
_EMPTY_ANSWERS = {"", "[]", "{}", "none", "null", "no records", "n/a"}


def _scan(text: str) -> tuple[list[str], str | None]:
    """Top-level `{...}` spans of `text` (brackets are transparent), and an unclosed tail if any.

    Both quote kinds delimit strings so braces inside values are skipped; an apostrophe inside a word
    ("Armenia's") does not open a string.
    """
    found: list[str] = []
    depth = 0
    start = -1
    quote: str | None = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote or (ch == "\n" and quote == "'"):
                quote = None
        elif (ch == '"' and depth > 0) or (ch == "'" and depth > 0 and not (i > 0 and text[i - 1].isalnum())):
            quote = ch
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                found.append(text[start:i + 1])
        i += 1
    return found, (text[start:] if depth > 0 else None)


def _outside_strings(text: str, fn) -> str:
    """Apply `fn` to the parts of JSON-ish `text` outside double-quoted strings."""
    out = []
    last = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"', text, flags=re.S):
        out.append(fn(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(fn(text[last:]))
    return "".join(out)


_CLOSING = re.compile(r"\s*[,:}\]]")


def _single_to_double(text: str) -> str:
    """'value' -> "value" outside double-quoted strings; escapes inner double quotes."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif ch == "'" and not (i > 0 and text[i - 1].isalnum()):
            j = i + 1
            buf = []
            while j < n:
                c = text[j]
                if c == "\\" and j + 1 < n:
                    buf.append(text[j:j + 2])
                    j += 2
                    continue
                # a closing quote is followed by a delimiter; "Armenia's" keeps its apostrophe
                if c == "'" and (j + 1 >= n or _CLOSING.match(text, j + 1)):
                    break
                buf.append('\\"' if c == '"' else c)
                j += 1
            out.append('"' + "".join(buf) + '"')
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _repairs(candidate: str) -> Iterable[str]:
    text = candidate.strip()
    text = text.replace("“", '"').replace("”", '"')
    yield text
    text = _single_to_double(text)
    yield text

    def fix(part: str) -> str:
        part = re.sub(r",\s*(?=[}\]])", "", part)  # trailing commas
        part = re.sub(r"\bTrue\b", "true", part)
        part = re.sub(r"\bFalse\b", "false", part)
        part = re.sub(r"\bNone\b", "null", part)
        part = re.sub(r"([{,]\s*)([A-Za-z_][\w\- ]*?)\s*:", r'\1"\2":', part)  # unquoted keys
        # bare words as values: {type: meeting} -> {"type": "meeting"}
        return re.sub(r"([:\[,]\s*)(?!(?:true|false|null)\b)([A-Za-z][\w\- .]*?)(\s*)(?=[,}\]])",
                      r'\1"\2"\3', part)

    text = _outside_strings(text, fix)
    yield text
    # missing commas between a value and the next key or list item
    yield re.sub(r'("|\d|true|false|null|\]|\})(\s+)(?=")', r"\1,\2", text)


def _loads(candidate: str) -> tuple[Any, bool] | None:
    for n, attempt in enumerate(_repairs(candidate)):
        try:
            return json.loads(attempt), n > 0
        except (json.JSONDecodeError, ValueError):
            continue
    try:  # Python-literal dicts
        value = ast.literal_eval(candidate.strip())
        if isinstance(value, (dict, list)):
            return json.loads(json.dumps(value, default=str)), True
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    return None


def _looks_like_record(fragment: str) -> bool:
    """Does an unclosed `{...` start a record (its own "type" key), not a wrapper of records?"""
    head = fragment[1:]
    nested = head.find("{")
    own = head if nested < 0 else head[:nested]
    return re.search(r"""["']?type["']?\s*:""", own) is not None or nested < 0


def _records_in(value: Any, result: ParseResult | None = None) -> list[dict[str, Any]] | None:
    """The records a parsed JSON value holds (a record, a list, a wrapper); None if none recognised.

    Items of a list that hold no record are counted in `result.failures`.
    """
    if isinstance(value, list):
        out = []
        for item in value:
            inner = _records_in(item, result)
            if inner is None:
                if result is not None:
                    result.failures += 1
            else:
                out.extend(inner)
        return out
    if not isinstance(value, dict):
        return None
    if "type" in value:
        return [value]
    out = []
    recognised = False
    for key, inner in value.items():
        kind = str(key).strip().lower().replace(" ", "_")
        if kind in RECORD_TYPES and isinstance(inner, (dict, list)):
            recognised = True
            for item in (inner if isinstance(inner, list) else [inner]):
                if isinstance(item, dict):
                    out.append({"type": kind, **item})
        elif isinstance(inner, list) and (not inner or any(isinstance(i, dict) for i in inner)):
            recognised = True
            out.extend(_records_in(inner, result) or [])
    return out if recognised else None


def parse_records(output: str) -> ParseResult:
    """Records in a model's raw output, with the count of objects that could not be recovered."""
    result = ParseResult()
    text = _FENCE.sub("\n", output or "")
    stripped = text.strip()
    if stripped.lower().rstrip(".") in _EMPTY_ANSWERS:
        return result
    try:
        whole = json.loads(stripped)
    except (json.JSONDecodeError, ValueError):
        whole = None
    if whole is not None:
        records = _records_in(whole, result)
        if records is not None:
            result.objects = records
            return result
    _parse_fragment(text, result)
    if not result.objects and not result.failures and "{" not in text:
        result.failures = 1  # prose or garbage instead of JSON
    return result


def _parse_fragment(text: str, result: ParseResult) -> None:
    candidates, tail = _scan(text)
    for candidate in candidates:
        loaded = _loads(candidate)
        records = _records_in(loaded[0], result) if loaded else None
        if records is None:
            result.failures += 1
            continue
        result.objects.extend(records)
        if loaded and loaded[1]:
            result.repaired += 1
    if tail is not None:
        if _looks_like_record(tail):
            result.failures += 1
            result.truncated += 1
        else:  # an unclosed wrapper ({"records": [ {...}, {...}, {..): keep its complete records
            _parse_fragment(tail[1:], result)


# --------------------------------------------------------------------------- clean-up

_NO_VALUE = {"", "unknown", "n/a", "na", "none", "null", "not stated", "not specified", "not mentioned", "-"}
_META_KEYS = {"type", "slots", "evidence", "confidence"}
_WORD = re.compile(r"\w+", re.U)
_LIST_SPLIT = re.compile(r"\s*[,;]\s*|\s+and\s+")
_STOP = {"the", "of", "and", "a", "an", "in", "on", "to", "for", "at", "by", "with"}


@dataclass
class CleanStats:
    unknown_types: int = 0
    dropped_slots: int = 0
    ungrounded_values: int = 0
    empty_records: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, bool)):
        return None
    text = str(value).strip()
    return None if text.lower() in _NO_VALUE else text


def _grounded(value: str, text_words: set[str]) -> bool:
    """Some content word of the value (or a 4-letter prefix of it: "Russia"/"Russian") is in the text."""
    words = [w for w in _WORD.findall(value.lower()) if w not in _STOP]
    if not words:
        return False
    for word in words:
        if word in text_words:
            return True
        if len(word) >= 4 and any(t.startswith(word[:max(4, len(word) - 2)]) for t in text_words):
            return True
    return False


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
_DURATION_UNITS = {"H": "hour", "M": "minute", "S": "second", "D": "day", "W": "week", "Y": "year"}


def _date_grounded(value: str, text_words: set[str], published: str | None) -> bool:
    """An ISO date is supported when its year is in the text (or is the published year or the one
    before, which an implied year resolves to) and its month and day are named in the text. A date
    in the week up to the published date ("on Wednesday") needs no words. Other strings stay."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not m:
        return True  # not ISO: left for the scorer to read
    year, month, day = m.group(1), m.group(2), m.group(3)
    if published and day:
        try:
            delta = (dt.date.fromisoformat(published[:10]) - dt.date.fromisoformat(value)).days
        except ValueError:
            delta = -1
        if 0 <= delta < 7:
            return True
    pub_year = int(published[:4]) if published else None
    if year not in text_words and (pub_year is None or int(year) not in (pub_year, pub_year - 1)):
        return False
    if month:
        name = _MONTH_NAMES[int(month) - 1] if 1 <= int(month) <= 12 else ""
        if not any(w.startswith(name[:3]) for w in text_words if len(w) >= 3) and month not in text_words:
            return False
    return not day or str(int(day)) in text_words or day in text_words or any(
        w.startswith(str(int(day))) and w[len(str(int(day))):] in ("st", "nd", "rd", "th") for w in text_words)


def _duration_grounded(value: str, text: str) -> bool:
    """PT4H is supported when the text says "4 hours", "four-hour" or the like."""
    m = re.fullmatch(r"P(?:T)?(\d+)([HMSDWY])", value.strip().upper())
    if not m:
        return True
    n, unit = int(m.group(1)), _DURATION_UNITS[m.group(2)]
    number = str(n) + (f"|{_NUMBER_WORDS[n]}" if n < len(_NUMBER_WORDS) else "")
    return re.search(rf"\b(?:{number})[\s-]+{unit}", text, flags=re.I) is not None


def _clean_date(value: str, published: str | None, resolve: bool) -> str:
    if not resolve:
        return value
    bare = value.strip().strip(".").lower()
    if bare in WEEKDAYS or bare.removeprefix("on ").strip() in WEEKDAYS:
        return weekday_date(bare.removeprefix("on ").strip(), published) or value
    try:
        parse_date(value)
    except ValueError:
        return value
    return resolve_date(value, published) or value


def clean_records(objects: Iterable[Mapping[str, Any]], text: str, published: str | None, *,
                  resolve_dates: bool = True, require_grounding: bool = True,
                  offset: int = 0, full_text: str | None = None,
                  stats: CleanStats | None = None) -> list[dict[str, Any]]:
    """Schema-valid records in the extractor contract's shape (see module docstring)."""
    stats = stats if stats is not None else CleanStats()
    source = full_text if full_text is not None else text
    text_words = set(_WORD.findall(text.lower()))
    lowered = source.lower()
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for obj in objects:
        if not isinstance(obj, Mapping):
            continue
        kind = str(obj.get("type", "")).strip().lower().replace(" ", "_").replace("-", "_")
        if kind not in RECORD_TYPES:
            stats.unknown_types += 1
            continue
        schema = RECORD_TYPES[kind]
        raw_slots: dict[str, Any] = {}
        if isinstance(obj.get("slots"), Mapping):
            raw_slots.update(obj["slots"])
        raw_slots.update({k: v for k, v in obj.items() if k not in _META_KEYS})
        slots: dict[str, Any] = {}
        for key, value in raw_slots.items():
            name = str(key).strip().lower().replace(" ", "_")
            spec = schema.get(name)
            if spec is None:
                stats.dropped_slots += 1
                continue
            items = value if isinstance(value, list) else [value]
            values = [v for v in (_as_text(i) for i in items) if v]
            if spec.is_list:  # "A, B and C" -> three values, as the scorer reads a string
                values = [p.strip() for v in values for p in _LIST_SPLIT.split(v) if _as_text(p)]
            if spec.value_type == DATE:
                values = [_clean_date(v, published, resolve_dates) for v in values]
            if require_grounding and spec.value_type is not None:
                if spec.value_type == DATE:
                    kept = [v for v in values if _date_grounded(v, text_words, published)]
                elif spec.value_type == DURATION:
                    kept = [v for v in values if _duration_grounded(v, text)]
                else:
                    kept = [v for v in values if _grounded(v, text_words)]
                stats.ungrounded_values += len(values) - len(kept)
                values = kept
            values = list(dict.fromkeys(values))
            if not values:
                continue
            slots[name] = values if spec.is_list else values[0]
        if not any(spec.scored and name in slots for name, spec in schema.items()):
            stats.empty_records += 1
            continue
        key = json.dumps([kind, slots], sort_keys=True, ensure_ascii=False)
        if key in seen:
            stats.duplicates += 1
            continue
        seen.add(key)
        record: dict[str, Any] = {"type": kind, "slots": slots}
        evidence = _evidence(slots, schema, source, lowered, offset if full_text is not None else 0)
        if evidence:
            record["evidence"] = evidence
        out.append(record)
    return out


def _evidence(slots: Mapping[str, Any], schema: Mapping[str, Any], source: str, lowered: str,
              offset: int) -> list[list[int]]:
    """Spans where entity and text values occur verbatim (exact case first), from the chunk on."""
    spans = []
    for name, value in slots.items():
        spec = schema[name]
        if spec.value_type in (None, DATE, DURATION):
            continue
        for item in value if isinstance(value, list) else [value]:
            if len(item) < 2:
                continue
            pos = -1
            for haystack, needle in ((source, item), (lowered, item.lower())):
                pos = haystack.find(needle, offset)
                if pos < 0:
                    pos = haystack.find(needle)
                if pos >= 0:
                    break
            if pos >= 0:
                spans.append([pos, pos + len(item)])
    return sorted({tuple(s): s for s in spans}.values())


@dataclass
class Answers:
    """Records read from a model's answers to a document's chunks, with what reading them cost."""

    records: list[dict[str, Any]]
    failures: int
    truncated: int
    stats: CleanStats


def records_from_answers(answers: Iterable[tuple[int, str, str]], document: Any,
                         config: Mapping[str, Any]) -> Answers:
    """(chunk offset, chunk text, raw answer) per chunk -> cleaned, grounded, merged records."""
    stats = CleanStats()
    failures = truncated = 0
    groups = []
    for offset, piece, raw in answers:
        parsed = parse_records(raw)
        failures += parsed.failures
        truncated += parsed.truncated
        groups.append(clean_records(
            parsed.objects, piece, document.published, offset=offset, full_text=document.text,
            resolve_dates=bool(config["resolve_dates"]), require_grounding=bool(config["require_grounding"]),
            stats=stats,
        ))
    return Answers(merge_records(groups), failures, truncated, stats)


def merge_records(groups: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Concatenate the records of several chunks, dropping exact duplicates."""
    out, seen = [], set()
    for records in groups:
        for record in records:
            key = json.dumps([record["type"], record["slots"]], sort_keys=True, ensure_ascii=False)
            if key not in seen:
                seen.add(key)
                out.append(record)
    return out
