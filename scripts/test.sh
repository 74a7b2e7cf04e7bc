#!/usr/bin/env bash
# The project's test command (README): install, build, run every test.
# Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
exec node scripts/run-tests.mjs "$@"
