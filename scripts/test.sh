#!/usr/bin/env bash
# Quick start 2 (and CI, through .ci/run): set up everything, then lint, type-check and run all tests.
#   bash scripts/test.sh [extra pytest arguments]
# Every check runs even when an earlier one fails, so one CI run shows every problem; the exit
# status is non-zero when any failed. pytest finding no tests (exit 5) counts as a failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$ROOT"
started=$SECONDS

ensure_venv
ensure_postgres
ensure_redis
ensure_chromium

failed=()
check() { # check NAME COMMAND...
    local name="$1"
    shift
    log "$name"
    local rc=0
    "$@" || rc=$?
    if ((rc != 0)); then
        failed+=("$name (exit $rc)")
    fi
}

check "ruff check" "$VENV/bin/ruff" check --no-cache .
check "ruff format --check" "$VENV/bin/ruff" format --no-cache --check .
check "mypy airflow_ai_etl" "$VENV/bin/mypy" airflow_ai_etl
mkdir -p test-artifacts
if (($#)); then # the caller chose what to run
    check "pytest" "$VENV/bin/pytest" --junitxml=test-artifacts/junit.xml "$@"
else
    # The end-to-end tests start Airflow's processes and wait on them: one at a time, so that their
    # waits are not stretched by other work on the CI machine's two cores. Every other test runs in
    # two worker processes, a test file per worker at a time (a file keeps its module fixtures).
    check "pytest tests/e2e" "$VENV/bin/pytest" tests/e2e --junitxml=test-artifacts/junit-e2e.xml
    check "pytest (all but e2e, 2 workers)" "$VENV/bin/pytest" tests --ignore=tests/e2e \
        -n 2 --dist loadfile --junitxml=test-artifacts/junit.xml
fi

elapsed=$((SECONDS - started))
if ((${#failed[@]})); then
    printf '\nFAILED after %dm%02ds:\n' $((elapsed / 60)) $((elapsed % 60))
    printf '  - %s\n' "${failed[@]}"
    exit 1
fi
printf '\nAll checks passed in %dm%02ds.\n' $((elapsed / 60)) $((elapsed % 60))
