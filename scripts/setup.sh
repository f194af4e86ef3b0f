#!/usr/bin/env bash
# Idempotent set-up for building and testing datasieve. Run by `npm start` and `npm test`.
#
# Installs only what is missing, and decides that with cheap checks (a file on disk, a version
# string), so a second run with everything present takes about a second:
#   - the wasm32-unknown-unknown standard library: the default rustup toolchain's, or the
#     "syswasm" fallback toolchain (Debian's rustc-web with a wasm32 std built once from source,
#     see ../shared/TOOLCHAIN.md) when rustup cannot download the target;
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock, and wasm-pack;
#   - Chromium and chromedriver (Debian packages) for the browser tests;
#   - the npm dev dependencies (`npm ci`, whenever package-lock.json changed since the last one).
#
# Writes target/toolchain.env, which the build and test scripts source before any wasm32 cargo
# command: it is empty when the default toolchain has the target, and selects the fallback
# toolchain and its linker otherwise. Native builds never read it.
#
# Environment:
#   DATASIEVE_FORCE_WASM_FALLBACK=1  skip the rustup route and use (or build) the fallback toolchain.
#   DATASIEVE_RUSTUP_TIMEOUT=N       seconds to give `rustup target add` (default 30).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
WASM_TARGET=wasm32-unknown-unknown
FALLBACK_TOOLCHAIN=syswasm
FALLBACK_LINKER=wasm-ld-22
FALLBACK_LIBDIR=/usr/lib/rustlib/$WASM_TARGET/lib
TOOLCHAIN_ENV=$ROOT/target/toolchain.env

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# apt-get as root, or through sudo when we are not root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install [--no-install-recommends] PACKAGE...
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Make sure ~/.cargo/bin (where `cargo install` puts tools) is on PATH for this script.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs) first"
command -v rustup >/dev/null || die "rustup not found: install Rust with rustup (https://rustup.rs) first"
command -v node >/dev/null || die "node not found: install Node.js 20 or newer first"

# ---------------------------------------------------------------------------------------------
# 1. The wasm32 standard library.
# ---------------------------------------------------------------------------------------------

# True when the default toolchain's sysroot holds a wasm32 std (and `test`, for wasm-bindgen-test).
default_toolchain_has_wasm32() {
  local sysroot
  sysroot=$(rustc --print sysroot) || return 1
  compgen -G "$sysroot/lib/rustlib/$WASM_TARGET/lib/libstd-*.rlib" >/dev/null &&
    compgen -G "$sysroot/lib/rustlib/$WASM_TARGET/lib/libtest-*.rlib" >/dev/null
}

# The stamp records which /usr/bin/rustc built the std in FALLBACK_LIBDIR: rlibs only load into
# the exact compiler that made them, so an upgraded rustc-web means building them again.
FALLBACK_STAMP=$FALLBACK_LIBDIR/.datasieve-built-by
fallback_toolchain_ready() {
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && command -v "$FALLBACK_LINKER" >/dev/null || return 1
  [ -f "$FALLBACK_STAMP" ] && [ "$(cat "$FALLBACK_STAMP")" = "$(/usr/bin/rustc -V)" ] || return 1
  compgen -G "$FALLBACK_LIBDIR/libstd-*.rlib" >/dev/null &&
    compgen -G "$FALLBACK_LIBDIR/libtest-*.rlib" >/dev/null || return 1
  rustup toolchain list | grep -q "^$FALLBACK_TOOLCHAIN"
}

# The fallback from TOOLCHAIN.md: Debian's newer rustc with its std sources and a wasm linker,
# build the wasm32 std (with `test`) once, install the rlibs into that compiler's sysroot and
# register it with rustup as a linked toolchain.
build_fallback_toolchain() {
  log "building the fallback wasm32 toolchain '$FALLBACK_TOOLCHAIN' (a few minutes, once)"
  if ! { [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] &&
         command -v "$FALLBACK_LINKER" >/dev/null; }; then
    apt_install --no-install-recommends rustc-web cargo-web rust-web-src lld-22
  fi
  local scratch
  scratch=$(mktemp -d)
  mkdir -p "$scratch/src"
  cat >"$scratch/Cargo.toml" <<'TOML'
[package]
name = "datasieve_std_seed"
version = "0.0.0"
edition = "2021"

[lib]
path = "src/lib.rs"

[profile.release]
lto = false
TOML
  printf 'pub fn seed(n: usize) -> Vec<usize> { (0..n).collect() }\n' >"$scratch/src/lib.rs"
  # -Cembed-bitcode=yes: our release profile uses LTO, which needs bitcode in the std rlibs.
  # `test` in -Zbuild-std: wasm-bindgen-test links against libtest.
  (cd "$scratch" &&
    env -u RUSTUP_TOOLCHAIN PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      RUSTFLAGS=-Cembed-bitcode=yes \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$FALLBACK_LINKER" \
      /usr/bin/cargo build --quiet --release --target "$WASM_TARGET" \
      -Zbuild-std=std,panic_abort,test) || die "building the wasm32 std failed (see above)"
  as_root mkdir -p "$FALLBACK_LIBDIR"
  # Rlibs left by an older compiler would be a second candidate for `std` and break every build.
  as_root find "$FALLBACK_LIBDIR" -maxdepth 1 -name '*.rlib' -delete
  local rlib copied=0
  for rlib in "$scratch/target/$WASM_TARGET/release/deps/"*.rlib; do
    case "$(basename "$rlib")" in libdatasieve_std_seed-*) continue ;; esac
    as_root cp "$rlib" "$FALLBACK_LIBDIR/"
    copied=$((copied + 1))
  done
  [ "$copied" -gt 0 ] || die "the wasm32 std build produced no rlibs"
  /usr/bin/rustc -V | as_root tee "$FALLBACK_STAMP" >/dev/null
  rm -rf "$scratch"
  rustup toolchain list | grep -q "^$FALLBACK_TOOLCHAIN" ||
    rustup toolchain link "$FALLBACK_TOOLCHAIN" /usr
  log "installed $copied wasm32 std rlibs into $FALLBACK_LIBDIR"
}

