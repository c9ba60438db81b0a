#!/usr/bin/env bash
# The whole test suite: set-up, type check, builds, unit tests, then tests against the real VM
# (engine tests and the dashboard's browser e2e). `scripts/test.sh unit` runs only what needs no VM.
#
# The machine has 2 cores and the VM is emulated, so time goes to VM work: the VM image check (a
# build when the recipe changed) and one boot of a shared engine run while the unit tests do; the
# files that declare `new BerthEnv({ shared: true })` then run one after another on that engine
# (each leaves it as it found it); it is stopped, and the files that need their own engine
# (lifecycle: stop, start, kill) run last, one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
bash scripts/setup.sh --no-image

# Independent builds, overlapped; the VM installs the agent bundle at every start.
pids=()
npx tsc -p tsconfig.json & pids+=($!)
# Format and lint (biome.json, `npm run format` fixes the format): no unused code, no floating promises, no '!' in the files that opted in.
node_modules/.bin/biome ci --reporter=summary & pids+=($!)
npm run --silent build:renderer >/dev/null & pids+=($!)
node bin/run-ts.js engine/agent/build.ts & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

list() { find "$1" -name "$2" 2>/dev/null | sort; }
mapfile -t unit < <(list test/unit '*.test.ts')
shared=() own=()
if [ "$mode" != unit ]; then
  while read -r f; do
    if grep -q 'new BerthEnv({ shared: true })' "$f"; then shared+=("$f"); else own+=("$f"); fi
  done < <(list test/engine '*.test.ts'; list e2e '*.e2e.ts')
fi

work=$(mktemp -d)
bg=''
cleanup() {
  [ -z "$bg" ] || kill "$bg" 2>/dev/null || true
  wait 2>/dev/null || true
  local home
  home=$(cat "$work/shared-home" 2>/dev/null || true)
  [ -z "$home" ] || [ ! -d "$home" ] || node bin/run-ts.js test/helpers/shared-engine.ts stop "$home" || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# In the background while the unit tests run: the image, then the shared engine's boot, and beside
# that boot the released image the upgrade test starts from (cached like the current one).
if [ "$mode" != unit ]; then
  {
    node bin/run-ts.js engine/image/build.ts
    node bin/run-ts.js engine/image/build.ts --release engine26 >"$work/release.log" 2>&1 & rel=$!
    # The Wasm feature's runtime needs the image's package list (wasm-fetch.ts): fetched once built.
    node bin/run-ts.js engine/host/wasm-fetch-cli.ts --prefix setup || true
    [ ${#shared[@]} -eq 0 ] || node bin/run-ts.js test/helpers/shared-engine.ts start "$work/shared-home" || s=1
    wait "$rel" || { echo "test: the released image (engine26) did not build:"; cat "$work/release.log"; exit 1; }
    exit "${s:-0}"
  } >"$work/vm.log" 2>&1 &
  bg=$!
fi

status=0
n=0
run() { # concurrency, files…
  local c=$1; shift
  [ $# -gt 0 ] || return 0
  n=$((n + 1))
  node --import tsx --test --test-concurrency="$c" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/$n.tap" "$@" || status=1
}
# Unit tests need no VM; two at a time use the time their child processes spend waiting.
run 2 "${unit[@]}"

if [ -n "$bg" ]; then
  wait "$bg" || { status=1; echo "test: VM image or shared engine start failed:"; }
  bg=''
  cat "$work/vm.log"
  # VM tests share 2 cores with an emulated VM: one file at a time, in this order.
  if [ -s "$work/shared-home" ]; then
    BERTH_SHARED_HOME=$(cat "$work/shared-home") run 1 "${shared[@]}"
    node bin/run-ts.js test/helpers/shared-engine.ts stop "$(cat "$work/shared-home")" || true
    rm -f "$work/shared-home"
  else
    run 1 "${shared[@]}" # each boots its own engine (none shared: the failure is above)
  fi
  run 1 "${own[@]}"
fi

count() { cat "$work"/*.tap 2>/dev/null | sed -n "s/^# $1 \([0-9]*\)$/\1/p" | awk '{ s += $1 } END { print s + 0 }'; }
echo "$(count pass) passed, $(count fail) failed, $(count skipped) skipped"
exit $status
