"""Hostile input: property-based fuzzing of predictions files, gold files and CLI arguments.

Whatever the input, no traceback reaches the user: the command either works (exit 0, warnings as
`factbench: warning: WHERE: CODE: ...` lines) or rejects it with exactly one line on stderr that names
a code of `benchmark.errors.CODES`, and exit status 2. The CLI runs in-process (`benchmark.cli.main`,
output captured with capsys); a few checks go through a real subprocess. Every fuzz test is bounded
(`max_examples`), so the file runs in well under a minute. Also here: the catalogue of codes against
docs/errors.md, and each input limit with its named error.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import MINI_ID, mini_gold_dict, write_gold_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark import predictions as predictions_module
from benchmark.cli import main
from benchmark.errors import CODES
from benchmark.gold import default_gold_dir
from benchmark.predictions import parse_records, read_predictions
from benchmark.types import InputProblem, Prediction

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_ID = "tass-2021-02-17"


def fuzz(kind: str) -> settings:
    """Bounded: EXAMPLES[kind] examples, no deadline (the first call imports numpy and scipy)."""
    return settings(max_examples=EXAMPLES[kind], deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
LINE = re.compile(r"^(?:factbench: )?(?:(?P<warning>warning: ))?(?:.*?: )?(?P<code>[A-Z][A-Z0-9_]+): \S")

# The number of examples each fuzz test asks for (the README table sums them).
EXAMPLES = {"bytes": 300, "json": 300, "mutated_lines": 600, "serializations": 200, "gold": 200,
            "arguments": 400, "extractor_output": 400}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the tiny gold (gold/, seeds/) and room for fuzzed files."""
    root = tmp_path_factory.mktemp("fuzz")
    write_gold_dir(root, mini_gold_dict())
    return root


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as exc:  # --help, --version and argparse errors leave through SystemExit
        status = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return status, out, err


def assert_clean(status: int, out: str, err: str, allowed: tuple[int, ...] = (0, 2),
                 one_line: bool = True) -> str | None:
    """No traceback; exit 0 with warning lines only, or 2 with exactly one named line. The code, if any.

    `validate-gold` lists every problem of the gold (one line each): one_line=False.
    """
    assert "Traceback" not in out + err, err
    assert "INTERNAL_ERROR" not in err, err
    assert status in allowed, (status, err)
    lines = err.splitlines()
    if status == 2:
        assert lines and (len(lines) == 1 or not one_line), err
        for line in lines:
            found = LINE.match(line)
            assert found and not found.group("warning"), line
            assert found.group("code") in CODES, line
        return LINE.match(lines[0]).group("code")
    for line in lines:
        if line.startswith("factbench: warning:") and "more warnings not shown" not in line:
            found = LINE.match(line)
            assert found and found.group("code") in CODES and CODES[found.group("code")][0] == "warning", line
    return None


def score(area: Path, data: bytes, capsys: pytest.CaptureFixture[str], name: str = "pred.jsonl") -> str | None:
    path = area / name
    path.write_bytes(data)
    status, out, err = cli(["score", "--pred", str(path), "--gold", str(area / "gold"), "--bootstrap", "0",
                            "--json"], capsys)
    code = assert_clean(status, out, err)
    if status == 0:
        report = json.loads(out)
        assert {"strict", "lenient", "parse_errors", "unsupported"} <= set(report)
    return code


VALID = {
    "doc_id": MINI_ID, "type": "meeting",
    "slots": {"description": "talks in Sochi", "date": "March 2, 2021", "participants": ["Putin", "Pashinyan"],
              "location": "Sochi", "initiator": "Putin", "duration": "three-hour"},
    "evidence": [[0, 5], [40, 60]], "confidence": 0.9,
}
OFFICE = {"doc_id": MINI_ID, "type": "office_holder",
          "slots": {"person": "Nikol Pashinyan", "office": "Armenian Prime Minister"}}

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["", "unknown", "N/A", "and", ", ;", "2021-02-30", "PT", "P1Y2M", "September 27",
                     "\u2028", "\x85", "\ufeff", "\x00", "é" * 3, "Putin and Pashinyan; Aliyev", "-1e309"]),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def deep(depth: int) -> Any:
    value: Any = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