write_toolchain_env() {
  mkdir -p "$(dirname "$TOOLCHAIN_ENV")"
  local tmp="$TOOLCHAIN_ENV.tmp.$$"
  if [ "$1" = fallback ]; then
    {
      echo "# Written by scripts/setup.sh: wasm32 builds use the fallback toolchain (see TOOLCHAIN notes)."
      echo "export RUSTUP_TOOLCHAIN=$FALLBACK_TOOLCHAIN"
      echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$FALLBACK_LINKER"
    } >"$tmp"
  else
    echo "# Written by scripts/setup.sh: wasm32 builds use the default rustup toolchain." >"$tmp"
  fi
  mv "$tmp" "$TOOLCHAIN_ENV"
}

if [ "${DATASIEVE_FORCE_WASM_FALLBACK:-0}" != 1 ] && default_toolchain_has_wasm32; then
  write_toolchain_env default
elif fallback_toolchain_ready; then
  # Checked before trying rustup again: where rustup's download hangs it would cost the whole
  # timeout on every run.
  write_toolchain_env fallback
elif [ "${DATASIEVE_FORCE_WASM_FALLBACK:-0}" != 1 ] &&
     log "rustup target add $WASM_TARGET (timeout ${DATASIEVE_RUSTUP_TIMEOUT:-30}s)" &&
     timeout -k 5 "${DATASIEVE_RUSTUP_TIMEOUT:-30}" rustup target add "$WASM_TARGET" &&
     default_toolchain_has_wasm32; then
  write_toolchain_env default
else
  log "rustup could not install $WASM_TARGET; using the fallback toolchain"
  build_fallback_toolchain
  fallback_toolchain_ready || die "the fallback wasm32 toolchain is still not usable"
  write_toolchain_env fallback
fi

# ---------------------------------------------------------------------------------------------
# 2. wasm-bindgen-cli (exactly the Cargo.lock version) and wasm-pack.
# ---------------------------------------------------------------------------------------------

# The version of the first [[package]] named wasm-bindgen in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '
  $0 == "name = \"wasm-bindgen\"" { want = 1; next }
  want && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || die "no wasm-bindgen package in Cargo.lock"

installed_wasm_bindgen=$( { wasm-bindgen --version 2>/dev/null || true; } | awk '{print $2}')
if [ "$installed_wasm_bindgen" != "$WASM_BINDGEN_VERSION" ] || ! command -v wasm-bindgen-test-runner >/dev/null; then
  log "cargo install wasm-bindgen-cli --version =$WASM_BINDGEN_VERSION (found: ${installed_wasm_bindgen:-none}; a few minutes)"
  # No --locked: the crate's own lock file pins versions this registry mirror does not serve.
  cargo install --quiet --force wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack (a few minutes)"
  cargo install --quiet wasm-pack
fi

# ---------------------------------------------------------------------------------------------
# 3. Chromium and chromedriver for wasm-bindgen-test and the Playwright tests.
# ---------------------------------------------------------------------------------------------

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  # With recommended packages: they bring the fonts the page (and its screenshots) render with.
  apt_install chromium chromium-driver
fi

# ---------------------------------------------------------------------------------------------
# 4. npm dev dependencies (playwright-core, binaryen's wasm-opt, the static server).
# ---------------------------------------------------------------------------------------------

# The stamp holds the hash of the package-lock.json that node_modules was installed from.
NPM_STAMP=node_modules/.datasieve-lock-hash
lock_hash=$(sha256sum package-lock.json | awk '{print $1}')
if [ ! -f "$NPM_STAMP" ] || [ "$(cat "$NPM_STAMP")" != "$lock_hash" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >"$NPM_STAMP"
fi

log "ready (wasm toolchain: $(grep -q RUSTUP_TOOLCHAIN "$TOOLCHAIN_ENV" && echo "$FALLBACK_TOOLCHAIN fallback" || echo default))"
