#!/usr/bin/env bash
# Build the wasm façade (crates/wasm) into www/pkg for the page.
#
#   scripts/build-wasm.sh            release build, names stripped by wasm-opt (what `npm start` serves)
#   scripts/build-wasm.sh --dev      debug build, names kept (faster, for quick iteration)
#
# Expects scripts/setup.sh to have run: it writes target/toolchain.env, which picks the toolchain
# (and linker) that has the wasm32 std on this machine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
[ -f target/toolchain.env ] || { echo "[build-wasm] run scripts/setup.sh first" >&2; exit 1; }
# shellcheck source=/dev/null
. target/toolchain.env

profile=--release
case "${1:-}" in
  --dev) profile=--dev ;;
  --release | "") ;;
  *) echo "usage: $0 [--dev|--release]" >&2; exit 2 ;;
esac

start=$(date +%s)
# --mode no-install: use the wasm-bindgen on PATH (setup.sh pins it to Cargo.lock) and never try
# to download tools. wasm-pack's own wasm-opt step is off in crates/wasm/Cargo.toml; we run the
# one from npm `binaryen` below instead, which is newer than Debian's.
wasm-pack --quiet build crates/wasm --target web --mode no-install --no-pack \
  --out-dir ../../www/pkg "$profile"

if [ "$profile" = --release ]; then
  wasm=www/pkg/datasieve_wasm_bg.wasm
  before=$(stat -c %s "$wasm")
  # Only the function names and producer notes are stripped (-8 %); no optimisation passes. The
  # module is already optimised by rustc (LTO, opt-level 3), and binaryen's -O1..-O3 made it
  # slower in V8: the page's 100 MB near-dedup job took 2.56 s after -O3 and 2.29 s without it
  # (signing 0.59 against 0.49 ns per permutation pair; filters and exact dedup 1-10 % slower,
  # prefs the same) for 5 % fewer bytes. Measured with `node bench/parallel_sign.mjs FILE 1 2`,
  # both modules alternately; see bench/minhash/README.md. The features are the ones rustc
  # enables by default for wasm32-unknown-unknown (`rustc --print cfg --target
  # wasm32-unknown-unknown`), plus SIMD, so that wasm-opt accepts whatever the module contains.
  node_modules/.bin/wasm-opt --strip-debug --strip-producers \
    --enable-bulk-memory --enable-multivalue --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext --enable-simd \
    "$wasm" -o "$wasm.stripped" 2> >(grep -v "no passes specified" >&2)
  mv "$wasm.stripped" "$wasm"
  echo "[build-wasm] names stripped: $before -> $(stat -c %s "$wasm") bytes" >&2
fi
echo "[build-wasm] www/pkg ready ($profile, $(($(date +%s) - start))s)" >&2

# The page's chart library, from the npm dev dependencies (served from www/vendor, never a CDN).
mkdir -p www/vendor
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
