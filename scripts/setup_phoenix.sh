#!/usr/bin/env bash
# Install Arize Phoenix (an open-source trace UI that accepts OTLP) into its own
# virtualenv, apart from Tessera's: its dependencies would clash with the project's
# pins. The tracing integration test finds it at $PHOENIX_VENV (default .venv-phoenix).
# Idempotent: a venv whose `phoenix` runs is left alone.
#
#   PHOENIX_VENV    where the venv goes (default .venv-phoenix)
#   PHOENIX_SPEC    the package to install (default arize-phoenix>=20,<21)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${PHOENIX_VENV:-.venv-phoenix}"
SPEC="${PHOENIX_SPEC:-arize-phoenix>=20,<21}"
PY="${PYTHON_BOOTSTRAP:-python3}"

pip_quiet() {
  # A pip.conf may name local index folders that lack most packages; pip warns once per
  # package and folder. Those lines say nothing about this set-up, so they are dropped.
  "$VENV/bin/python" -m pip --disable-pip-version-check "$@" \
    2> >(grep -v "^WARNING: Location 'file://" >&2)
}

if [ -x "$VENV/bin/phoenix" ] && "$VENV/bin/python" -c "import phoenix" 2>/dev/null; then
  echo "setup_phoenix: $VENV is ready"
  exit 0
fi
echo "setup_phoenix: installing $SPEC into $VENV (about a minute)"
"$PY" -m venv "$VENV"
pip_quiet install --quiet --upgrade pip
pip_quiet install --quiet "$SPEC"
"$VENV/bin/python" -c "import phoenix" || {
  echo "setup_phoenix: phoenix does not import from $VENV" >&2
  echo "setup_phoenix: what to do: remove $VENV and run this script again" >&2
  exit 1
}
echo "setup_phoenix: done ($VENV/bin/phoenix)"