hostile = st.one_of(
    json_values,
    st.integers(min_value=30, max_value=200).map(deep),
    st.sampled_from([10**30, -(10**30), 1e308, float("nan"), float("inf"), -0.0, True, "x" * 10_001,
                     ["Putin"] * 1_001, {"$ref": "#"}, [[0, 5]], [[5, 0]], [[-1, 2]], [[0.5, 1]], "../../x",
                     "/etc/passwd", "tass-2021-02-17", MINI_ID]),
)
FIELDS = ["doc_id", "type", "slots", "evidence", "confidence", "slots.date", "slots.participants",
          "slots.location", "slots.duration", "slots.description", "slots.initiator", "slots.venue",
          "evidence.0", "participants.0"]


def mutate(record: dict[str, Any], field: str, value: Any, delete: bool) -> dict[str, Any]:
    out = copy.deepcopy(record)
    target, key = out, field
    if field.startswith("slots."):
        target, key = out["slots"], field.split(".", 1)[1]
    elif field == "evidence.0":
        target, key = out.setdefault("evidence", [[0, 1]]), 0
    elif field == "participants.0":
        target, key = out["slots"].setdefault("participants", ["Putin"]), 0
    if delete and isinstance(target, dict):
        target.pop(key, None)
    else:
        target[key] = value
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # NaN and Infinity as JSON5-style literals, as Python writes them


# --------------------------------------------------------------------------- predictions files


@fuzz("bytes")
@given(data=st.one_of(st.binary(max_size=3000),
                      st.lists(st.sampled_from([b"{", b"}", b"[", b"]", b'"', b":", b",", b"\n", b"\r\n",
                                                b"\xef\xbb\xbf", b"\xff", b"\xc3", b"null", b"NaN", b"1e999",
                                                b'"doc_id"', b'"mini-2021-03-03"', b'"type"', b'"slots"',
                                                b"\\u0000", b"\\ud800", b"\x85", b"\xe2\x80\xa8"]),
                               max_size=60).map(b"".join)))
