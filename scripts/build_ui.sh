#!/usr/bin/env bash
# Build the review page's browser libraries (CodeMirror 6, dagre, Swagger UI) into
# airflow_ai_etl/plugins/static/vendor from the exact versions in ui/package-lock.json.
# The result is committed, so installing the package needs no Node.js; tests/unit/plugins/
# test_ui_bundle.py fails when the committed files do not match the lock file and ui/src.
set -euo pipefail
cd "$(dirname "$0")/../ui"
# --ignore-scripts: no package's install script runs (esbuild works without its optional one).
npm ci --ignore-scripts --no-audit --no-fund
node build.mjs
