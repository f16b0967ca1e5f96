#!/usr/bin/env bash
# Install mizzle with its test extras into .venv (created on first use) and run every check:
# ruff, ruff format, mypy --strict, then the test suite on two workers.
# Extra arguments go to pytest:  bash scripts/test.sh -m postgres   bash scripts/test.sh -k export
# PostgreSQL: MIZZLE_TEST_PG_URL if set, else an embedded server from the pgserver wheel.
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