def test_random_bytes_never_crash_score(area: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> None:
    score(area, data, capsys)


@fuzz("json")
@given(lines=st.lists(json_values, max_size=6))
def test_random_json_lines_never_crash_score(area: Path, capsys: pytest.CaptureFixture[str],
                                             lines: list[Any]) -> None:
    score(area, "".join(dumps(v) + "\n" for v in lines).encode(), capsys)


@fuzz("mutated_lines")
@given(base=st.sampled_from([VALID, OFFICE]), field=st.sampled_from(FIELDS), value=hostile,
       delete=st.booleans(), keep_valid=st.booleans())
def test_mutated_prediction_lines(area: Path, capsys: pytest.CaptureFixture[str], base: dict[str, Any],
                                  field: str, value: Any, delete: bool, keep_valid: bool) -> None:
    record = mutate(base, field, value, delete)
    lines = [dumps(record)] + ([dumps(VALID), dumps(OFFICE)] if keep_valid else [])
    code = score(area, "".join(line + "\n" for line in lines).encode(), capsys)
    if code is not None:  # a rejected file names the mutated line, never a good one
        assert code in CODES


SERIALIZE = ["plain", "bom", "crlf", "latin1", "utf16", "nan_literal", "huge_int", "u2028", "truncated",
             "nul", "lone_surrogate_escape", "blank_lines", "no_final_newline"]


@fuzz("serializations")
@given(how=st.sampled_from(SERIALIZE), records=st.lists(st.sampled_from([VALID, OFFICE]), min_size=1, max_size=3),
       text=st.text(max_size=20))
def test_serializations_of_valid_lines(area: Path, capsys: pytest.CaptureFixture[str], how: str,
                                       records: list[dict[str, Any]], text: str) -> None:
    records = [mutate(r, "slots.description", text, False) for r in records]
    lines = [dumps(r) for r in records]
    data = "\n".join(lines) + "\n"
    expect_ok = how in ("plain", "bom", "crlf", "u2028", "blank_lines", "no_final_newline", "nan_literal")
    if how == "bom":
        data = "\ufeff" + data
    elif how == "crlf":
        data = data.replace("\n", "\r\n")
    elif how == "nan_literal":
        data = data.replace('"confidence": 0.9', '"confidence": NaN')
        data = data.replace('"slots": {', '"slots": {"x": -Infinity, ')
    elif how == "huge_int":
        data = data.replace('"confidence": 0.9', '"confidence": ' + "7" * 5000) if "0.9" in data else \
            data.replace('"slots": {', '"slots": {"person": ' + "7" * 5000 + ", ")
    elif how == "u2028":
        data = data.replace("talks in Sochi", "talks\u2028in\x85Sochi\u2029")
    elif how == "truncated":
        data = data[: max(1, len(data) // 2)]
    elif how == "nul":
        data = data.replace('"type"', '"ty\x00pe"', 1)
    elif how == "lone_surrogate_escape":
        data = data.replace('"slots": {', '"slots": {"description": "\\ud800", ', 1)
    elif how == "blank_lines":
        data = "\n\n  \n" + data.replace("\n", "\n\t\n")
    elif how == "no_final_newline":
        data = data.rstrip("\n")
    if how == "latin1":
        raw = (data.replace("talks", "Zürich talks")).encode("latin-1", "replace")
        expect_ok = raw.decode("utf-8", "replace") == raw.decode("utf-8", "ignore")
    elif how == "utf16":
        raw = data.encode("utf-16")
    else:
        raw = data.encode("utf-8", "surrogatepass")
    code = score(area, raw, capsys)
    if expect_ok:
        assert code is None, (how, code)


@fuzz("extractor_output")
@given(records=st.one_of(json_values, st.lists(st.one_of(
    json_values, st.builds(mutate, st.sampled_from([VALID, OFFICE]), st.sampled_from(FIELDS), hostile, st.booleans())),
    max_size=5)))
def test_extractor_output_is_parsed_without_raising(records: Any) -> None:
    kept, problems = parse_records(records, MINI_ID, "fuzz")
    assert all(isinstance(p, Prediction) for p in kept)
    assert all(isinstance(p, InputProblem) and p.code in CODES for p in problems)
    json.dumps([predictions_module.prediction_to_json(p) for p in kept], ensure_ascii=False, default=str)


# --------------------------------------------------------------------------- gold files


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A copy of the shipped gold file of the TASS report and its seed (the original stays untouched)."""
    root = tmp_path_factory.mktemp("gold-fuzz")
    source = default_gold_dir() / f"{SHIPPED_ID}.json"
    raw = json.loads(source.read_text(encoding="utf-8"))
    (root / "gold").mkdir()
    shutil.copytree(source.parent.parent / "seeds", root / "seeds")
    return root, raw


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(paths_of(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value[:3]):
            out.extend(paths_of(child, (*prefix, index)))
    return out


@fuzz("gold")
@given(data=st.data(), value=hostile, how=st.sampled_from(["replace", "delete", "replace", "bytes"]))
def test_mutated_shipped_gold(shipped_copy: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str],
                              data: st.DataObject, value: Any, how: str) -> None:
    root, raw = shipped_copy
    gold = copy.deepcopy(raw)
    paths = paths_of(gold)
    path = data.draw(st.sampled_from(paths[1:]), label="path")
    parent = gold
    for key in path[:-1]:
        parent = parent[key]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    text = dumps(gold).encode("utf-8", "surrogatepass")
    if how == "bytes":
        cut = data.draw(st.integers(0, len(text)), label="cut")
        text = text[:cut] + data.draw(st.binary(max_size=8), label="junk") + text[cut:]
    target = root / "gold" / f"{SHIPPED_ID}.json"
    target.write_bytes(text)
    status, out, err = cli(["validate-gold", str(root / "gold")], capsys)
    assert "Traceback" not in out + err and "INTERNAL_ERROR" not in err and status in (0, 2), err
    for line in err.splitlines():
        found = re.search(r": ([A-Z][A-Z0-9_]+): ", line)
        assert found and found.group(1) in CODES, line
    assert (status == 2) == bool(err.strip())
    pred = root / "pred.jsonl"
    pred.write_text(json.dumps({"doc_id": SHIPPED_ID, "type": "meeting", "slots": {"date": "2021-02-17"}}) + "\n")
    status2, out2, err2 = cli(["score", "--pred", str(pred), "--gold", str(root / "gold"), "--bootstrap", "0"],
                              capsys)
    assert_clean(status2, out2, err2)
    assert status2 == status or status2 == 2  # what validates also loads (a doc_id it lost is UNKNOWN_DOC)


# --------------------------------------------------------------------------- arguments

COMMANDS = ["score", "compare", "validate-gold", "leaderboard", "list", "report"]
TOKENS = ["--pred", "--gold", "--documents", "--json", "--facts", "--bootstrap", "--seed", "--runs", "--out",
          "--help", "-h", "--version", "original", "all", "some", "-1", "0", "1", "10", "99999999999", "nan",
          "inf", "1e9", "pred.jsonl", "missing.jsonl", "gold", "nowhere", "runs", ".", "", "--", "-", "=",
          "--pred=pred.jsonl", "--seed=-5", "--bootstrap=-1", "--bootstrap=100001", "\x00", "é", "--unknown"]
safe_text = st.text(max_size=12).filter(lambda t: not t.startswith(("/", "~")) and ".." not in t and "\x00" not in t)


@fuzz("arguments")
@given(command=st.one_of(st.sampled_from(COMMANDS), st.just(None), safe_text),
       rest=st.lists(st.one_of(st.sampled_from(TOKENS), safe_text), max_size=7))
def test_random_argument_lists(area: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               command: str | None, rest: list[str]) -> None:
    monkeypatch.chdir(area)  # relative paths (runs/, pred.jsonl, --facts) land in the fuzz folder
    (area / "pred.jsonl").write_text(dumps(VALID) + "\n")
    argv = ([command] if command is not None else []) + rest
    if "--gold" not in argv and command in ("score", "compare", "leaderboard", "report"):
        argv += ["--gold", "gold"]
    if command in ("score",) and "--bootstrap" not in " ".join(argv):
        argv += ["--bootstrap", "0"]
    if command == "compare":
        argv = [a for a in argv if a != "--json"]
    status, out, err = cli(argv, capsys)
    assert_clean(status, out, err, one_line=command != "validate-gold" or "-h" in argv or "--help" in argv)


@pytest.mark.parametrize("argv", [
    ["run", "-e", "empty", "--timeout", "nan"], ["run", "-e", "empty", "--timeout", "-1"],
    ["run", "-e", "empty", "--timeout", "inf"], ["run", "-e", "empty", "--memory-mb", "0"],
    ["run", "-e", "empty", "--seed", "-1"], ["run", "-e", "empty", "--shard", "3/2"],
    ["run", "-e", "empty", "--shard", "a/b"], ["run", "-e", "empty", "--shard", "0/0"],
    ["run", "-e", "empty", "--set", "novalue"], ["run", "-e", "empty", "--set", "other.key=1"],
    ["run", "-e", "empty", "--reuse", "sometimes"], ["run", "-e", "orcale"], ["run", "-e", "empty@nopreset"],
    ["run", "-e", "missing_file.py:Cls"], ["run", "-e", "benchmark.types:Document"],
    ["run", "-e", "empty", "--documents", "variants"], ["run", "-e", "empty", "--gold", "nowhere"],
    ["run", "-e", "empty", "--out", "pred.jsonl"], ["extract", "-e", "empty", "missing.txt"],
    ["extract", "-e", "empty", "pred.jsonl", "--published", "2021-02-30"],
    ["extract", "-e", "empty", "pred.jsonl", "--published", "yesterday"],
    ["extract", "-e", "empty", "pred.jsonl", "--timeout", "0"], ["check-plugin"], ["run", "--shard"],
    ["score", "--pred", "pred.jsonl", "--seed", str(2**70)], ["score", "--pred", "pred.jsonl", "--bootstrap", "-3"],
    ["score", "--pred", "gold", "--gold", "gold"], ["score", "--pred", "pred.jsonl", "--gold", "pred.jsonl"],
    ["compare", "pred.jsonl", "missing.jsonl", "--gold", "gold"], ["leaderboard", "--runs", "pred.jsonl"],
    ["report", "--runs", "nowhere"], [], ["frobnicate"],
])
def test_bad_arguments_are_one_named_line(area: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    monkeypatch.chdir(area)
    (area / "pred.jsonl").write_text(dumps(VALID) + "\n")
    status, out, err = cli(argv, capsys)
    assert status == 2, err
    assert assert_clean(status, out, err) is not None
    assert not (area / "runs").exists() or not any((area / "runs").glob("*/manifest.json"))


def test_subprocess_rejections_are_one_line(tmp_path: Path) -> None:
    """Through a real process: random bytes, a bad argument, a deep line; --help still works."""
    (tmp_path / "junk.jsonl").write_bytes(os.urandom(4096))
    (tmp_path / "deep.jsonl").write_text('{"doc_id": "tass-2021-02-17", "type": "meeting", "slots": '
                                         + "[" * 5000 + "]" * 5000 + "}\n")
    (tmp_path / "big.jsonl").write_text('{"doc_id": "tass-2021-02-17", "type": "meeting", "confidence": '
                                        + "9" * 10000 + "}\n")
    for argv, code in ((["score", "--pred", str(tmp_path / "junk.jsonl")], "NOT_UTF8"),
                       (["score", "--pred", str(tmp_path / "deep.jsonl")], "NESTED_TOO_DEEP"),
                       (["score", "--pred", str(tmp_path / "big.jsonl")], "NUMBER_TOO_LARGE"),
                       (["score", "--pred", str(tmp_path / "x.jsonl"), "--bootstrap", "lots"], "BAD_ARGUMENT"),
                       (["validate-gold", str(tmp_path / "junk.jsonl")], "NOT_UTF8")):
        result = subprocess.run([sys.executable, "-m", "benchmark.cli", *argv], capture_output=True, text=True,
                                cwd=tmp_path, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and f"{code}: " in result.stderr, result.stderr
    helped = subprocess.run([sys.executable, "-m", "benchmark.cli", "score", "--help"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert helped.returncode == 0 and "--pred" in helped.stdout


# --------------------------------------------------------------------------- the catalogue and the limits


def test_every_code_is_documented_and_every_documented_code_exists() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([A-Z][A-Z0-9_]+)` \| (\w+)", text, re.M)}
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]{3,})`", text))
    assert set(CODES) == set(rows), (set(CODES) ^ set(rows))
    assert documented <= set(CODES), documented - set(CODES)
    for code, (severity, meaning) in CODES.items():
        assert severity in ("error", "warning") and meaning
        assert rows[code] == severity, code
    # each catalogue row shows the line printed, naming the code
    for code in CODES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{code}` |"))
        assert f"{code}: " in row, row


def test_every_code_is_used_by_the_code() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "benchmark").glob("*.py")
                      if p.name != "errors.py")
    errors_py = (ROOT / "benchmark" / "errors.py").read_text(encoding="utf-8")
    sources += errors_py.split("CODES: dict", 1)[1].split("}", 1)[1]  # the classes, not the catalogue
    unused = [code for code in CODES if not re.search(rf"\b{code}\b", sources)]
    assert not unused, unused


@pytest.mark.parametrize(("limit", "small", "content", "code"), [
    ("MAX_FILE_BYTES", 100, dumps(VALID) + "\n", "FILE_TOO_LARGE"),
    ("MAX_LINE_CHARS", 50, dumps(VALID) + "\n", "LINE_TOO_LONG"),
    ("MAX_RECORDS_PER_DOC", 2, (dumps(VALID) + "\n") * 3, "TOO_MANY_RECORDS"),
    ("MAX_VALUE_CHARS", 5, dumps(VALID) + "\n", "VALUE_TOO_LONG"),
    ("MAX_LIST_ITEMS", 1, dumps(VALID) + "\n", "VALUE_TOO_LONG"),
    ("MAX_DEPTH", 2, dumps(VALID) + "\n", "NESTED_TOO_DEEP"),
])
def test_each_limit_has_its_named_error(area: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, limit: str, small: int, content: str,
                                        code: str) -> None:
    assert score(area, content.encode(), capsys) is None  # fine under the real limits
    monkeypatch.setattr(predictions_module, limit, small)
    assert score(area, content.encode(), capsys) == code


def test_real_limits_on_real_sizes(area: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long_value = mutate(VALID, "slots.description", "x" * 10_001, False)
    assert score(area, (dumps(long_value) + "\n").encode(), capsys) == "VALUE_TOO_LONG"
    many = mutate(VALID, "slots.participants", ["Putin"] * 1_001, False)
    assert score(area, (dumps(many) + "\n").encode(), capsys) == "VALUE_TOO_LONG"
    assert score(area, (dumps(deep(40)) + "\n").encode(), capsys) == "NESTED_TOO_DEEP"
    assert score(area, ('{"doc_id": "x", "n": ' + "1" * 4301 + "}\n").encode(), capsys) == "NUMBER_TOO_LARGE"
    assert score(area, b"x" * 1_000_001 + b"\n", capsys) == "LINE_TOO_LONG"
    assert score(area, ((dumps(OFFICE) + "\n") * 10_001).encode(), capsys) == "TOO_MANY_RECORDS"
    # a 500-character value is read, and scored as a parse_error rather than rejected
    assert score(area, (dumps(mutate(VALID, "slots.location", "y" * 600, False)) + "\n").encode(), capsys) is None


def test_gold_limits_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = mini_gold_dict()
    gold["records"][3]["slots"]["force"]["value"] = "peacekeepers " * 40
    folder = write_gold_dir(tmp_path / "a", gold)
    status, _, err = cli(["validate-gold", str(folder)], capsys)
    assert status == 2 and "record deployment slot force: VALUE_TOO_LONG: " in err
    gold = mini_gold_dict()
    gold["records"] = [{"id": f"r{i}", "type": "meeting", "slots": {}} for i in range(10_001)]
    folder = write_gold_dir(tmp_path / "b", gold)
    status, _, err = cli(["validate-gold", str(folder)], capsys)
    assert status == 2 and "TOO_MANY_RECORDS: 10001 records (limit 10000)" in err
    gold = mini_gold_dict()
    gold["records"][0]["note"] = deep(100)
    folder = write_gold_dir(tmp_path / "c", gold)
    status, _, err = cli(["validate-gold", str(folder)], capsys)
    assert status == 2 and "NESTED_TOO_DEEP" in err
    (folder / "mini.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(mini_gold_dict()).encode())
    status, _, err = cli(["validate-gold", str(folder)], capsys)
    assert status == 0, err  # a byte-order mark is fine


def test_warnings_are_named_lines_and_do_not_stop_scoring(area: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [mutate(VALID, "type", "treaty", False), mutate(VALID, "slots.venue", "Sochi", False),
             mutate(VALID, "confidence", "high", False), mutate(VALID, "evidence", [[5, 1], "x"], False)]
    path = area / "warn.jsonl"
    path.write_text("".join(dumps(r) + "\n" for r in lines))
    status, _, err = cli(["score", "--pred", str(path), "--gold", str(area / "gold"), "--bootstrap", "0"], capsys)
    assert status == 0
    assert err.splitlines() == [
        f"factbench: warning: {path}:1: UNKNOWN_TYPE: type 'treaty' is not in the schema: counted, not scored",
        f"factbench: warning: {path}:2: UNKNOWN_SLOT: slot 'venue' is not a slot of meeting: counted, not scored",
        f"factbench: warning: {path}:3: IGNORED_FIELD: 'confidence' is not a finite number: ignored",
        f"factbench: warning: {path}:4: IGNORED_FIELD: 'evidence' holds spans that are not [start, end] integer "
        "pairs with 0 <= start <= end: unusable spans ignored",
    ]
    warnings: list[InputProblem] = []
    assert len(read_predictions(path, None, warnings)) == 4 and len(warnings) == 4


def test_u2028_in_a_value_is_one_line(area: Path) -> None:
    """JSON Lines ends lines at \\n: a value holding U+2028 or U+0085 (as json.dumps(ensure_ascii=False)
    writes them, and the runner does) is one record, not two broken halves."""
    record = mutate(VALID, "slots.description", "a\u2028b\x85c\u2029d\x1ce\x0bf", False)
    path = area / "sep.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\r\n", encoding="utf-8")
    (prediction,) = read_predictions(path, None)
    assert prediction.slots["description"] == "a\u2028b\x85c\u2029d\x1ce\x0bf"
    assert math.isclose(prediction.confidence or 0, 0.9)
