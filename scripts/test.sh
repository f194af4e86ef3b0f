#!/usr/bin/env bash
# `npm test`: set up, build, then run every level of tests and summarise.
#
# Levels:
#   native  cargo test --workspace (all crates but the wasm façade, whose tests need a browser)
#   wasm    wasm-bindgen-test in headless Chromium (crates/wasm/tests, incl. a File read in a worker)
#   e2e     node --test tests/e2e/*.test.mjs (playwright-core driving /usr/bin/chromium)
#
# Every level runs even if an earlier one failed, so one run shows everything that is broken. A level
# fails when its runner exits non-zero, reports a failure, or ran zero tests. The last line is
# `total: N passed, M failed`; the script exits non-zero if any level failed.
#
# Arguments: level names to run only those (e.g. `npm test -- e2e`); setup and build always run.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
LOG_DIR=$ROOT/target/test-logs
mkdir -p "$LOG_DIR"

say() { printf '\n[test] %s\n' "$*" >&2; }

bash scripts/setup.sh || { echo "[test] setup failed" >&2; exit 1; }
say "build: wasm (release) and the CLI"
bash scripts/build-wasm.sh --release || { echo "[test] building the wasm module failed" >&2; exit 1; }
cargo build --quiet -p datasieve-cli || { echo "[test] building the CLI failed" >&2; exit 1; }
export DATASIEVE_CLI=$ROOT/target/debug/datasieve

levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(native wasm e2e)

# Sums the "test result: ok. N passed; M failed" lines that cargo's test harness and
# wasm-bindgen-test-runner print once per test binary; prints "passed failed".
count_cargo() {
  awk '/^test result: / {
         for (i = 1; i <= NF; i++) {
           if ($(i + 1) ~ /^passed;?$/) passed += $i
           if ($(i + 1) ~ /^failed;?$/) failed += $i
         }
       }
       END { printf "%d %d\n", passed, failed }' "$1"
}

# Reads the TAP summary that node's test runner writes ("# pass N", "# fail N", "# cancelled N").
count_node_tap() {
  awk '/^# pass /      { passed = $3 }
       /^# fail /      { failed += $3 }
       /^# cancelled / { failed += $3 }
       END { printf "%d %d\n", passed, failed }' "$1"
}

run_native() {
  cargo test --workspace --exclude datasieve-wasm 2>&1 | tee "$LOG_DIR/native.log"
  local status=${PIPESTATUS[0]}
  count_cargo "$LOG_DIR/native.log" >"$LOG_DIR/native.counts"
  return "$status"
}

run_wasm() {
  (
    # Selects the fallback toolchain and linker when setup needed them (empty otherwise).
    # shellcheck source=/dev/null
    . target/toolchain.env
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
    export CHROMEDRIVER=/usr/bin/chromedriver
    export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$ROOT/crates/wasm/webdriver.json
    export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}
    cargo test -p datasieve-wasm --target wasm32-unknown-unknown --tests
  ) 2>&1 | tee "$LOG_DIR/wasm.log"
  local status=${PIPESTATUS[0]}
  count_cargo "$LOG_DIR/wasm.log" >"$LOG_DIR/wasm.counts"
  return "$status"
}

run_e2e() {
  local files=(tests/e2e/*.test.mjs)
  [ -e "${files[0]}" ] || { echo "0 0" >"$LOG_DIR/e2e.counts"; echo "no tests/e2e/*.test.mjs" >&2; return 1; }
  rm -f "$LOG_DIR/e2e.tap"
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$LOG_DIR/e2e.tap" \
    "${files[@]}" 2>&1 | tee "$LOG_DIR/e2e.log"
  local status=${PIPESTATUS[0]}
  if [ -f "$LOG_DIR/e2e.tap" ]; then count_node_tap "$LOG_DIR/e2e.tap" >"$LOG_DIR/e2e.counts"; else echo "0 0" >"$LOG_DIR/e2e.counts"; fi
  return "$status"
}

summary=()
total_passed=0
total_failed=0
any_failed=0
for level in "${levels[@]}"; do
  case "$level" in native | wasm | e2e) ;; *) echo "[test] unknown level: $level" >&2; exit 2 ;; esac
  say "level $level"
  rm -f "$LOG_DIR/$level.counts"
  "run_$level"
  status=$?
  read -r passed failed <"$LOG_DIR/$level.counts" 2>/dev/null || { passed=0; failed=0; }
  note=""
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1 # the runner failed before or outside any test (e.g. a compile error): count it
    note=" (runner exited with status $status)"
  fi
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
    note=" (ran zero tests)"
  fi
  [ "$failed" -eq 0 ] || any_failed=1
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  summary+=("$level: $passed passed, $failed failed$note")
done

printf '\n[test] summary (logs in target/test-logs/)\n'
for line in "${summary[@]}"; do echo "$line"; done
echo "total: $total_passed passed, $total_failed failed"
exit "$any_failed"
