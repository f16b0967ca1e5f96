#!/usr/bin/env bash
# Install mizzle with its test extras into .venv (created on first use) and run every check:
# ruff, ruff format, mypy --strict, then the test suite on two workers.
# Extra arguments go to pytest:  bash scripts/test.sh -m postgres   bash scripts/test.sh -k export
# PostgreSQL: MIZZLE_TEST_PG_URL if set, else an embedded server from the pgserver wheel.
# Browser tests (tests/browser): the npm runtimes in examples/browser/node_modules (npm ci) and
# Debian's /usr/bin/chromium (apt-get, as root or through sudo -n), both installed when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv="${MIZZLE_VENV:-.venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { echo "scripts/test.sh: mizzle needs Python 3.11 or newer (python3 is $(python3 --version))" >&2; exit 1; }
    echo "== creating $venv"
    python3 -m venv "$venv"
fi
echo "== installing mizzle[test] into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The browser tests load Pyodide, sql.js and sqlite-wasm from examples/browser/node_modules: install
# them from the lock when they are missing or the lock changed since (npm ci rewrites
# node_modules/.package-lock.json, so it is newer than the lock after every install).
browser=examples/browser
if [[ ! -d $browser/node_modules/pyodide || $browser/package-lock.json -nt $browser/node_modules/.package-lock.json ]]; then
    command -v npm >/dev/null \
        || { echo "scripts/test.sh: npm is missing: install Node.js and npm (apt-get install npm) for the browser tests" >&2; exit 1; }
    echo "== npm ci --prefix $browser"
    npm ci --prefix "$browser" --no-audit --no-fund --loglevel=error
fi

# Debian's Chromium, which Playwright drives: Playwright's own browser download cannot work here.
chromium=/usr/bin/chromium
if [[ ! -x $chromium ]]; then
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
    if [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; then
        echo "== apt-get install chromium (for the browser tests)"
        # Through env: sudo would drop DEBIAN_FRONTEND from the caller's environment.
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
    fi
    [[ -x $chromium ]] \
        || { echo "scripts/test.sh: the browser tests need Debian's Chromium at $chromium: run apt-get install chromium as root" >&2; exit 1; }
fi

echo "== ruff check";        "$venv/bin/ruff" check mizzle tests
echo "== ruff format";       "$venv/bin/ruff" format --check mizzle tests
echo "== mypy";              "$venv/bin/mypy" mizzle
echo "== pytest -n 2 $*"
status=0
"$venv/bin/pytest" -n 2 "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "scripts/test.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
