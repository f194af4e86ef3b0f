#!/usr/bin/env bash
# Build the wasm façade (crates/wasm) into www/pkg for the page.
#
#   scripts/build-wasm.sh            release build, then wasm-opt -O3 (what `npm start` serves)
#   scripts/build-wasm.sh --dev      debug build, no wasm-opt (faster, for quick iteration)
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
  # wasm-pack rewrites the module on every run; wasm-opt -O3 on a large module takes a while, so
  # its output is cached by the hash of its input and an unchanged module costs only a copy.
  cache_dir=target/wasm-opt-cache
  key=$(sha256sum "$wasm" | awk '{print $1}')
  if [ -f "$cache_dir/$key.wasm" ]; then
    cp "$cache_dir/$key.wasm" "$wasm"
    echo "[build-wasm] wasm-opt -O3: unchanged module, cached result" >&2
  else
    before=$(stat -c %s "$wasm")
    # The features rustc enables by default for wasm32-unknown-unknown (see
    # `rustc --print cfg --target wasm32-unknown-unknown`), plus SIMD, so that wasm-opt accepts
    # whatever the module contains; all are supported by every current browser.
    node_modules/.bin/wasm-opt -O3 \
      --enable-bulk-memory --enable-multivalue --enable-mutable-globals \
      --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext --enable-simd \
      "$wasm" -o "$wasm.opt"
    mv "$wasm.opt" "$wasm"
    rm -rf "$cache_dir" && mkdir -p "$cache_dir" && cp "$wasm" "$cache_dir/$key.wasm"
    echo "[build-wasm] wasm-opt -O3: $before -> $(stat -c %s "$wasm") bytes" >&2
  fi
fi
echo "[build-wasm] www/pkg ready ($profile, $(($(date +%s) - start))s)" >&2

# The page's chart library, from the npm dev dependencies (served from www/vendor, never a CDN).
mkdir -p www/vendor
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css www/vendor/
