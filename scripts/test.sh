#!/usr/bin/env bash
# The whole test suite: set-up, type check, builds, unit tests, then tests against the real VM
# (engine tests and the dashboard's browser e2e). `scripts/test.sh unit` runs only what needs no VM.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.json
npm run --silent build:renderer >/dev/null
node bin/run-ts.js engine/agent/build.ts

files=()
add() { mapfile -t found < <(find "$1" -name "$2" 2>/dev/null | sort); files+=("${found[@]}"); }
add test/unit '*.test.ts'
if [ "${1:-}" != unit ]; then
  add test/engine '*.test.ts'
  add e2e '*.e2e.ts'
fi
# VM tests share 2 cores with an emulated VM: run files one after another, in this order.
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
status=0
node --import tsx --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || status=$?
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$tap" | tail -1; }
echo "$(count pass) passed, $(count fail) failed, $(count skipped) skipped"
exit $status
