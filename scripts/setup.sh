#!/usr/bin/env bash
# Set up the kit: a virtual environment with the kit installed, a Java that Spark can use,
# and the default (small) data sets. Safe to run again: it skips what is already done.
# With --test (what `make test` runs) it adds what the kit's own tests need: playwright,
# and Chromium for the browser test where it can be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

say() { printf '%s\n' "$*" >&2; }

# 1. Python 3.11 or newer
find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if [ ! -x .venv/bin/python ]; then
  py=$(find_python) || { say "The kit needs Python 3.11 or newer: install it (for example from python.org or your package manager) and run this again, or set PYTHON=/path/to/python3.11."; exit 1; }
  say "Creating the virtual environment in .venv with $py"
  "$py" -m venv .venv
fi

# 2. The kit and its dependencies (again only when pyproject.toml changed)
stamp=.venv/.kit-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "Installing the kit and its dependencies (about 2 minutes the first time)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
  touch "$stamp"
  rm -f .venv/.kit-test-installed
fi
test_stamp=.venv/.kit-test-installed
if [ "$for_tests" = 1 ] && { [ ! -f "$test_stamp" ] || [ pyproject.toml -nt "$test_stamp" ]; }; then
  say "Installing what the kit's tests need (playwright, pytest-xdist)"
  .venv/bin/python -m pip install --quiet -e ".[test]"
  touch "$test_stamp"
fi

# 3. Java 17 or 21 for Spark
if ! .venv/bin/python -m labs.java >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Java 17 (openjdk-17-jre-headless) for Spark"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  fi
  if ! .venv/bin/python -m labs.java >/dev/null; then
    exit 1  # labs.java has printed the one sentence that says what to install
  fi
fi

# 3b. A browser for the browser test (tests only; the test says how to get one if this cannot)
if [ "$for_tests" = 1 ] && ! command -v chromium >/dev/null 2>&1 && [ -z "${KIT_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Chromium for the browser test"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium fonts-liberation >/dev/null
  fi
fi

# 4. The default data sets (quick, and skipped when already there)
.venv/bin/python -m labs.data ensure --all --quiet
