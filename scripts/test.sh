#!/usr/bin/env bash
# The whole test suite: set-up, type check, unit tests, then tests against the real VM.
# `scripts/test.sh unit` runs only what needs no VM.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json

suites=(test/unit)
[ "${1:-}" = unit ] || suites+=(test/engine)
mapfile -t files < <(find "${suites[@]}" -name '*.test.ts' 2>/dev/null | sort)
# VM tests share 2 cores with an emulated VM: run files one after another.
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
