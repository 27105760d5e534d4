#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu image, from the unzipped autograder
# ($AUTOGRADER_ROOT/source). It installs Python (3.11 or newer), bubblewrap and the grader's
# pinned packages in their own venv, and makes sure the unprivileged user exists that runs
# the students' code when bubblewrap cannot.
#
# Environment (for testing it outside Gradescope):
#   AUTOGRADER_ROOT        default /autograder
#   MICROGRAD_VENV         the grader's venv, default $AUTOGRADER_ROOT/micrograd-venv
#   MICROGRAD_SKIP_INSTALL 1: no apt-get, no venv, no pip; MICROGRAD_VENV must exist already
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${MICROGRAD_VENV:-$ROOT/micrograd-venv}"
NOBODY=65534

python_ok() {  # is $1 a Python 3.11 or newer?
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

if [ "${MICROGRAD_SKIP_INSTALL:-}" = 1 ]; then
  echo "setup.sh: MICROGRAD_SKIP_INSTALL=1: no apt-get, no venv, no pip; using $VENV"
  test -x "$VENV/bin/python" || { echo "setup.sh: $VENV/bin/python does not exist" >&2; exit 1; }
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
  PYTHON=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if python_ok "$candidate"; then PYTHON="$candidate"; break; fi
  done
  if [ -z "$PYTHON" ]; then
    # Ubuntu 22.04's python3 is 3.10; 3.11 is in its universe section, or in deadsnakes.
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null 2>&1 || {
      apt-get install -y -qq software-properties-common >/dev/null
      add-apt-repository -y ppa:deadsnakes/ppa >/dev/null
      apt-get update -qq
      apt-get install -y -qq python3.11 python3.11-venv >/dev/null
    }
    PYTHON=python3.11
  fi
  echo "setup.sh: $("$PYTHON" --version) at $(command -v "$PYTHON")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
    -r "$SOURCE/requirements.txt"
fi

# The students' code runs as uid 65534 (bubblewrap maps it; the separate-user sandbox
# switches to it). Ubuntu calls it nobody; create it if the image has none.
if ! getent passwd "$NOBODY" >/dev/null; then
  useradd --uid "$NOBODY" --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin nobody
fi

# Nothing of the students' may read the grader (hidden checks, reference code) or write the
# results: only root may enter these folders.
mkdir -p "$ROOT/results"
chmod 700 "$SOURCE" "$ROOT/results"
if [ "${MICROGRAD_SKIP_INSTALL:-}" != 1 ]; then chmod 700 "$VENV"; fi

echo "setup.sh: the students' code will run in the sandbox level:"
cd "$SOURCE" && PYTHONPATH="$SOURCE" "$VENV/bin/python" -c \
  'from autograder.sandbox import choose; print("  " + choose("auto"))'
